using System.Text;
using Hl7.Fhir.Model;
using PttmHooks.Clinical.Terminology;
using PttmHooks.Clinical.Units;

namespace PttmHooks.Clinical.Chart;

/// <summary>The facts of a chart that the criteria read: recognised Conditions, measurements and reports.</summary>
internal sealed class ChartFacts
{
    public List<ConditionFact> Conditions { get; } = [];

    public List<Measurement> Measurements { get; } = [];

    public List<ReportFact> Reports { get; } = [];

    public DateTimeOffset? BirthDate { get; set; }
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

        foreach (var report in record.Reports)
        {
            ReadReport(report, knowledge, facts);
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

    private static void ReadReport(DiagnosticReport report, Knowledge knowledge, ChartFacts facts)
    {
        if (report.Status is DiagnosticReport.DiagnosticReportStatus.EnteredInError
            or DiagnosticReport.DiagnosticReportStatus.Cancelled
            or DiagnosticReport.DiagnosticReportStatus.Registered)
        {
            return;
        }

        var text = ReportText(report);
        var (kinds, _, _, _, _) = Classify(report.Code, ResourceKinds.DiagnosticReport, knowledge);
        if (kinds.IsEmpty && text.Length > 0)
        {
            // A report with only a local code and no usable title: its conclusion says what it is
            // ("Enhanced CT: no pulmonary embolism").
            kinds = knowledge.ClassifyText(text, ResourceKinds.DiagnosticReport).Concepts;
        }

        Concept? kind = null;
        foreach (var candidate in ReportPriority)
        {
            if (kinds.Contains(candidate))
            {
                kind = candidate;
                break;
            }
        }

        if (kind is null)
        {
            return;
        }

        var meanings = new List<string>();
        foreach (var code in report.ConclusionCode)
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

        var status = report.Status;
        facts.Reports.Add(new ReportFact(
            report,
            kind.Value,
            DisplayOf(report.Code),
            text,
            FhirTime.Of(report.Effective) ?? FhirTime.Of(report.IssuedElement),
            status is DiagnosticReport.DiagnosticReportStatus.Preliminary or DiagnosticReport.DiagnosticReportStatus.Partial,
            meanings));
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

    /// <summary>The conclusion, then any text presentedForm (text/plain, text/markdown; HTML with its tags removed).</summary>
    private static string ReportText(DiagnosticReport report)
    {
        var conclusion = report.Conclusion ?? "";
        if (report.PresentedForm.Count == 0)
        {
            return conclusion;
        }

        var builder = new StringBuilder(conclusion);
        foreach (var form in report.PresentedForm)
        {
            if (form.Data is not { Length: > 0 } data || form.ContentType is not { } type || !type.StartsWith("text/", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var text = Encoding.UTF8.GetString(data);
            if (type.StartsWith("text/html", StringComparison.OrdinalIgnoreCase))
            {
                text = System.Text.RegularExpressions.Regex.Replace(text, "<[^>]*>", " ", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromMilliseconds(200));
            }

            builder.Append('\n').Append(text);
        }

        return builder.ToString();
    }
}
