using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using Hl7.Fhir.Model;
using PttmHooks.Clinical.Assessment;
using PttmHooks.Service.CdsHooks;
using Card = PttmHooks.Service.CdsHooks.Card;

namespace PttmHooks.Service.Cards;

/// <summary>What the composer needs to know besides the assessment.</summary>
/// <param name="PatientId">The patient (the ServiceRequest's subject; part of the card id).</param>
/// <param name="EncounterId">The encounter, when the hook has one.</param>
/// <param name="RuleUrl">The absolute URL of the rule document.</param>
/// <param name="DataNotes">What a clinician should know about the data (read in part, first page only).</param>
public sealed record CardContext(string PatientId, string? EncounterId, Uri RuleUrl, IReadOnlyList<string> DataNotes);

/// <summary>
/// Turns an assessment into the card pttm-criteria.md ("The card") describes: a summary under 140
/// characters, a GFM detail with each criterion and its evidence, one suggestion whose create action
/// carries a draft ServiceRequest, override reasons, and links to the sources. The summary and the
/// detail render the assessment's <see cref="AssessmentView"/>, the model the CLI's table renders too.
/// </summary>
public sealed class CardComposer
{
    /// <summary>The ServiceRequest's reason, as the rule words it.</summary>
    public const string ReasonText = "suspected pulmonary tumor thrombotic microangiopathy";

    /// <summary>The longest summary the spec allows is 139 characters ("&lt;140").</summary>
    public const int MaxSummary = 139;

    private static readonly (string Code, string Display)[] s_overrideReasons =
    [
        ("already-evaluated", "Already evaluated"),
        ("not-consistent", "Not consistent with the clinical picture"),
        ("goals-of-care", "Patient's goals of care"),
        ("other-diagnosis", "Other diagnosis confirmed"),
    ];

    /// <summary>The codes of the override reasons every card offers.</summary>
    public static IReadOnlySet<string> OverrideReasonCodes { get; } = s_overrideReasons.Select(r => r.Code).ToFrozenSet(StringComparer.Ordinal);

    private readonly CardOptions _options;
    private readonly CardIds _ids;
    private readonly Func<Recommendation, OrderCode> _defaultOrder;

