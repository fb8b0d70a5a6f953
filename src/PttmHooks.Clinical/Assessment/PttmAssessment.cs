namespace PttmHooks.Clinical.Assessment;

/// <summary>The next diagnostic step the rule recommends.</summary>
public enum Recommendation
{
    /// <summary>No card.</summary>
    None,
    /// <summary>Lung perfusion scintigraphy (Q or V/Q scan).</summary>
    LungPerfusionScan,
    /// <summary>Cytology of wedged pulmonary artery blood (pulmonary microvascular cytology).</summary>
    WedgedPaCytology,
}

/// <summary>How strongly the chart suggests PTTM.</summary>
public enum Suspicion
{
    /// <summary>The full pattern: cancer, hypoxaemia, PH and PE excluded.</summary>
    Suspected,
    /// <summary>The pattern with one step missing (no CTPA yet, or no PH assessment yet).</summary>
    Possible,
}

/// <summary>The CDS Hooks card indicator.</summary>
public enum Indicator
{
    /// <summary>Informational: PTTM possible.</summary>
    Info,
    /// <summary>PTTM suspected.</summary>
    Warning,
    /// <summary>PTTM suspected with a sign of imminent decompensation.</summary>
    Critical,
}

/// <summary>Why the rule decided what it decided, as a stable code and a sentence.</summary>
public sealed record Reason(string Code, string Text);

/// <summary>
/// A report or note of a kind the rule reads whose text (an attachment) could not be read
/// (pttm-criteria.md 1.1, "Report text, wherever the EHR puts it").
/// </summary>
/// <param name="Reference">The report or note, "DiagnosticReport/7".</param>
/// <param name="Problem">Why its text could not be read.</param>
/// <param name="CouldDecide">True when the decision could depend on it: it then counts as missing data (412).</param>
public sealed record UnreadText(string Reference, string Problem, bool CouldDecide);

/// <summary>The primary malignancy as the chart names it.</summary>
public sealed record MalignancyProfile(
    IReadOnlyList<string> PrimarySites,
    bool Adenocarcinoma,
    bool SignetRing,
    bool HaematologicalOnly);

/// <summary>
/// The rule's answer for one chart at one time: each criterion with its evidence, the decision, and
/// the reasons for it. Everything a card needs to explain itself.
/// </summary>
public sealed record PttmAssessment
{
    /// <summary>The time the rule was evaluated at ("now").</summary>
    public required DateTimeOffset EvaluatedAt { get; init; }

    /// <summary>The start of the look-back window.</summary>
    public required DateTimeOffset WindowStart { get; init; }

    /// <summary>The criteria in order C1–C7, then the CTEPH differential.</summary>
    public required IReadOnlyList<CriterionResult> Criteria { get; init; }

    /// <summary>C5's three-way reading.</summary>
    public required PerfusionFinding Perfusion { get; init; }

    /// <summary>The recommended next step (None: no card).</summary>
    public required Recommendation Recommendation { get; init; }

    /// <summary>Suspected or possible; null when there is no card.</summary>
    public Suspicion? Suspicion { get; init; }

    /// <summary>The card's indicator; null when there is no card.</summary>
    public Indicator? Indicator { get; init; }

    /// <summary>The reasons for the decision, in the order the decision table applied them.</summary>
    public required IReadOnlyList<Reason> Reasons { get; init; }

    /// <summary>Why the indicator is critical (empty otherwise).</summary>
    public required IReadOnlyList<Reason> IndicatorReasons { get; init; }

    /// <summary>What the chart lacks that would sharpen the decision ("no echocardiogram in the window").</summary>
    public required IReadOnlyList<string> Missing { get; init; }

    /// <summary>Differentials the card should name (CTEPH for a long history, lymphangitic carcinomatosis).</summary>
    public required IReadOnlyList<string> Differentials { get; init; }

    /// <summary>Rapid progression (a severity flag).</summary>
    public required bool RapidProgression { get; init; }

    /// <summary>The evidence of rapid progression.</summary>
    public required IReadOnlyList<Evidence> ProgressionEvidence { get; init; }

    /// <summary>The malignancy as named in the chart.</summary>
    public required MalignancyProfile Malignancy { get; init; }

    /// <summary>True when the card should also suggest echocardiography (PH not yet assessed).</summary>
    public bool SuggestEchocardiography { get; init; }

    /// <summary>The version of the rule and its value sets.</summary>
    public required string RuleVersion { get; init; }

    /// <summary>Reports and notes the rule reads whose text could not be read (named on the card).</summary>
    public IReadOnlyList<UnreadText> UnreadTexts { get; init; } = [];

    /// <summary>The result of one criterion.</summary>
    public CriterionResult this[CriterionId id] => Criteria[(int)id];

    /// <summary>True when some evidence that counted is preliminary.</summary>
    public bool HasPreliminaryEvidence => Criteria.Any(c => c.Evidence.Any(e => e.Preliminary && e.Role == EvidenceRole.Decisive));

    /// <summary>Every resource the assessment cites, once, in criterion order.</summary>
    public IReadOnlyList<string> EvidenceReferences() =>
        Criteria.SelectMany(c => c.Evidence).Concat(ProgressionEvidence).Select(e => e.Reference).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The references of evidence that decided a criterion (for a ServiceRequest's reasonReference).</summary>
    public IReadOnlyList<string> DecisiveReferences() =>
        Criteria.SelectMany(c => c.Evidence).Where(e => e.Role == EvidenceRole.Decisive).Select(e => e.Reference).Distinct(StringComparer.Ordinal).ToList();
}
