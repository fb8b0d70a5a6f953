namespace PttmHooks.Clinical.Assessment;

/// <summary>
/// What is shown of an assessment, whatever shows it: the decision and the next step, each criterion
/// with its label, state, sentence and evidence rows (decisive separately from what speaks against it
/// and from context), the progression, what is missing, the differentials and the data notes of the
/// rule. The service's card and the command line's table are two renderings of this one model; each
/// only chooses words, marks and escaping. Built once from a <see cref="PttmAssessment"/> with
/// <see cref="Of"/>; immutable.
/// </summary>
public sealed class AssessmentView
{
    private readonly IReadOnlyList<CriterionView> _criteria;

    private AssessmentView(PttmAssessment assessment)
    {
        Recommendation = assessment.Recommendation;
        Suspicion = assessment.Suspicion;
        Indicator = assessment.Indicator;
        Reasons = assessment.Reasons;
        IndicatorReasons = assessment.IndicatorReasons;
        SuggestEchocardiography = assessment.SuggestEchocardiography;
        RapidProgression = assessment.RapidProgression;
        Perfusion = assessment.Perfusion;
        EvaluatedAt = assessment.EvaluatedAt;
        WindowStart = assessment.WindowStart;
        RuleVersion = assessment.RuleVersion;
        Missing = assessment.Missing;
        Differentials = assessment.Differentials;
        UnreadTexts = assessment.UnreadTexts;
        _criteria = [.. assessment.Criteria.Select(c => new CriterionView(c, assessment.Perfusion, assessment.EvaluatedAt))];
        Progression = [.. assessment.ProgressionEvidence.Select(e => EvidenceRow.Of(e, CriterionId.C2, progression: true, assessment.EvaluatedAt))];
        Rows = [.. _criteria.SelectMany(c => c.Evidence).Concat(Progression).DistinctBy(r => (r.Criterion, r.Reference, r.Finding))];
        References = [.. _criteria.SelectMany(c => c.Evidence).Concat(Progression).Select(r => r.Reference).Distinct(StringComparer.Ordinal)];
        HasPreliminaryEvidence = _criteria.Any(c => c.Decisive.Any(r => r.Preliminary));
    }

    /// <summary>The view of <paramref name="assessment"/>.</summary>
    public static AssessmentView Of(PttmAssessment assessment)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        return new AssessmentView(assessment);
    }

    /// <summary>The next step the rule recommends (<see cref="Recommendation.None"/>: no card).</summary>
    public Recommendation Recommendation { get; }

    /// <summary>How strongly PTTM is suspected; null when there is no card.</summary>
    public Suspicion? Suspicion { get; }

    /// <summary>The card's urgency; null when there is no card.</summary>
    public Indicator? Indicator { get; }

    /// <summary>True when the assessment shows a card: a recommendation with its suspicion and indicator.</summary>
    public bool ShowsCard => Recommendation != Recommendation.None && Suspicion is not null && Indicator is not null;

    /// <summary>Why the decision table decided what it did, in order.</summary>
    public IReadOnlyList<Reason> Reasons { get; }

    /// <summary>Why the card is critical (signs of imminent decompensation); empty otherwise.</summary>
    public IReadOnlyList<Reason> IndicatorReasons { get; }

    /// <summary>True when echocardiography should be suggested beside the next step (PH not yet assessed).</summary>
    public bool SuggestEchocardiography { get; }

    /// <summary>True when the course is rapidly progressive.</summary>
    public bool RapidProgression { get; }

    /// <summary>C5's reading of perfusion imaging.</summary>
    public PerfusionFinding Perfusion { get; }

    /// <summary>Every criterion, C1 to C7 then CTEPH.</summary>
    public IReadOnlyList<CriterionView> Criteria => _criteria;

    /// <summary>One criterion.</summary>
    public CriterionView this[CriterionId id] => _criteria[(int)id];

    /// <summary>The evidence of the progression check (attributed to C2, <see cref="EvidenceRow.FromProgression"/> set).</summary>
    public IReadOnlyList<EvidenceRow> Progression { get; }

    /// <summary>
    /// One table of every row: each criterion's evidence in criterion order, then the progression's
    /// (as C2's); a row whose criterion, reference and finding an earlier row has is left out.
    /// </summary>
    public IReadOnlyList<EvidenceRow> Rows { get; }

    /// <summary>Every resource the view cites, once, in the order first cited (the assessment's evidence references).</summary>
    public IReadOnlyList<string> References { get; }

    /// <summary>True when some decisive evidence is preliminary.</summary>
    public bool HasPreliminaryEvidence { get; }

    /// <summary>What is not in the chart and would sharpen the decision.</summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>Other diagnoses to consider.</summary>
    public IReadOnlyList<string> Differentials { get; }

    /// <summary>Reports and notes whose text could not be read.</summary>
    public IReadOnlyList<UnreadText> UnreadTexts { get; }

    /// <summary>The time of the evaluation.</summary>
    public DateTimeOffset EvaluatedAt { get; }

    /// <summary>The start of the look-back window.</summary>
    public DateTimeOffset WindowStart { get; }

    /// <summary>The look-back window in whole days (rounded).</summary>
    public int WindowDays => (int)Math.Round((EvaluatedAt - WindowStart).TotalDays);

    /// <summary>The version of the rule and its value sets.</summary>
    public string RuleVersion { get; }
}

