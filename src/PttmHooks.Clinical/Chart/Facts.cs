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

/// <summary>One measured value (an Observation or one of its components), converted into the rule's unit.</summary>
internal sealed record Measurement(
    Observation Resource,
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
    string? Problem)
{
    public DateTimeOffset? Time => At?.Latest;
}

/// <summary>The kind of report, its text, and what its conclusion codes say.</summary>
internal sealed record ReportFact(
    DiagnosticReport Resource,
    Concept Kind,
    string Display,
    string Text,
    TimeSpanOf? At,
    bool Preliminary,
    IReadOnlyList<string> ConclusionMeanings)
{
    public DateTimeOffset? Time => At?.Latest;
}

/// <summary>The look-back window [Start, End], End being now plus the tolerance for clock skew.</summary>
internal readonly record struct Window(DateTimeOffset Start, DateTimeOffset Now, DateTimeOffset End)
{
    /// <summary>True when any instant of the element's span lies in the window (a partial date "2026-08" counts if August reaches it).</summary>
    public bool Contains(TimeSpanOf? at) => at is { } t && t.Latest >= Start && t.Earliest <= End;

    public bool Contains(DateTimeOffset? at) => at is { } t && t >= Start && t <= End;
}
