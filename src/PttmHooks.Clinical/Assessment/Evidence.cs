namespace PttmHooks.Clinical.Assessment;

/// <summary>What a piece of evidence does for its criterion.</summary>
public enum EvidenceRole
{
    /// <summary>It decided the criterion's state (an SpO2 under 90 % for C2).</summary>
    Decisive,
    /// <summary>It was considered and speaks against the criterion (an SpO2 of 97 %).</summary>
    Against,
    /// <summary>Shown for context; it decides nothing (a value whose unit cannot be converted, an old study).</summary>
    Context,
}

/// <summary>
/// One resource the rule read, and what it read there: enough for a clinician to find the resource
/// in the chart and judge it.
/// </summary>
public sealed record Evidence
{
    /// <summary>FHIR resource type ("Observation").</summary>
    public required string ResourceType { get; init; }

    /// <summary>The resource's logical id.</summary>
    public required string ResourceId { get; init; }

    /// <summary>A relative reference, "Observation/123".</summary>
    public string Reference => ResourceType + "/" + ResourceId;

    /// <summary>What the rule saw, in its words ("SpO2 below 90 %", "CTPA negative for PE").</summary>
    public required string Finding { get; init; }

    /// <summary>The resource's own label: the code's display or text.</summary>
    public string? Display { get; init; }

    /// <summary>The value as written in the resource ("8.4 kPa", "Positive"), or the quoted sentence of a report.</summary>
    public string? ValueAsWritten { get; init; }

    /// <summary>The value in the rule's unit, when the rule converted it.</summary>
    public double? Value { get; init; }

    /// <summary>The rule's unit (UCUM) of <see cref="Value"/>.</summary>
    public string? Unit { get; init; }

    /// <summary>The clinically relevant time: effective, onset or recorded date.</summary>
    public DateTimeOffset? EffectiveAt { get; init; }

    /// <summary>True when the result is preliminary (or partial): it counts, and the card says so.</summary>
    public bool Preliminary { get; init; }

    /// <summary>Whether it decided the criterion, spoke against it, or is context.</summary>
    public EvidenceRole Role { get; init; }

    /// <summary>Anything a clinician should know about how it was read ("on exertion", "unit not convertible").</summary>
    public string? Note { get; init; }
}
