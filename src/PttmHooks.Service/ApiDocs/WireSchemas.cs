using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Hl7.Fhir.Model;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Service.CdsHooks;

namespace PttmHooks.Service.ApiDocs;

// The request bodies as CDS Hooks 2.0 puts them on the wire, for the OpenAPI document only. The
// service does not bind to these types: HookRequestParser and FeedbackParser read the JSON by hand
// so that every problem is reported at once, with its path. Tests validate the public fixtures and
// the sample requests against the schemas generated from these records, so the two cannot drift.

/// <summary>The body of a CDS service call (CDS Hooks 2.0 "HTTP Request") for the <c>patient-view</c> hook.</summary>
public sealed record HookRequestBody
{
    /// <summary>The hook that fired: <c>patient-view</c>.</summary>
    [JsonPropertyName("hook")]
    public required string Hook { get; init; }

    /// <summary>A UUID the EHR gives this hook call.</summary>
    [JsonPropertyName("hookInstance")]
    public required Guid HookInstance { get; init; }

    /// <summary>
    /// The EHR's FHIR base URL, for the prefetch keys it did not fill: https, and one of the FHIR
    /// servers of the client that signed the call (http to loopback in Development only).
    /// </summary>
    [JsonPropertyName("fhirServer")]
    public Uri? FhirServer { get; init; }

    /// <summary>The OAuth 2.0 token for <c>fhirServer</c>; only with <c>fhirServer</c>.</summary>
    [JsonPropertyName("fhirAuthorization")]
    public FhirAuthorizationBody? FhirAuthorization { get; init; }

    /// <summary>The hook's context.</summary>
    [JsonPropertyName("context")]
    public required PatientViewContext Context { get; init; }

    /// <summary>
    /// The prefetch values by key (the keys of the discovery document): a FHIR resource (a
    /// searchset Bundle, the Patient), <c>null</c> for "no data", or an OperationOutcome for a
    /// query that failed. A key left out, or an OperationOutcome, is fetched from <c>fhirServer</c>.
    /// </summary>
    [JsonPropertyName("prefetch")]
    public IReadOnlyDictionary<string, Resource?>? Prefetch { get; init; }
}

/// <summary>The context of <c>patient-view</c> 1.0.</summary>
public sealed record PatientViewContext
{
    /// <summary>The user, as a relative reference: <c>Practitioner/123</c> (or PractitionerRole, Patient, RelatedPerson).</summary>
    [JsonPropertyName("userId")]
    [RegularExpression("^(Practitioner|PractitionerRole|Patient|RelatedPerson)/[A-Za-z0-9\\-\\.]{1,64}$")]
    public required string UserId { get; init; }

    /// <summary>The FHIR id of the patient whose chart is open (an id, not <c>Patient/123</c>).</summary>
    [JsonPropertyName("patientId")]
    [RegularExpression("^[A-Za-z0-9\\-\\.]{1,64}$")]
    public required string PatientId { get; init; }

    /// <summary>The FHIR id of the current encounter, when there is one.</summary>
    [JsonPropertyName("encounterId")]
    [RegularExpression("^[A-Za-z0-9\\-\\.]{1,64}$")]
    public string? EncounterId { get; init; }
}

/// <summary>The token the EHR grants for its FHIR server (CDS Hooks 2.0 "fhirAuthorization"); every member but <c>patient</c> is required.</summary>
public sealed record FhirAuthorizationBody
{
    /// <summary>The bearer token (never logged, never kept past the call).</summary>
    [JsonPropertyName("access_token")]
    public required string AccessToken { get; init; }

    /// <summary>Always <c>Bearer</c>.</summary>
    [JsonPropertyName("token_type")]
    public required string TokenType { get; init; }

    /// <summary>Its lifetime in seconds.</summary>
    [JsonPropertyName("expires_in")]
    public required long ExpiresIn { get; init; }

    /// <summary>The scopes granted (<c>patient/Observation.read …</c>).</summary>
    [JsonPropertyName("scope")]
    public required string Scope { get; init; }

    /// <summary>The OAuth client id the token was issued to.</summary>
    [JsonPropertyName("subject")]
    public required string Subject { get; init; }

    /// <summary>The patient the token is restricted to, when it is.</summary>
    [JsonPropertyName("patient")]
    public string? Patient { get; init; }
}

/// <summary>The body of a feedback call (CDS Hooks 2.0 "Feedback"): one or more entries.</summary>
public sealed record FeedbackBody
{
    /// <summary>The entries, at least one.</summary>
    [JsonPropertyName("feedback")]
    [MinLength(1)]
    public required IReadOnlyList<FeedbackEntryBody> Feedback { get; init; }
}

/// <summary>What the user did with one card.</summary>
public sealed record FeedbackEntryBody
{
    /// <summary>The card's <c>uuid</c>.</summary>
    [JsonPropertyName("card")]
    public required string Card { get; init; }

    /// <summary><c>accepted</c> (with <c>acceptedSuggestions</c>) or <c>overridden</c>.</summary>
    [JsonPropertyName("outcome")]
    public required string Outcome { get; init; }

    /// <summary>The suggestions taken; required when accepted, absent when overridden.</summary>
    [JsonPropertyName("acceptedSuggestions")]
    public IReadOnlyList<AcceptedSuggestionBody>? AcceptedSuggestions { get; init; }

    /// <summary>Why the card was overridden: a reason, a comment, or both; only when overridden.</summary>
    [JsonPropertyName("overrideReason")]
    public OverrideReasonBody? OverrideReason { get; init; }

    /// <summary>When the user acted (ISO 8601 instant).</summary>
    [JsonPropertyName("outcomeTimestamp")]
    public required DateTimeOffset OutcomeTimestamp { get; init; }
}

/// <summary>An accepted suggestion, by its <c>uuid</c>.</summary>
public sealed record AcceptedSuggestionBody
{
    /// <summary>The suggestion's <c>uuid</c>.</summary>
    [JsonPropertyName("id")]
    public required string Id { get; init; }
}

/// <summary>An override reason: one of the card's <c>overrideReasons</c>, a comment, or both.</summary>
public sealed record OverrideReasonBody
{
    /// <summary>The reason, as the card offered it (its <c>display</c> may be left out).</summary>
    [JsonPropertyName("reason")]
    public CdsCoding? Reason { get; init; }

    /// <summary>The user's own words (never logged).</summary>
    [JsonPropertyName("userComment")]
    public string? UserComment { get; init; }
}
