using System.Text.Json.Serialization;
using Hl7.Fhir.Model;

namespace PttmHooks.Service.CdsHooks;

// The CDS Hooks 2.0 response model (https://cds-hooks.hl7.org/2.0/#cds-service-response).
// Firely's Hl7.Fhir.Model.CdsHooks types were tried first: they are marked experimental, write
// every unset member as null (the spec forbids it), name the source topic "coding", drop
// feedback's outcomeTimestamp, and fail a whole request on one invalid prefetch element.
// Optional members here are null when unset, and CdsJson omits nulls.

/// <summary>The body of a service's answer: <c>{"cards": [...]}</c>.</summary>
public sealed record CdsResponse([property: JsonPropertyName("cards")] IReadOnlyList<Card> Cards);

/// <summary>A card, as the spec defines it.</summary>
public sealed record Card
{
    /// <summary>Unique id of the card, for feedback.</summary>
    [JsonPropertyName("uuid")]
    public string? Uuid { get; init; }

    /// <summary>One-sentence summary, under 140 characters.</summary>
    [JsonPropertyName("summary")]
    public required string Summary { get; init; }

    /// <summary>GitHub-flavoured Markdown detail.</summary>
    [JsonPropertyName("detail")]
    public string? Detail { get; init; }

    /// <summary><c>info</c>, <c>warning</c> or <c>critical</c>.</summary>
    [JsonPropertyName("indicator")]
    public required string Indicator { get; init; }

    /// <summary>Where the card's guidance comes from.</summary>
    [JsonPropertyName("source")]
    public required CardSource Source { get; init; }

    /// <summary>The suggested actions (null when none).</summary>
    [JsonPropertyName("suggestions")]
    public IReadOnlyList<Suggestion>? Suggestions { get; init; }

    /// <summary><c>at-most-one</c> or <c>any</c>; required when there are suggestions.</summary>
    [JsonPropertyName("selectionBehavior")]
    public string? SelectionBehavior { get; init; }

    /// <summary>Reasons a clinician may give for overriding the card.</summary>
    [JsonPropertyName("overrideReasons")]
    public IReadOnlyList<CdsCoding>? OverrideReasons { get; init; }

    /// <summary>Links to references or apps.</summary>
    [JsonPropertyName("links")]
    public IReadOnlyList<CardLink>? Links { get; init; }
}

/// <summary>A card's source.</summary>
public sealed record CardSource
{
    /// <summary>Short, human-readable label.</summary>
    [JsonPropertyName("label")]
    public required string Label { get; init; }

    /// <summary>An absolute URL where the user can learn more.</summary>
    [JsonPropertyName("url")]
    public string? Url { get; init; }

    /// <summary>A coded topic for the card, for analytics.</summary>
    [JsonPropertyName("topic")]
    public CdsCoding? Topic { get; init; }
}

/// <summary>A Coding as the CDS Hooks spec writes it (not a FHIR element: no extensions).</summary>
public sealed record CdsCoding
{
    /// <summary>The code.</summary>
    [JsonPropertyName("code")]
    public required string Code { get; init; }

    /// <summary>The code system URI.</summary>
    [JsonPropertyName("system")]
    public string? System { get; init; }

    /// <summary>What a user sees; required for override reasons.</summary>
    [JsonPropertyName("display")]
    public string? Display { get; init; }
}

/// <summary>A suggestion: a set of actions the user can accept with one click.</summary>
public sealed record Suggestion
{
    /// <summary>Human-readable label.</summary>
    [JsonPropertyName("label")]
    public required string Label { get; init; }

    /// <summary>Unique id, for feedback.</summary>
    [JsonPropertyName("uuid")]
    public string? Uuid { get; init; }

    /// <summary>Whether the service recommends it.</summary>
    [JsonPropertyName("isRecommended")]
    public bool? IsRecommended { get; init; }

    /// <summary>The actions.</summary>
    [JsonPropertyName("actions")]
    public IReadOnlyList<CdsAction>? Actions { get; init; }
}

/// <summary>An action: create, update or delete a FHIR resource.</summary>
public sealed record CdsAction
{
    /// <summary><c>create</c>, <c>update</c> or <c>delete</c>.</summary>
    [JsonPropertyName("type")]
    public required string Type { get; init; }

    /// <summary>Human-readable description.</summary>
    [JsonPropertyName("description")]
    public required string Description { get; init; }

    /// <summary>The resource to create or update (FHIR JSON).</summary>
    [JsonPropertyName("resource")]
    [JsonConverter(typeof(FhirResourceJsonConverter))]
    public Resource? Resource { get; init; }
}

/// <summary>A card link.</summary>
public sealed record CardLink
{
    /// <summary>Human-readable label.</summary>
    [JsonPropertyName("label")]
    public required string Label { get; init; }

    /// <summary>Absolute URL.</summary>
    [JsonPropertyName("url")]
    public required string Url { get; init; }

    /// <summary><c>absolute</c> or <c>smart</c>.</summary>
    [JsonPropertyName("type")]
    public required string Type { get; init; }
}
