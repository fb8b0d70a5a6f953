using Microsoft.Extensions.Options;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Reading.Fhir;
using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Security;
using static Hl7.Fhir.Model.OperationOutcome;

namespace PttmHooks.Service.Fhir;

/// <summary>
/// Which FHIR servers a hook request may name (the signing client's own, <c>Cds:Clients:&lt;name&gt;:FhirServers</c>;
/// for an unauthenticated Development call, <c>Cds:FhirServers</c>), and which may be queried without a token.
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
    private readonly HashSet<string> _unauthenticated;
    private readonly HashSet<string> _open;
    private readonly bool _development;

    /// <summary>Creates the policy from the validated options.</summary>
    public FhirServerPolicy(IOptions<CdsOptions> cds, IOptions<FhirFallbackOptions> fallback, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(cds);
        ArgumentNullException.ThrowIfNull(fallback);
        ArgumentNullException.ThrowIfNull(environment);
        _unauthenticated = new HashSet<string>(cds.Value.FhirServers.Select(Normalise), StringComparer.Ordinal);
        _open = new HashSet<string>(fallback.Value.OpenServers.Select(Normalise), StringComparer.Ordinal);
        _development = environment.IsDevelopment();
    }

    /// <summary>
    /// Why <paramref name="fhirServer"/> may not be used by <paramref name="client"/> (null for an
    /// unauthenticated Development call), or null when it may: it must be one of that client's FHIR
    /// bases, compared after normalising case, default port and trailing slash.
    /// </summary>
    public RequestIssue? Check(Uri fhirServer, CdsClient? client)
    {
        ArgumentNullException.ThrowIfNull(fhirServer);
        if (SchemeProblem(fhirServer, _development) is { } problem)
        {
            return new RequestIssue("fhirServer", $"fhirServer {problem}; no request was sent to it.", IssueType.Security);
        }

        var (allowed, setting) = client is null
            ? ((IReadOnlySet<string>)_unauthenticated, "Cds:FhirServers, the list for unauthenticated calls")
            : (client.FhirServers, $"Cds:Clients:{client.Name}:FhirServers, the list of the client that signed this call");
        if (!allowed.Contains(Normalise(fhirServer.AbsoluteUri)))
        {
            return new RequestIssue(
                "fhirServer",
                $"fhirServer is not one of the FHIR servers this caller may name ({setting}{(allowed.Count == 0 ? ", is empty" : string.Empty)}); no request was sent to it.",
                IssueType.Security);
        }

        return null;
    }

    /// <summary>True when <paramref name="fhirServer"/> may be queried without a token.</summary>
    public bool IsOpen(Uri fhirServer) => _open.Contains(Normalise(fhirServer.AbsoluteUri));

    /// <summary>
    /// What is wrong with the scheme and shape of a FHIR base URL, or null (<see cref="FhirBaseUrl.SchemeProblem"/>):
    /// https, or http to a loopback address in Development only; no user info, query or fragment.
    /// </summary>
    internal static string? SchemeProblem(Uri url, bool development) => FhirBaseUrl.SchemeProblem(url, development);

    /// <summary>A FHIR base in one comparable form (<see cref="FhirBaseUrl.Normalise(string)"/>).</summary>
    internal static string Normalise(string url) => FhirBaseUrl.Normalise(url);

    /// <summary>Normalises a base URL given as a <see cref="Uri"/>.</summary>
    internal static string Normalise(Uri url) => FhirBaseUrl.Normalise(url);
}

/// <summary>The service's registrations of its trust in FHIR servers.</summary>
public static class FhirServerPolicyRegistration
{
    /// <summary>
    /// Registers <see cref="FhirServerPolicy"/> and the start-up check of <c>Cds:FhirServers</c> and
    /// <c>Cds:Fallback:OpenServers</c>; the fallback itself is the reading library's <see cref="FhirHttp.AddFhirFallback"/>.
    /// </summary>
    public static IServiceCollection AddFhirServerPolicy(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<FhirFallbackOptions>, FhirServerOptionsValidator>();
        services.AddSingleton<FhirServerPolicy>();
        return services;
    }
}

/// <summary>
/// Checks <c>Cds:FhirServers</c> and <c>Cds:Fallback:OpenServers</c> at start-up (the reading
/// library checks the rest of <c>Cds:Fallback</c>).
/// </summary>
internal sealed class FhirServerOptionsValidator(IHostEnvironment environment, IOptions<CdsOptions> cds) : IValidateOptions<FhirFallbackOptions>
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

        var allowed = servers.Concat(cds.Value.Clients.Values.SelectMany(c => c.FhirServers)).Select(FhirServerPolicy.Normalise).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < options.OpenServers.Count; i++)
        {
            if (!allowed.Contains(FhirServerPolicy.Normalise(options.OpenServers[i])))
            {
                failures.Add($"Cds:Fallback:OpenServers:{i} ({options.OpenServers[i]}) is not a FHIR server of any client (Cds:Clients:<name>:FhirServers) or in Cds:FhirServers; an open server must also be allowed.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
