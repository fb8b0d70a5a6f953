using System.Text.Json;

namespace PttmHooks.Reading.CdsHooks;

/// <summary>A validated CDS Hooks 2.0 request (https://cds-hooks.hl7.org/2.0/#http-request-1).</summary>
/// <remarks>
/// Prefetch values stay as raw JSON until the service checks them against its templates: the spec
/// gives <c>null</c>, an absent key and an OperationOutcome different meanings, which a typed
/// dictionary of resources would blur.
/// </remarks>
public sealed class HookRequest
{
    /// <summary>The hook that fired (<c>patient-view</c>).</summary>
    public required string Hook { get; init; }

    /// <summary>The client's id for this hook call.</summary>
    public required Guid HookInstance { get; init; }

    /// <summary>The EHR's FHIR base URL, when given.</summary>
    public Uri? FhirServer { get; init; }

    /// <summary>The token for <see cref="FhirServer"/>, when given.</summary>
    public FhirAuthorization? FhirAuthorization { get; init; }

    /// <summary>The hook's context.</summary>
    public required HookContext Context { get; init; }

    /// <summary>
    /// The prefetch values by key, as sent (a JSON <c>null</c> is kept as a value of kind Null).
    /// Empty when the request has no <c>prefetch</c>.
    /// </summary>
    public required IReadOnlyDictionary<string, JsonElement> Prefetch { get; init; }
}

/// <summary>The context of a <c>patient-view</c> hook.</summary>
/// <param name="UserId">The user, as <c>Practitioner/123</c> (or PractitionerRole, Patient, RelatedPerson).</param>
/// <param name="PatientId">The FHIR id of the patient whose chart is open.</param>
/// <param name="EncounterId">The FHIR id of the current encounter, when there is one.</param>
/// <param name="Fields">Every primitive context field as sent, for prefetch tokens.</param>
public sealed record HookContext(string UserId, string PatientId, string? EncounterId, IReadOnlyDictionary<string, string> Fields);

/// <summary>
/// The OAuth 2.0 token the EHR grants for its FHIR server. <see cref="ToString"/> never shows the
/// token, so it cannot reach a log by accident.
/// </summary>
public sealed class FhirAuthorization
{
    /// <summary>The bearer token.</summary>
    public required string AccessToken { get; init; }

    /// <summary>Always <c>Bearer</c>.</summary>
    public required string TokenType { get; init; }

    /// <summary>Lifetime in seconds.</summary>
    public required long ExpiresIn { get; init; }

    /// <summary>The scopes granted.</summary>
    public required string Scope { get; init; }

    /// <summary>The OAuth client id the token was issued to.</summary>
    public required string Subject { get; init; }

    /// <summary>The patient the token is restricted to, when it is.</summary>
    public string? Patient { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"FhirAuthorization {{ TokenType = {TokenType}, ExpiresIn = {ExpiresIn}, Scope = {Scope}, AccessToken = (redacted) }}";
}
