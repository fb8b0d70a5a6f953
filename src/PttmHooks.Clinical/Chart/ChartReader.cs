using System.Globalization;
using Hl7.Fhir.Model;
using PttmHooks.Clinical.Terminology;
using PttmHooks.Clinical.Text;
using PttmHooks.Clinical.Units;

namespace PttmHooks.Clinical.Chart;

/// <summary>The facts of a chart that the criteria read: recognised Conditions, measurements and reports.</summary>
internal sealed class ChartFacts
{
    public List<ConditionFact> Conditions { get; } = [];

    public List<Measurement> Measurements { get; } = [];

    public List<ReportFact> Reports { get; } = [];

    /// <summary>Reports and notes of a family the rule reads (imaging, pathology) whose kind their text did not tell.</summary>
    public List<ReportCandidate> Unclassified { get; } = [];

    public DateTimeOffset? BirthDate { get; set; }
}

/// <summary>A report or note that counts by its status and is of a kind (or family) the rule reads.</summary>
internal sealed record ReportCandidate(
    Resource Resource,
    Concept? Kind,
    ReportFamily? Family,
    string Display,
    GatheredText Text,
    TimeSpanOf? At,
    bool Preliminary)
{
    public string Reference => Resource.TypeName + "/" + (Resource.Id ?? "(no id)");
}

/// <summary>
/// Reads a <see cref="PatientRecord"/> once into <see cref="ChartFacts"/>: status rules applied,
/// codes and texts matched to concepts, values converted into the rule's units, dates parsed.
/// Resources the rule does not recognise are skipped at the cost of a code lookup.
/// </summary>
internal static class ChartReader
{
    private const string ConditionVerification = "http://terminology.hl7.org/CodeSystem/condition-ver-status";

    public static ChartFacts Read(PatientRecord record, Knowledge knowledge)
    {
        var facts = new ChartFacts();
        if (record.Patient?.BirthDateElement is { } birth && birth.TryToDateTimeOffset(out var born))
        {
            facts.BirthDate = born;
        }

        foreach (var condition in record.Conditions)
        {
            ReadCondition(condition, knowledge, facts);
        }

        foreach (var observation in record.Observations)
        {
            ReadObservation(observation, knowledge, facts);
        }

        foreach (var candidate in Candidates(record, knowledge))
        {
            ReadReport(candidate, candidate.Resource as DiagnosticReport, knowledge, facts);
        }

        return facts;
    }

    private static void ReadCondition(Condition condition, Knowledge knowledge, ChartFacts facts)
    {
        var verification = CodeIn(condition.VerificationStatus);
        // Refuted and entered-in-error Conditions never count (pttm-criteria.md, Inputs).
        if (verification is "refuted" or "entered-in-error")
        {
            return;
        }

        var (concepts, site, traits, note, markers) = Classify(condition.Code, ResourceKinds.Condition, knowledge);
        if (concepts.IsEmpty)
        {
            return;
        }

        var status = CodeIn(condition.ClinicalStatus) switch
        {
            "active" => ClinicalStatus.Active,
            "recurrence" => ClinicalStatus.Recurrence,
            "relapse" => ClinicalStatus.Relapse,
            "inactive" => ClinicalStatus.Inactive,
            "remission" => ClinicalStatus.Remission,
            "resolved" => ClinicalStatus.Resolved,
            _ => ClinicalStatus.Unspecified,
        };

        facts.Conditions.Add(new ConditionFact(
            condition,
            concepts,
            DisplayOf(condition.Code),
            site,
            traits,
            FhirTime.Of(condition.Onset),
            FhirTime.Of(condition.RecordedDateElement),
            status,
            Unconfirmed: verification is "unconfirmed" or "provisional" or "differential",
            RapidText: (markers & TextMarkers.RapidProgression) != 0,
            note));
    }