    /// <summary>Creates a composer.</summary>
    public CardComposer(CardOptions options, Func<Recommendation, OrderCode> defaultOrder)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(defaultOrder);
        _options = options;
        _ids = new CardIds(options.IdKey);
        _defaultOrder = defaultOrder;
    }

    /// <summary>The id scheme, for feedback.</summary>
    public CardIds Ids => _ids;

    /// <summary>The cards for <paramref name="assessment"/>: none, or one.</summary>
    public IReadOnlyList<Card> Compose(PttmAssessment assessment, CardContext context)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        ArgumentNullException.ThrowIfNull(context);
        if (assessment.Recommendation == Recommendation.None || assessment.Indicator is null || assessment.Suspicion is null)
        {
            return [];
        }

        var view = AssessmentView.Of(assessment);
        var order = Order(assessment.Recommendation);
        var cardId = _ids.Card(context.PatientId, RecommendationCode(assessment.Recommendation), view.References);
        var system = _options.CodeSystem.AbsoluteUri;
        var ruleUrl = (_options.RuleUrl ?? context.RuleUrl).AbsoluteUri;
        return
        [
            new Card
            {
                Uuid = cardId.ToString("D"),
                Summary = Summary(view),
                Detail = Detail(view, context, order),
                Indicator = assessment.Indicator.Value switch
                {
                    Indicator.Critical => "critical",
                    Indicator.Warning => "warning",
                    _ => "info",
                },
                Source = new CardSource
                {
                    Label = _options.SourceLabel,
                    Url = ruleUrl,
                    Topic = new CdsCoding { System = system, Code = "pttm-screening", Display = "Pulmonary tumor thrombotic microangiopathy screening" },
                },
                Suggestions =
                [
                    new Suggestion
                    {
                        Label = "Order " + LowerFirst(order.Text),
                        Uuid = _ids.Suggestion(cardId, 0).ToString("D"),
                        IsRecommended = true,
                        Actions =
                        [
                            new CdsAction
                            {
                                Type = "create",
                                Description = $"Draft order: {order.Text}, for {ReasonText}.",
                                Resource = ServiceRequest(assessment, context, order),
                            },
                        ],
                    },
                ],
                SelectionBehavior = "at-most-one",
                OverrideReasons = [.. s_overrideReasons.Select(r => new CdsCoding { System = system, Code = r.Code, Display = r.Display })],
                Links =
                [
                    new CardLink { Label = "PTTM screening rule (criteria, thresholds, sources)", Url = ruleUrl, Type = "absolute" },
                    .. Publications.All.Select(p => new CardLink { Label = p.Label, Url = p.Url, Type = "absolute" }),
                ],
            },
        ];
    }

    /// <summary>The summary: "PTTM suspected: …, consider …", under 140 characters.</summary>
    internal static string Summary(AssessmentView a)
    {
        var findings = new List<string> { "cancer" };
        // C2's sentence says which of its two findings decided it ("Hypoxaemia…", "Dyspnea…").
        findings.Add(a[CriterionId.C2].Sentence.StartsWith("Hypoxaemia", StringComparison.Ordinal) ? "hypoxaemia" : "progressive dyspnea");
        if (a[CriterionId.C3].State == CriterionState.Met)
        {
            findings.Add("pulmonary hypertension");
        }

        if (a.Perfusion == PerfusionFinding.Defects)
        {
            findings.Add("perfusion defects");
        }

        var pattern = findings.Count == 1 ? findings[0] : string.Join(", ", findings.Take(findings.Count - 1)) + " and " + findings[^1];
        var peExcluded = a[CriterionId.C4].State == CriterionState.Met;
        string summary;
        if (a.Recommendation == Recommendation.WedgedPaCytology)
        {
            summary = $"PTTM suspected: {pattern} without PE — consider wedged pulmonary artery cytology";
        }
        else if (a.Suspicion == Suspicion.Suspected)
        {
            summary = $"PTTM suspected: {pattern} without PE — consider lung perfusion scan";
        }
        else if (!peExcluded)
        {
            summary = $"PTTM possible: {pattern}; PE not yet excluded — consider lung perfusion scan";
        }
        else
        {
            summary = $"PTTM possible: {pattern} without PE; PH not yet assessed — consider echocardiography and lung perfusion scan";
        }

        return summary.Length <= MaxSummary ? summary : summary[..(MaxSummary - 1)] + "…";
    }

    /// <summary>
    /// The detail, in the order a clinician reads it in the seconds a card gets: the decision and
    /// the next step with what decided it; why it is urgent; what is missing; one table of the
    /// criteria, each with the evidence that decided it (finding, value, date, resource); then what
    /// speaks against it and context; then notes on the data. README, "The card", says why.
    /// </summary>
    private static string Detail(AssessmentView a, CardContext context, OrderCode order)
    {
        var d = new StringBuilder();
        var state = a.Suspicion == Suspicion.Suspected ? "suspected" : "possible";
        d.Append(CultureInfo.InvariantCulture, $"**PTTM {state}. Next step: {MarkdownText.Escape(LowerFirst(order.Text))}.**");
        if (a.SuggestEchocardiography)
        {
            d.Append(" Pulmonary hypertension has not been assessed: an **echocardiogram** first, or alongside, would complete the picture.");
        }

        // C1's and C2's reasons repeat their rows of the table below; the others say what decided.
        var deciding = a.Reasons.Where(r => r.Code is not ("solid-malignancy" or "hypoxaemia-or-dyspnea" or "ph-not-assessed")).ToList();
        if (deciding.Count > 0)
        {
            d.Append(' ').Append(string.Join(" ", deciding.Select(r => MarkdownText.Escape(r.Text))));
        }

        d.Append("\n\n**Why it is urgent:** ");
        if (a.IndicatorReasons.Count > 0)
        {
            d.Append("signs of imminent decompensation: ").Append(string.Join("; ", a.IndicatorReasons.Select(r => MarkdownText.Escape(r.Text)))).Append(". ");
        }

        if (a.RapidProgression && a.IndicatorReasons.All(r => !r.Code.Contains("progress", StringComparison.Ordinal)))
        {
            d.Append("The course is rapidly progressive. ");
        }

        d.Append("PTTM usually leads to right-heart failure and death within weeks and is mostly diagnosed only after death; treated early, patients have lived for months.\n");

        if (a.Missing.Count > 0)
        {
            d.Append("\n**Not in the chart** (would sharpen the decision):\n\n");
            foreach (var missing in a.Missing)
            {
                d.Append("- ").Append(MarkdownText.Escape(missing)).Append('\n');
            }
        }

        d.Append("\n| Criterion | Decisive evidence |\n| --- | --- |\n");
        foreach (var c in a.Criteria)
        {
            var decisive = a.Rows.Where(r => r.Criterion == c.Id && r.Role == EvidenceRole.Decisive)
                .GroupBy(r => r.Reference, StringComparer.Ordinal).Select(g => EvidenceText([.. g])).ToList();
            var cell = decisive.Count > 0 ? string.Join(" · ", decisive) : MarkdownText.Escape(c.Sentence);
            d.Append(CultureInfo.InvariantCulture, $"| {c.Label}: {StateText(c)} | {cell} |\n");
        }

        var others = a.Rows.Where(r => r.Role != EvidenceRole.Decisive).ToList();
        if (others.Count > 0)
        {
            d.Append("\n**Against it and context** (✗ speaks against the criterion; · context):\n\n");
            foreach (var e in others)
            {
                var mark = e.Role == EvidenceRole.Against ? "✗" : "·";
                d.Append(CultureInfo.InvariantCulture, $"- {mark} {a[e.Criterion].ShortName}{(e.FromProgression ? " (course)" : string.Empty)}: {EvidenceText([e])}\n");
            }
        }

        if (a.Differentials.Count > 0)
        {
            d.Append("\n**Also consider:** ").Append(string.Join("; ", a.Differentials.Select(MarkdownText.Escape))).Append('\n');
        }

        if (a.HasPreliminaryEvidence)
        {
            d.Append("\n**Preliminary results** decided part of this card; check them against the final reports.\n");
        }

        if (context.DataNotes.Count > 0)
        {
            d.Append("\n**About the data:**\n\n");
            foreach (var note in context.DataNotes)
            {
                d.Append("- ").Append(MarkdownText.Escape(note)).Append('\n');
            }
        }

        d.Append(CultureInfo.InvariantCulture, $"\nScreening rule {MarkdownText.Escape(a.RuleVersion)}, evaluated {a.EvaluatedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC over the last {a.WindowDays} days. A screening prompt, not a diagnosis.");
        return d.ToString();
    }

    /// <summary>
    /// One resource's evidence on one line: what the rule saw in it (with the code's display when
    /// neither the finding nor a quoted sentence says what it is), the value as recorded (a report's
    /// sentence quoted), its date and the resource: "SpO2 82 % (below 90 %) — 2026-12-04 (3 days
    /// ago) — Observation/obs5". Two findings of one resource share the line.
    /// </summary>
    internal static string EvidenceText(IReadOnlyList<EvidenceRow> rows)
    {
        var e = rows[0];
        var quoted = !string.IsNullOrEmpty(e.ValueAsWritten) && e.Value is null && !e.Finding.Contains(e.ValueAsWritten, StringComparison.OrdinalIgnoreCase);
        var text = new StringBuilder();
        if (!string.IsNullOrEmpty(e.Display) && e.Value is null && !quoted && !e.Finding.Contains(e.Display, StringComparison.OrdinalIgnoreCase))
        {
            text.Append(MarkdownText.Escape(Shorten(e.Display, 60))).Append(": ");
        }

        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            text.Append(i == 0 ? string.Empty : "; ").Append(MarkdownText.Escape(i == 0 ? row.Finding : LowerFirst(row.Finding)));
            if (!string.IsNullOrEmpty(row.Note))
            {
                text.Append(" (").Append(MarkdownText.Escape(row.Note)).Append(')');
            }

            if (row.Preliminary)
            {
                text.Append(" **preliminary**");
            }
        }

        if (quoted)
        {
            // A report's sentence or a coded answer, as written.
            text.Append(": “").Append(MarkdownText.Escape(Shorten(e.ValueAsWritten, 160))).Append('”');
        }
        else if (!string.IsNullOrEmpty(e.ValueAsWritten) && !e.Finding.Contains(e.ValueAsWritten, StringComparison.OrdinalIgnoreCase))
        {
            text.Append(", recorded as ").Append(MarkdownText.Escape(Shorten(e.ValueAsWritten, 160)));
            // The value in the rule's unit, unless the finding or its note already gives it.
            var converted = e.Value is { } v && e.Unit is not null ? $"{FormatValue(v)} {UnitText(e.Unit)}" : null;
            if (converted is not null && !SameUnit(e) && !rows.Any(r => r.Finding.Contains(converted, StringComparison.Ordinal) || (r.Note?.Contains(converted, StringComparison.Ordinal) ?? false)))
            {
                text.Append(" (= ").Append(MarkdownText.Escape(converted)).Append(')');
            }
        }

        text.Append(" — ").Append(DateText(e)).Append(" — ").Append(MarkdownText.Escape(e.Reference));
        return text.ToString();
    }

    private static ServiceRequest ServiceRequest(PttmAssessment a, CardContext context, OrderCode order)
    {
        var request = new ServiceRequest
        {
            Status = RequestStatus.Draft,
            Intent = RequestIntent.Proposal,
            Subject = new ResourceReference("Patient/" + context.PatientId),
            Code = new CodeableConcept(order.System, order.Code, order.Display, order.Text),
            ReasonCode = [new CodeableConcept { Text = ReasonText }],
            ReasonReference = [.. a.DecisiveReferences().Select(r => new ResourceReference(r))],
        };
        if (context.EncounterId is not null)
        {
            request.Encounter = new ResourceReference("Encounter/" + context.EncounterId);
        }

        if (order.SpecimenText is not null)
        {
            request.Note = [new Annotation { Text = new Hl7.Fhir.Model.Markdown("Specimen: " + order.SpecimenText) }];
        }

        return request;
    }

    private OrderCode Order(Recommendation recommendation)
    {
        var order = _defaultOrder(recommendation);
        var local = recommendation == Recommendation.WedgedPaCytology ? _options.WedgedPaCytology : _options.LungPerfusionScan;
        return order with
        {
            System = local.System ?? order.System,
            Code = local.Code ?? order.Code,
            Display = local.Display ?? (local.Code is null ? order.Display : local.Code),
            Text = local.Text ?? order.Text,
        };
    }

    internal static string RecommendationCode(Recommendation recommendation) => recommendation switch
    {
        Recommendation.LungPerfusionScan => "lung-perfusion-scan",
        Recommendation.WedgedPaCytology => "wedged-pa-cytology",
        _ => "none",
    };

    private static string StateText(CriterionView c) => c switch
    {
        { Perfusion: { } perfusion } => perfusion switch
        {
            PerfusionFinding.Defects => "**Defects**",
            PerfusionFinding.Normal => "Normal",
            _ => "Not done",
        },
        { IsFinding: true } => c.State switch
        {
            CriterionState.Met => "Present",
            CriterionState.NotMet => "Absent",
            _ => "No data",
        },
        _ => c.State switch
        {
            CriterionState.Met => "**Met**",
            CriterionState.NotMet => "Not met",
            _ => "Unknown (no data)",
        },
    };

    private static string DateText(EvidenceRow e)
    {
        if (e.EffectiveAt is not { } t || e.DaysBefore is not { } days)
        {
            return "undated";
        }

        var ago = days switch
        {
            < 0 => "future",
            0 => "today",
            1 => "1 day ago",
            < 730 => $"{days} days ago",
            _ => $"{days / 365} years ago",
        };
        return $"{t.UtcDateTime:yyyy-MM-dd} ({ago})";
    }

    private static bool SameUnit(EvidenceRow e)
    {
        var written = e.ValueAsWritten ?? string.Empty;
        return written.Contains(UnitText(e.Unit!), StringComparison.OrdinalIgnoreCase);
    }

    private static string UnitText(string ucum) => ucum switch
    {
        "mm[Hg]" => "mmHg",
        "10*3/uL" => "×10³/µL",
        "ug/mL" => "µg/mL",
        "dyn.s.cm-5" => "dyn·s/cm⁵",
        _ => ucum,
    };

    private static string FormatValue(double value) =>
        Math.Abs(value) >= 100 ? value.ToString("0", CultureInfo.InvariantCulture) : value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string LowerFirst(string text) =>
        text.Length > 1 && char.IsUpper(text[0]) && !char.IsUpper(text[1]) ? char.ToLowerInvariant(text[0]) + text[1..] : text;

    private static string? Shorten(string? text, int max) =>
        text is null || text.Length <= max ? text : text[..(max - 1)] + "…";
}
