using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using PttmHooks.Service.CdsHooks;
using static Hl7.Fhir.Model.OperationOutcome;

namespace PttmHooks.Service.Fhir;

/// <summary>
/// Which FHIR servers a hook request may name, and which of them may be queried without a token.
/// Checked before anything else is done with the request, so that a <c>fhirServer</c> this
/// deployment does not trust gets a 400 and no request ever leaves for it (no SSRF through
/// <c>fhirServer</c>, no token sent to an unknown host).
/// </summary>
/// <remarks>
/// A request that names a FHIR server is checked even when its prefetch is complete: an EHR that
/// sends an untrusted <c>fhirServer</c> learns it on its first call, not on the day a prefetch key
/// happens to be missing.
/// </remarks>
public sealed class FhirServerPolicy
{
    private readonly HashSet<string> _allowed;
    private readonly HashSet<string> _open;
    private readonly bool _development;

    /// <summary>Creates the policy from the validated options.</summary>
    public FhirServerPolicy(IOptions<CdsOptions> cds, IOptions<FhirFallbackOptions> fallback, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(cds);
        ArgumentNullException.ThrowIfNull(fallback);
        ArgumentNullException.ThrowIfNull(environment);
        _allowed = new HashSet<string>(cds.Value.FhirServers.Select(Normalise), StringComparer.Ordinal);
        _open = new HashSet<string>(fallback.Value.OpenServers.Select(Normalise), StringComparer.Ordinal);
        _development = environment.IsDevelopment();
    }

    /// <summary>The FHIR bases on the allowlist, normalised.</summary>
    public IReadOnlyCollection<string> Allowed => _allowed;

    /// <summary>Why <paramref name="fhirServer"/> may not be used, or null when it may.</summary>
    public RequestIssue? Check(Uri fhirServer)
    {
        ArgumentNullException.ThrowIfNull(fhirServer);
        if (SchemeProblem(fhirServer, _development) is { } problem)
        {
            return new RequestIssue("fhirServer", $"fhirServer {problem}; no request was sent to it.", IssueType.Security);
        }

        if (!_allowed.Contains(Normalise(fhirServer.AbsoluteUri)))
        {
            return new RequestIssue(
                "fhirServer",
                _allowed.Count == 0
                    ? "fhirServer is not on this deployment's list of FHIR servers, which is empty (configure Cds:FhirServers); no request was sent to it."
                    : "fhirServer is not on this deployment's list of FHIR servers (Cds:FhirServers); no request was sent to it.",
                IssueType.Security);
        }

        return null;
    }

    /// <summary>True when <paramref name="fhirServer"/> may be queried without a token.</summary>
    public bool IsOpen(Uri fhirServer) => _open.Contains(Normalise(fhirServer.AbsoluteUri));

    /// <summary>
    /// What is wrong with the scheme and shape of a FHIR base URL, or null: https, or http to a
    /// loopback address in Development only; no user info, query or fragment.
    /// </summary>
    internal static string? SchemeProblem(Uri url, bool development)
    {
        if (!url.IsAbsoluteUri)
        {
            return "must be an absolute URL";
        }

        if (url.Scheme == Uri.UriSchemeHttp)
        {
            if (!development || !url.IsLoopback)
            {
                return development
                    ? "uses http to a host that is not loopback: a FHIR server must be reached over https (http is accepted for localhost in Development only)"
                    : "uses http: a FHIR server must be reached over https, so that the access token and the patient's data are encrypted in transit";
            }
        }
        else if (url.Scheme != Uri.UriSchemeHttps)
        {
            return "must be an https URL";
        }

        if (!string.IsNullOrEmpty(url.UserInfo) || !string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment))
        {
            return "must be a plain FHIR base URL, without user info, query or fragment";
        }

        return null;
    }

    /// <summary>
    /// A FHIR base in one comparable form: lower case, default port dropped, no trailing slash.
    /// Bases compare case-insensitively, path included (as the security design asks).
    /// </summary>
    internal static string Normalise(string url)
    {
        var trimmed = url.Trim();
        if (Uri.TryCreate(trimmed, UriKind.Absolute, out var uri))
        {
            trimmed = uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
        }

        return trimmed.TrimEnd('/').ToLowerInvariant();
    }

    /// <summary>Normalises a base URL given as a <see cref="Uri"/>.</summary>
    internal static string Normalise(Uri url) => Normalise(url.AbsoluteUri);
}

/// <summary>Checks <c>Cds:FhirServers</c> and <c>Cds:Fallback</c> at start-up.</summary>
internal sealed class FhirFallbackOptionsValidator(IHostEnvironment environment, IOptions<CdsOptions> cds) : IValidateOptions<FhirFallbackOptions>
{
    public ValidateOptionsResult Validate(string? name, FhirFallbackOptions options)
    {
        var failures = new List<string>();
        var development = environment.IsDevelopment();
        var servers = cds.Value.FhirServers;
        for (var i = 0; i < servers.Count; i++)
        {
            if (!Uri.TryCreate(servers[i], UriKind.Absolute, out var url))
            {
                failures.Add($"Cds:FhirServers:{i} ('{servers[i]}') is not an absolute URL.");
            }
            else if (FhirServerPolicy.SchemeProblem(url, development) is { } problem)
            {
                failures.Add($"Cds:FhirServers:{i} ({servers[i]}) {problem}.");
            }
        }

        var allowed = servers.Select(FhirServerPolicy.Normalise).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < options.OpenServers.Count; i++)
        {
            if (!allowed.Contains(FhirServerPolicy.Normalise(options.OpenServers[i])))
            {
                failures.Add($"Cds:Fallback:OpenServers:{i} ({options.OpenServers[i]}) is not in Cds:FhirServers; an open server must also be allowed.");
            }
        }

        if (options.AttemptTimeout > options.Budget)
        {
            failures.Add($"Cds:Fallback:AttemptTimeout ({options.AttemptTimeout}) is longer than Cds:Fallback:Budget ({options.Budget}).");
        }

        // ValidateDataAnnotations checks the top level only; the circuit's own ranges are read here.
        var circuit = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options.Circuit, new ValidationContext(options.Circuit), circuit, validateAllProperties: true))
        {
            failures.AddRange(circuit.Select(r => $"Cds:Fallback:Circuit:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