    private static void ReadObservation(Observation observation, Knowledge knowledge, ChartFacts facts)
    {
        // entered-in-error, cancelled and registered results never count; preliminary ones do, marked.
        if (observation.Status is ObservationStatus.EnteredInError or ObservationStatus.Cancelled or ObservationStatus.Registered)
        {
            return;
        }

        var (concepts, _, traits, _, markers) = Classify(observation.Code, ResourceKinds.Observation, knowledge);
        if (concepts.IsEmpty && observation.Component.Count == 0)
        {
            return; // Most of a chart: a code lookup, and nothing else is read.
        }

        var preliminary = observation.Status == ObservationStatus.Preliminary;
        var at = FhirTime.Of(observation.Effective) ?? FhirTime.Of(observation.IssuedElement);
        if (!concepts.IsEmpty && observation.DataAbsentReason is null)
        {
            foreach (var concept in concepts.Items())
            {
                AddMeasurement(observation, concept, DisplayOf(observation.Code), observation.Value, traits, markers, at, preliminary, knowledge, facts);
            }
        }

        // Panels (a blood gas, an echo study) carry their values as components.
        foreach (var component in observation.Component)
        {
            if (component.DataAbsentReason is not null)
            {
                continue;
            }

            var (c, _, t, _, m) = Classify(component.Code, ResourceKinds.Observation, knowledge);
            foreach (var concept in c.Items())
            {
                AddMeasurement(observation, concept, DisplayOf(component.Code), component.Value, t, m | markers, at, preliminary, knowledge, facts);
            }
        }
    }

    private static void AddMeasurement(
        Observation observation,
        Concept concept,
        string display,
        DataType? value,
        CodeTraits traits,
        TextMarkers markers,
        TimeSpanOf? at,
        bool preliminary,
        Knowledge knowledge,
        ChartFacts facts)
    {
        if (value is null)
        {
            return;
        }

        var unit = knowledge.Info(concept).Unit;
        double? converted = null;
        string? comparator = null;
        string? written = null;
        string? problem = null;
        var qualitative = Qualitative.None;
        switch (value)
        {
            case Quantity q:
                written = Written(q);
                comparator = ComparatorOf(q);
                if (unit is null)
                {
                    converted = (double?)q.Value;
                    break;
                }

                var c = UnitConverter.Instance.Convert(q, unit);
                if (c.Ok)
                {
                    converted = c.Value;
                }
                else
                {
                    problem = c.Problem;
                }

                // The unit's annotation ({FEU}, "mg/L DDU") is trusted before the code (terminology.md: D-dimer).
                if (c.Annotation != CodeTraits.None)
                {
                    traits = (traits & ~(CodeTraits.Feu | CodeTraits.Ddu)) | c.Annotation;
                }

                break;
            case FhirString s when s.Value is { } text:
                written = text;
                qualitative = QualitativeOf(knowledge.ClassifyText(text, ResourceKinds.Observation).Markers);
                break;
            case CodeableConcept cc:
                written = DisplayOf(cc);
                qualitative = QualitativeOf(cc, knowledge);
                break;
            case FhirBoolean { Value: { } b }:
                written = b ? "true" : "false";
                qualitative = b ? Qualitative.Positive : Qualitative.Negative;
                break;
            case Integer { Value: { } i }:
                written = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                converted = unit is null or "%" ? i : null;
                problem = converted is null ? "no unit" : null;
                break;
            default:
                return;
        }

        var (flag, interpretation) = Interpretation(observation);
        if (qualitative == Qualitative.None)
        {
            qualitative = interpretation;
        }

        var exertion = (markers & TextMarkers.Exertion) != 0 || Names(observation.Method, knowledge, TextMarkers.Exertion)
            || observation.Note.Any(n => n.Text is { } t && (knowledge.ClassifyText(t, ResourceKinds.Observation).Markers & TextMarkers.Exertion) != 0);

        facts.Measurements.Add(new Measurement(
            observation, concept, display, converted, comparator, written, at, preliminary, exertion, traits, qualitative, flag, problem));
    }

