using Hl7.Fhir.Model;
using PttmHooks.Clinical.Terminology;

namespace PttmHooks.Clinical.Chart;

/// <summary>Condition.clinicalStatus, read.</summary>
internal enum ClinicalStatus
{
    Unspecified,
    Active,
    Recurrence,
    Relapse,
    Inactive,
    Remission,
    Resolved,
}

/// <summary>A qualitative result: "Positive", "Detected", a POS interpretation.</summary>
internal enum Qualitative
{
    None,
    Positive,
    Negative,
}

/// <summary>Observation.interpretation, read.</summary>
internal enum Flag
{
    None,
    Normal,
    High,
    Low,
    Abnormal,
}

/// <summary>A Condition the rule recognised, with its concepts and dates.</summary>
internal sealed record ConditionFact(
    Condition Resource,
    ConceptSet Concepts,
    string Display,
    string? Site,
    CodeTraits Traits,
    TimeSpanOf? Onset,
    TimeSpanOf? Recorded,
    ClinicalStatus Status,
    bool Unconfirmed,
    bool RapidText,
    string? Note)
{
    /// <summary>The date that places the condition in time: onset, else recorded.</summary>
    public DateTimeOffset? Date => Onset?.Earliest ?? Recorded?.Earliest;

    /// <summary>Active unless the record says it is over (no status reads as active).</summary>
    public bool IsActive => Status is ClinicalStatus.Unspecified or ClinicalStatus.Active or ClinicalStatus.Recurrence or ClinicalStatus.Relapse;

    public bool InWindow(Window window) => window.Contains(Onset) || window.Contains(Recorded);
}

/// <summary>
/// One measured value, converted into the rule's unit: an Observation or one of its components, or a
/// number stated in the text of an echocardiography or catheterisation report or note (pttm-criteria.md
/// 1.1, "Numbers in report text"; then <see cref="Note"/> says so and <see cref="Written"/> is the sentence).
/// </summary>
internal sealed record Measurement(
    Resource Resource,
    Concept Concept,
    string Display,
    double? Value,
    string? Comparator,
    string? Written,
    TimeSpanOf? At,
    bool Preliminary,
    bool Exertion,
    CodeTraits Traits,
    Qualitative Qualitative,
    Flag Flag,
    string? Problem,
    string? Note = null)
{
    public DateTimeOffset? Time => At?.Latest;

    /// <summary>True when the value was read from a report's text, not from a coded Observation.</summary>
    public bool FromText => Resource is not Observation;
}

/// <summary>One part of a report's text and where it came from (null: the conclusion).</summary>
internal readonly record struct TextPart(int Start, int Length, string? Source);

/// <summary>An attachment of a report or note whose text could not be read.</summary>
internal readonly record struct UnreadPart(string Origin, string Problem);

/// <summary>
/// A report the rule reads: a DiagnosticReport, or a clinical note (DocumentReference) of a kind the
/// rule reads. Its kind, its text (every part of it, pttm-criteria.md 1.1 "Report text, wherever the
/// EHR puts it"), where each part came from, what its conclusion codes say, and what could not be read.
/// </summary>
internal sealed record ReportFact(
    Resource Resource,
    Concept Kind,
    string Display,
    string Text,
    TimeSpanOf? At,
    bool Preliminary,
    IReadOnlyList<string> ConclusionMeanings)
{
    public DateTimeOffset? Time => At?.Latest;

    /// <summary>The parts of <see cref="Text"/>, in order, separated by line breaks.</summary>
    public IReadOnlyList<TextPart> Parts { get; init; } = [];

    /// <summary>The attachments whose text could not be read.</summary>
    public IReadOnlyList<UnreadPart> Unread { get; init; } = [];

    /// <summary>Statements in the text that a measure could not be measured ("RVSP could not be estimated").</summary>
    public IReadOnlyList<PttmHooks.Clinical.Text.TextGap> NotMeasured { get; init; } = [];

    /// <summary>"DiagnosticReport/7", "DocumentReference/n1".</summary>
    public string Reference => Resource.TypeName + "/" + (Resource.Id ?? "(no id)");

    /// <summary>Where the text at <paramref name="offset"/> came from ("the attached report (Binary/7)"), or null for the conclusion.</summary>
    public string? SourceAt(int offset)
    {
        foreach (var part in Parts)
        {
            if (offset >= part.Start && offset < part.Start + Math.Max(1, part.Length))
            {
                return part.Source;
            }
        }

        return null;
    }
}

/// <summary>The look-back window [Start, End], End being now plus the tolerance for clock skew.</summary>
internal readonly record struct Window(DateTimeOffset Start, DateTimeOffset Now, DateTimeOffset End)
{
    /// <summary>True when any instant of the element's span lies in the window (a partial date "2026-08" counts if August reaches it).</summary>
    public bool Contains(TimeSpanOf? at) => at is { } t && t.Latest >= Start && t.Earliest <= End;

    public bool Contains(DateTimeOffset? at) => at is { } t && t >= Start && t <= End;
}
