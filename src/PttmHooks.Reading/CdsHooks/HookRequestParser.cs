using System.Text.Json;
using System.Text.RegularExpressions;
using static Hl7.Fhir.Model.OperationOutcome;

namespace PttmHooks.Reading.CdsHooks;

/// <summary>
/// Checks a hook request against CDS Hooks 2.0 and the <c>patient-view</c> hook (v1.0), and says
/// everything that is wrong at once, each with its path, rather than the first problem only.
/// Unknown members (<c>extension</c>, a future field) are ignored, as the spec requires.
/// </summary>
internal static partial class HookRequestParser
{
    private static readonly string[] s_userTypes = ["Practitioner", "PractitionerRole", "Patient", "RelatedPerson"];

    /// <summary>Parses <paramref name="root"/> as a request for a service that answers <paramref name="expectedHook"/>.</summary>
    public static (HookRequest? Request, IReadOnlyList<RequestIssue> Issues) Parse(JsonElement root, string expectedHook)
    {
        var issues = new List<RequestIssue>();

        var hook = JsonMembers.Required(root, "hook", issues);
        if (hook is not null && !string.Equals(hook, expectedHook, StringComparison.Ordinal))
        {
            issues.Add(new RequestIssue("hook", $"This service answers the '{expectedHook}' hook, not '{hook}'.", IssueType.NotSupported));
        }

        var hookInstanceText = JsonMembers.Required(root, "hookInstance", issues);
        var hookInstance = Guid.Empty;
        if (hookInstanceText is not null && !Guid.TryParseExact(hookInstanceText, "D", out hookInstance))
        {
            issues.Add(new RequestIssue("hookInstance", "hookInstance must be a UUID (for example 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea')."));
        }

        Uri? fhirServer = null;
        var fhirServerText = JsonMembers.Optional(root, "fhirServer", issues);
        if (fhirServerText is not null)
        {
            if (!Uri.TryCreate(fhirServerText, UriKind.Absolute, out fhirServer) || (fhirServer.Scheme != Uri.UriSchemeHttps && fhirServer.Scheme != Uri.UriSchemeHttp))
            {
                issues.Add(new RequestIssue("fhirServer", "fhirServer must be an absolute http or https URL (the FHIR base URL)."));
                fhirServer = null;
            }
        }

        var authorization = ParseAuthorization(root, issues);
        if (authorization is not null && fhirServerText is null)
        {
            issues.Add(new RequestIssue("fhirAuthorization", "fhirAuthorization is given without fhirServer: the spec requires fhirServer whenever fhirAuthorization is sent.", IssueType.Required));
        }

        var context = ParseContext(root, issues);

        var prefetch = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (root.TryGetProperty("prefetch", out var prefetchElement) && prefetchElement.ValueKind != JsonValueKind.Null)
        {
            if (prefetchElement.ValueKind != JsonValueKind.Object)
            {
                issues.Add(new RequestIssue("prefetch", "prefetch must be a JSON object whose members are the prefetch keys.", IssueType.Structure));
            }
            else
            {
                foreach (var member in prefetchElement.EnumerateObject())
                {
                    prefetch[member.Name] = member.Value;
                }
            }
        }

        if (issues.Count > 0 || hook is null || context is null)
        {
            return (null, issues);
        }

        return (new HookRequest
        {
            Hook = hook,
            HookInstance = hookInstance,
            FhirServer = fhirServer,
            FhirAuthorization = authorization,
            Context = context,
            Prefetch = prefetch,
        }, issues);
    }