/// <summary>One criterion as shown: its label, state, sentence and evidence rows.</summary>
public sealed class CriterionView
{
    internal CriterionView(CriterionResult result, PerfusionFinding perfusion, DateTimeOffset evaluatedAt)
    {
        Id = result.Id;
        Title = result.Title;
        State = result.State;
        Sentence = result.Summary;
        Perfusion = result.Id == CriterionId.C5 ? perfusion : null;
        Evidence = [.. result.Evidence.Select(e => EvidenceRow.Of(e, result.Id, progression: false, evaluatedAt))];
    }

    /// <summary>The criterion.</summary>
    public CriterionId Id { get; }

    /// <summary>Its title as the rule names it ("Solid malignancy").</summary>
    public string Title { get; }

    /// <summary>Its short name: C1 … C7, or CTEPH.</summary>
    public string ShortName => Id == CriterionId.Cteph ? "CTEPH" : Id.ToString();

    /// <summary>Its label: "C1 Solid malignancy" … "C7 PTTM already established", and "CTEPH (differential)".</summary>
    public string Label => Id == CriterionId.Cteph ? "CTEPH (differential)" : $"{Id} {Title}";

    /// <summary>Met, not met, or unknown (no data).</summary>
    public CriterionState State { get; }

    /// <summary>
    /// True for C6, C7 and CTEPH, which are findings (present or absent) rather than criteria to meet.
    /// </summary>
    public bool IsFinding => Id is CriterionId.C6 or CriterionId.C7 or CriterionId.Cteph;

    /// <summary>For C5, what perfusion imaging showed; null for every other criterion.</summary>
    public PerfusionFinding? Perfusion { get; }

    /// <summary>The sentence saying why the criterion is in its state.</summary>
    public string Sentence { get; }

    /// <summary>Every row of its evidence, in the rule's order.</summary>
    public IReadOnlyList<EvidenceRow> Evidence { get; }

    /// <summary>The rows that decided the criterion.</summary>
    public IEnumerable<EvidenceRow> Decisive => Evidence.Where(r => r.Role == EvidenceRole.Decisive);

    /// <summary>The rows that speak against it.</summary>
    public IEnumerable<EvidenceRow> Against => Evidence.Where(r => r.Role == EvidenceRole.Against);

    /// <summary>The rows shown for context only.</summary>
    public IEnumerable<EvidenceRow> Context => Evidence.Where(r => r.Role == EvidenceRole.Context);
}

/// <summary>One row of evidence as shown.</summary>
/// <param name="Criterion">The criterion the row belongs to (C2 for the progression's).</param>
/// <param name="Role">Decisive, against, or context.</param>
/// <param name="Reference">The resource ("Observation/obs-1").</param>
/// <param name="Finding">What the rule saw.</param>
/// <param name="Display">The code's display, when the resource has one.</param>
/// <param name="ValueAsWritten">The value as the resource wrote it, or the quoted sentence of a report.</param>
/// <param name="Value">The value in the rule's unit, when it converted one.</param>
/// <param name="Unit">The rule's unit (UCUM) of <paramref name="Value"/>.</param>
/// <param name="EffectiveAt">When it was observed; null when undated.</param>
/// <param name="DaysBefore">Whole days before the evaluation (negative: in the future); null when undated.</param>
/// <param name="Preliminary">True when the result is preliminary.</param>
/// <param name="Note">A note (on exertion, unit not convertible, FiO2 assumed), or null.</param>
/// <param name="FromProgression">True for a row of the progression check.</param>
public sealed record EvidenceRow(
    CriterionId Criterion,
    EvidenceRole Role,
    string Reference,
    string Finding,
    string? Display,
    string? ValueAsWritten,
    double? Value,
    string? Unit,
    DateTimeOffset? EffectiveAt,
    int? DaysBefore,
    bool Preliminary,
    string? Note,
    bool FromProgression)
{
    internal static EvidenceRow Of(Evidence e, CriterionId criterion, bool progression, DateTimeOffset evaluatedAt) => new(
        criterion,
        e.Role,
        e.Reference,
        e.Finding,
        e.Display,
        e.ValueAsWritten,
        e.Value,
        e.Unit,
        e.EffectiveAt,
        e.EffectiveAt is { } at ? (int)Math.Floor((evaluatedAt - at).TotalDays) : null,
        e.Preliminary,
        e.Note,
        progression);
}