    /// <summary>
    /// The reports and notes that count by their status and whose kind (or family) the rule reads, with
    /// their text as far as it is at hand. Used by <see cref="Read"/> and by <see cref="PttmRule.AttachmentsToRead"/>.
    /// </summary>
    internal static IEnumerable<ReportCandidate> Candidates(PatientRecord record, Knowledge knowledge)
    {
        Func<string, Observation?> observation = ObservationIndex(record);
        foreach (var report in record.Reports)
        {
            if (report.Status is DiagnosticReport.DiagnosticReportStatus.EnteredInError
                or DiagnosticReport.DiagnosticReportStatus.Cancelled
                or DiagnosticReport.DiagnosticReportStatus.Registered)
            {
                continue;
            }

            var text = ReportTexts.OfReport(report, record, observation);
            var (kinds, _, _, _, _) = Classify(report.Code, ResourceKinds.DiagnosticReport, knowledge);
            if (kinds.IsEmpty && text.Text.Length > 0)
            {
                // A report with only a local code and no usable title: its text says what it is
                // ("Enhanced CT: no pulmonary embolism").
                kinds = knowledge.ClassifyReportText(text.Text, ResourceKinds.DiagnosticReport).Concepts;
            }

            var family = knowledge.FamilyOf(report.Code) ?? knowledge.FamilyOf(report.Category);
            var kind = Pick(kinds) ?? family?.Kind;
            if (kind is null && family is null)
            {
                continue;
            }

            var status = report.Status;
            yield return new ReportCandidate(
                report,
                kind,
                family,
                DisplayOf(report.Code),
                text,
                FhirTime.Of(report.Effective) ?? FhirTime.Of(report.IssuedElement),
                status is DiagnosticReport.DiagnosticReportStatus.Preliminary or DiagnosticReport.DiagnosticReportStatus.Partial);
        }

        foreach (var note in record.Notes)
        {
            // entered-in-error never counts (as a report's status); a superseded note has been replaced
            // by the version the EHR stands by (reading 29).
            if (note.Status is DocumentReferenceStatus.EnteredInError or DocumentReferenceStatus.Superseded
                || note.DocStatus is CompositionStatus.EnteredInError)
            {
                continue;
            }

            var (kinds, _, _, _, _) = Classify(note.Type, ResourceKinds.DiagnosticReport, knowledge);
            if (kinds.IsEmpty && note.Description is { Length: > 0 } title)
            {
                kinds = knowledge.ClassifyText(title, ResourceKinds.DiagnosticReport).Concepts;
            }

            var family = knowledge.FamilyOf(note.Type) ?? knowledge.FamilyOf(note.Category);
            var kind = Pick(kinds);
            if (kind is null && family is null)
            {
                continue; // A progress or discharge note is not a study report (reading 29).
            }

            var text = ReportTexts.OfNote(note, record);
            if (kind is null && family is not null)
            {
                // A note of an imaging, cardiology or pathology family: its text says which study it is.
                kind = family.Kind ?? Pick(knowledge.ClassifyReportText(text.Text, ResourceKinds.DiagnosticReport).Concepts.Intersect(family.Kinds));
            }

            var display = DisplayOf(note.Type);
            yield return new ReportCandidate(
                note,
                kind,
                family,
                display.Length > 0 ? display : note.Description ?? "Clinical note",
                text,
                FhirTime.Of(note.DateElement) ?? FhirTime.Of(note.Context?.Period),
                note.DocStatus == CompositionStatus.Preliminary);
        }
    }