    private static HookContext? ParseContext(JsonElement root, List<RequestIssue> issues)
    {
        if (!root.TryGetProperty("context", out var context) || context.ValueKind == JsonValueKind.Null)
        {
            issues.Add(new RequestIssue("context", "context is required; for patient-view it holds userId and patientId.", IssueType.Required));
            return null;
        }

        if (context.ValueKind != JsonValueKind.Object)
        {
            issues.Add(new RequestIssue("context", "context must be a JSON object.", IssueType.Structure));
            return null;
        }

        var before = issues.Count;
        var userId = JsonMembers.Required(context, "userId", issues, "context.");
        if (userId is not null)
        {
            var slash = userId.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || !s_userTypes.Contains(userId[..slash], StringComparer.Ordinal) || !FhirId().IsMatch(userId[(slash + 1)..]))
            {
                issues.Add(new RequestIssue("context.userId", "userId must be a relative reference to the user: Practitioner/{id}, PractitionerRole/{id}, Patient/{id} or RelatedPerson/{id}."));
            }
        }

        var patientId = JsonMembers.Required(context, "patientId", issues, "context.");
        if (patientId is not null && !FhirId().IsMatch(patientId))
        {
            issues.Add(new RequestIssue("context.patientId", "patientId must be the FHIR id of the patient (1 to 64 of A-Z a-z 0-9 - .), not a reference such as 'Patient/123'."));
        }

        var encounterId = JsonMembers.Optional(context, "encounterId", issues, "context.");
        if (encounterId is not null && !FhirId().IsMatch(encounterId))
        {
            issues.Add(new RequestIssue("context.encounterId", "encounterId must be a FHIR id (1 to 64 of A-Z a-z 0-9 - .)."));
        }

        if (issues.Count > before || userId is null || patientId is null)
        {
            return null;
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in context.EnumerateObject())
        {
            if (member.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
            {
                fields[member.Name] = member.Value.ValueKind == JsonValueKind.String ? member.Value.GetString()! : member.Value.GetRawText();
            }
        }

        return new HookContext(userId, patientId, encounterId, fields);
    }

    private static FhirAuthorization? ParseAuthorization(JsonElement root, List<RequestIssue> issues)
    {
        if (!root.TryGetProperty("fhirAuthorization", out var auth) || auth.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (auth.ValueKind != JsonValueKind.Object)
        {
            issues.Add(new RequestIssue("fhirAuthorization", "fhirAuthorization must be a JSON object.", IssueType.Structure));
            return null;
        }

        const string Prefix = "fhirAuthorization.";
        var before = issues.Count;
        var token = JsonMembers.Required(auth, "access_token", issues, Prefix);
        var tokenType = JsonMembers.Required(auth, "token_type", issues, Prefix);
        if (tokenType is not null && !tokenType.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            issues.Add(new RequestIssue(Prefix + "token_type", "token_type must be 'Bearer'.", IssueType.NotSupported));
        }

        long expiresIn = 0;
        if (!auth.TryGetProperty("expires_in", out var expires) || expires.ValueKind == JsonValueKind.Null)
        {
            issues.Add(new RequestIssue(Prefix + "expires_in", "fhirAuthorization.expires_in is required (the token's lifetime in seconds).", IssueType.Required));
        }
        else if (expires.ValueKind != JsonValueKind.Number || !expires.TryGetInt64(out expiresIn) || expiresIn < 0)
        {
            issues.Add(new RequestIssue(Prefix + "expires_in", "fhirAuthorization.expires_in must be a whole number of seconds."));
        }

        var scope = JsonMembers.Required(auth, "scope", issues, Prefix);
        var subject = JsonMembers.Required(auth, "subject", issues, Prefix);
        var patient = JsonMembers.Optional(auth, "patient", issues, Prefix);
        if (issues.Count > before || token is null || tokenType is null || scope is null || subject is null)
        {
            return null;
        }

        return new FhirAuthorization { AccessToken = token, TokenType = tokenType, ExpiresIn = expiresIn, Scope = scope, Subject = subject, Patient = patient };
    }

    // FHIR R4 id: [A-Za-z0-9\-\.]{1,64}.
    [GeneratedRegex(@"^[A-Za-z0-9\-\.]{1,64}$", RegexOptions.CultureInvariant)]
    internal static partial Regex FhirId();
}