    private static void ReadReport(ReportCandidate candidate, DiagnosticReport? report, Knowledge knowledge, ChartFacts facts)
    {
        if (candidate.Kind is not { } kind)
        {
            facts.Unclassified.Add(candidate);
            return;
        }

        var meanings = new List<string>();
        foreach (var code in report?.ConclusionCode ?? [])
        {
            foreach (var coding in code.Coding)
            {
                if (knowledge.ConclusionMeaning(coding) is { } meaning)
                {
                    meanings.Add(meaning);
                }
                else if (coding.Code is { } expression && expression.Contains(':', StringComparison.Ordinal))
                {
                    // A post-coordinated SNOMED CT expression: 59282003 |Pulmonary embolism| : 408729009 = 2667000 |Absent|.
                    foreach (var part in expression.Split([':', '=', '|', ',', '{', '}', ' ', '+'], StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (knowledge.ConclusionMeaning(new Coding(coding.System, part)) is { } m)
                        {
                            meanings.Add(m);
                        }
                    }
                }
            }
        }

        var fact = new ReportFact(candidate.Resource, kind, candidate.Display, candidate.Text.Text, candidate.At, candidate.Preliminary, meanings)
        {
            Parts = candidate.Text.Parts,
            Unread = candidate.Text.Unread,
        };

        if (kind is Concept.EchoReport or Concept.RhcReport)
        {
            fact = ReadNumbers(fact, candidate.Text, knowledge, facts);
        }

        facts.Reports.Add(fact);
    }

    /// <summary>
    /// Numbers in report text (pttm-criteria.md 1.1; readings 30-33): each number an echocardiography or
    /// catheterisation report states becomes a measurement with the report as its source and the
    /// sentence as written. A coded Observation of the same measure with the same value from the same
    /// study (a result of the report, or dated within a day of it) is the same measurement: the coded one
    /// is kept, the text one dropped. Different values both count, and the more abnormal decides.
    /// </summary>
    private static ReportFact ReadNumbers(ReportFact fact, GatheredText text, Knowledge knowledge, ChartFacts facts)
    {
        var (measures, gaps, unread) = knowledge.Measures.Read(fact.Text);
        foreach (var m in measures)
        {
            var target = knowledge.Info(m.Concept).Unit;
            double? value = null;
            string? problem = null;
            if (m.Unit is null)
            {
                problem = "no unit written, and the number does not tell which";
            }
            else if (target is null || m.Unit == target)
            {
                value = m.Value;
            }
            else
            {
                var converted = UnitConverter.Instance.Convert(
                    new Quantity { Value = (decimal)m.Value, System = "http://unitsofmeasure.org", Code = m.Unit, Unit = m.Unit }, target);
                if (converted.Ok)
                {
                    value = converted.Value;
                }
                else
                {
                    problem = converted.Problem;
                }
            }

            if (value is { } v && facts.Measurements.Any(c => c.Concept == m.Concept && !c.FromText && c.Value is { } cv
                && Math.Abs(cv - v) <= 0.01 + (0.005 * Math.Abs(v))
                && (text.Results.Any(r => ReferenceEquals(r, c.Resource)) || SameDay(c.At, fact.At))))
            {
                continue; // The coded Observation of the same study is the same measurement (reading 33).
            }

            var source = fact.SourceAt(m.SentenceStart);
            var notes = new List<string>(3) { "read from the report's text" + (source is null ? "" : ", " + source) };
            if (m.UnitImplied)
            {
                notes.Add("no unit written: read as " + m.Unit);
            }

            if (m.Range)
            {
                notes.Add("a range: its more abnormal end counts");
            }

            facts.Measurements.Add(new Measurement(
                fact.Resource, m.Concept, fact.Display, value, m.Comparator, fact.Text.Substring(m.SentenceStart, m.SentenceLength),
                fact.At, fact.Preliminary, Exertion: false, CodeTraits.None, Qualitative.None, Flag.None, problem, string.Join("; ", notes)));
        }

        if (gaps.Count > 0)
        {
            fact = fact with { NotMeasured = gaps };
        }

        // A sentence the reader gave up on could state the number that decides C3: the card says so.
        return unread.Count == 0 ? fact : fact with
        {
            Unread = [.. fact.Unread, .. unread.Select(u => new UnreadPart(
                fact.SourceAt(u.SentenceStart) ?? "the report's text",
                $"a sentence of {u.SentenceLength.ToString("N0", CultureInfo.InvariantCulture)} characters took too long to read for numbers (it begins \"{Opening(fact.Text, u)}\")"))],
        };
    }

    /// <summary>The first words of an unread sentence, to find it in the report.</summary>
    private static string Opening(string text, TextUnread sentence)
    {
        var opening = text.AsSpan(sentence.SentenceStart, Math.Min(sentence.SentenceLength, 60)).Trim().ToString();
        return sentence.SentenceLength > 60 ? opening + "…" : opening;
    }

    private static bool SameDay(TimeSpanOf? a, TimeSpanOf? b) =>
        a is { } x && b is { } y && x.Earliest <= y.Latest.AddDays(1) && y.Earliest <= x.Latest.AddDays(1);

    private static Concept? Pick(ConceptSet kinds)
    {
        foreach (var candidate in ReportPriority)
        {
            if (kinds.Contains(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Observations by id, built on first use (only a report with results needs it).</summary>
    private static Func<string, Observation?> ObservationIndex(PatientRecord record)
    {
        Dictionary<string, Observation>? index = null;
        return id =>
        {
            if (index is null)
            {
                index = new Dictionary<string, Observation>(StringComparer.Ordinal);
                foreach (var o in record.Observations)
                {
                    if (o.Id is { } key)
                    {
                        index.TryAdd(key, o);
                    }
                }
            }

            return index.GetValueOrDefault(id);
        };
    }

    /// <summary>When a report's code names several kinds, the most specific wins.</summary>
    private static readonly Concept[] ReportPriority =
    [
        Concept.PaCytologyReport,
        Concept.PerfusionReport,
        Concept.CtpaReport,
        Concept.ChestCtContrastReport,
        Concept.ChestCtReport,
        Concept.RhcReport,
        Concept.EchoReport,
    ];

    /// <summary>
    /// The concepts of a code: its codings first; when no coding is known to the value sets, its text
    /// and the displays of its codings (local codes carry their meaning there). A code known only from
    /// memory ("?" in terminology.md) does not decide against a text that names something else.
    /// </summary>
    private static (ConceptSet Concepts, string? Site, CodeTraits Traits, string? Note, TextMarkers Markers) Classify(
        CodeableConcept? code, ResourceKinds kind, Knowledge knowledge)
    {
        if (code is null)
        {
            return default;
        }

        var match = knowledge.MatchCodes(code, kind);
        var text = code.Text is { Length: > 0 } t ? knowledge.ClassifyText(t, kind) : default;
        if (!match.Concepts.IsEmpty)
        {
            var contradicted = !match.Confirmed && code.Text is not null
                && (!text.Concepts.IsEmpty && text.Concepts.Intersect(match.Concepts).IsEmpty
                    || !text.Excluded.Intersect(match.Concepts).IsEmpty);
            if (!contradicted)
            {
                return (match.Concepts, match.Site ?? text.Site, match.Flags | text.Flags, null, text.Markers);
            }

            return (text.Concepts, text.Site, text.Flags,
                $"code {match.Coding?.Code} (unconfirmed) overridden by the text \"{code.Text}\"", text.Markers);
        }

        var concepts = text.Concepts;
        var site = text.Site;
        var flags = text.Flags;
        var markers = text.Markers;
        var excluded = text.Excluded;
        foreach (var coding in code.Coding)
        {
            if (coding.Display is { Length: > 0 } display && !ReferenceEquals(display, code.Text))
            {
                var d = knowledge.ClassifyText(display, kind);
                concepts = concepts.Union(d.Concepts);
                excluded = excluded.Union(d.Excluded);
                site ??= d.Site;
                flags |= d.Flags;
                markers |= d.Markers;
            }
        }

        // An exclusion anywhere ("basal cell carcinoma") outweighs a synonym elsewhere ("carcinoma").
        concepts = new ConceptSet(concepts.Bits & ~excluded.Bits);
        return (concepts, site, flags, null, markers);
    }

    private static bool Names(CodeableConcept? concept, Knowledge knowledge, TextMarkers marker)
    {
        if (concept is null)
        {
            return false;
        }

        if (concept.Text is { Length: > 0 } text && (knowledge.ClassifyText(text, ResourceKinds.Observation).Markers & marker) != 0)
        {
            return true;
        }

        foreach (var coding in concept.Coding)
        {
            if (coding.Display is { Length: > 0 } d && (knowledge.ClassifyText(d, ResourceKinds.Observation).Markers & marker) != 0)
            {
                return true;
            }
        }

        return false;
    }

    private static Qualitative QualitativeOf(TextMarkers markers) =>
        (markers & TextMarkers.QualitativeNegative) != 0 ? Qualitative.Negative
        : (markers & TextMarkers.QualitativePositive) != 0 ? Qualitative.Positive
        : Qualitative.None;

    private static Qualitative QualitativeOf(CodeableConcept concept, Knowledge knowledge)
    {
        foreach (var coding in concept.Coding)
        {
            switch (coding.Code)
            {
                // SNOMED CT qualifiers and HL7 v3 interpretation codes for presence.
                case "10828004" or "260373001" or "52101004" or "POS" or "DET":
                    return Qualitative.Positive;
                case "260385009" or "260415000" or "2667000" or "NEG" or "ND":
                    return Qualitative.Negative;
            }
        }

        var text = concept.Text ?? concept.Coding.FirstOrDefault(c => c.Display is not null)?.Display;
        return text is null ? Qualitative.None : QualitativeOf(knowledge.ClassifyText(text, ResourceKinds.Observation).Markers);
    }

    private static (Flag Flag, Qualitative Qualitative) Interpretation(Observation observation)
    {
        var flag = Flag.None;
        var qualitative = Qualitative.None;
        foreach (var concept in observation.Interpretation)
        {
            foreach (var coding in concept.Coding)
            {
                switch (coding.Code)
                {
                    case "H" or "HH" or "HU" or ">":
                        flag = Flag.High;
                        break;
                    case "L" or "LL" or "LU" or "<":
                        flag = Flag.Low;
                        break;
                    case "A" or "AA":
                        flag = flag == Flag.None ? Flag.Abnormal : flag;
                        break;
                    case "N":
                        flag = flag == Flag.None ? Flag.Normal : flag;
                        break;
                    case "POS" or "DET":
                        qualitative = Qualitative.Positive;
                        break;
                    case "NEG" or "ND":
                        qualitative = Qualitative.Negative;
                        break;
                }
            }
        }

        return (flag, qualitative);
    }

    private static string? CodeIn(CodeableConcept? concept)
    {
        if (concept is null)
        {
            return null;
        }

        foreach (var coding in concept.Coding)
        {
            if (coding.Code is not null && (coding.System is null || coding.System.StartsWith("http://terminology.hl7.org/CodeSystem/", StringComparison.Ordinal) || coding.System == ConditionVerification))
            {
                return coding.Code;
            }
        }

        return null;
    }

    internal static string DisplayOf(CodeableConcept? concept)
    {
        if (concept is null)
        {
            return "";
        }

        if (!string.IsNullOrEmpty(concept.Text))
        {
            return concept.Text;
        }

        foreach (var coding in concept.Coding)
        {
            if (!string.IsNullOrEmpty(coding.Display))
            {
                return coding.Display;
            }
        }

        return concept.Coding.FirstOrDefault()?.Code ?? "";
    }

    private static string Written(Quantity q)
    {
        var value = q.Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "";
        var comparator = ComparatorOf(q);
        var unit = q.Unit ?? q.Code;
        return unit is null ? comparator + value : comparator + value + " " + unit;
    }

    private static string? ComparatorOf(Quantity q) => q.Comparator switch
    {
        Quantity.QuantityComparator.LessThan => "<",
        Quantity.QuantityComparator.LessOrEqual => "<=",
        Quantity.QuantityComparator.GreaterThan => ">",
        Quantity.QuantityComparator.GreaterOrEqual => ">=",
        _ => null,
    };
}
