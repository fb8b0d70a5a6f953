using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Fhir;

namespace PttmHooks.Service.Security;

/// <summary>How CDS client tokens are checked (<c>Cds:Authentication</c>).</summary>
public sealed class CdsAuthenticationOptions
{
    /// <summary>
    /// Every call must carry a valid client JWT. May be false only in the Development environment,
    /// for local trials: unauthenticated calls are then answered (with a warning on the first and then at most once a minute), and a
    /// token that is sent is still checked.
    /// </summary>
    /// <value>true.</value>
    public bool Required { get; set; } = true;

    /// <summary>How far the client's clock may be from ours, for <c>exp</c>, <c>nbf</c> and <c>iat</c>.</summary>
    /// <value>1 minute.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The longest lifetime (<c>exp</c> − <c>iat</c>) a token may have.</summary>
    /// <value>1 hour. The CDS Hooks sandbox mints 5-minute tokens.</value>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a fetched JWK Set is used before it is fetched again (on the next call that needs it; the old set stays in use if that fetch fails, and the fetch is tried again after <see cref="JwksRefetchInterval"/>).</summary>
    /// <value>1 hour.</value>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan JwksCacheDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>At most one extra JWKS fetch per client in this interval, when a token names a <c>kid</c> the cached set lacks (key rotation); also the wait before a failed refresh of a held set is tried again.</summary>
    /// <value>1 minute.</value>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan JwksRefetchInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a JWKS fetch (retries included) may hold up the call that needs it.</summary>
    /// <value>3 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan JwksTimeout { get; set; } = TimeSpan.FromSeconds(3);
}

/// <summary>One trusted CDS client (an EHR): who signs its tokens, with which keys, and what it may ask for.</summary>
public sealed class CdsClientOptions
{
    /// <summary>The <c>iss</c> of its tokens, exactly (a trailing slash aside).</summary>
    public string? Issuer { get; set; }

    /// <summary>Where its public keys are published (an https JWK Set URL). A token's <c>jku</c> must equal it.</summary>
    public string? JwksUrl { get; set; }

    /// <summary>Or its public keys inline, as a JWK Set JSON document (keys pinned; a token's <c>jku</c> is not used).</summary>
    public string? Jwks { get; set; }

    /// <summary>
    /// The <c>aud</c> its tokens carry, when the EHR sets one value by hand instead of the URL of
    /// the endpoint it calls.
    /// </summary>
    public string? Audience { get; set; }

    /// <summary>The <c>tenant</c> values its tokens may carry; when set, a token must carry one of them.</summary>
    public List<string> Tenants { get; set; } = [];

    /// <summary>The FHIR base URLs its hook requests may name as <c>fhirServer</c>.</summary>
    public List<string> FhirServers { get; set; } = [];

    /// <summary>
    /// Fetch its JWK Set on its first call instead of at start-up, and leave it out of readiness: for
    /// a trial client that may be out of reach (the public CDS Hooks Sandbox on a machine that is offline).
    /// </summary>
    /// <value>false.</value>
    public bool KeysOnDemand { get; set; }
}

/// <summary>
/// The public CDS Hooks Sandbox (<c>cds-hooks/sandbox</c>, the browser app at sandbox.cds-hooks.org):
/// what its tokens carry. Its private key is published with its source, so anyone can sign as it.
/// </summary>
public static class CdsHooksSandbox
{
    /// <summary>The <c>iss</c> of its tokens.</summary>
    public const string Issuer = "https://sandbox.cds-hooks.org";

    /// <summary>Its JWK Set, the <c>jku</c> of its tokens.</summary>
    public const string JwksUrl = "https://sandbox.cds-hooks.org/.well-known/jwks.json";

    /// <summary>Its origin, the page that calls the service from a browser.</summary>
    public const string Origin = "https://sandbox.cds-hooks.org";

    /// <summary>True when a client's issuer or key set is the sandbox's.</summary>
    public static bool Is(CdsClientOptions client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return (!string.IsNullOrWhiteSpace(client.Issuer) && string.Equals(CdsClients.NormaliseIssuer(client.Issuer), Issuer, StringComparison.OrdinalIgnoreCase))
            || (Uri.TryCreate(client.JwksUrl?.Trim(), UriKind.Absolute, out var jwks) && string.Equals(jwks.IdnHost, new Uri(Issuer).IdnHost, StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>The <c>jti</c> replay cache (<c>Cds:ReplayCache</c>).</summary>
public sealed class ReplayCacheOptions
{
    /// <summary>
    /// A StackExchange.Redis connection string (<c>redis:6379,password=…</c>). When set, replicas
    /// share the cache; when Redis cannot be reached, calls are refused (401), never let through.
    /// </summary>
    /// <value>None: an in-memory cache, right for a single replica.</value>
    public string? Redis { get; set; }
}

/// <summary>Checks the <c>Cds</c> settings that depend on each other and on the environment, at start-up.</summary>
internal sealed class CdsOptionsValidator(IHostEnvironment environment) : IValidateOptions<CdsOptions>
{
    public ValidateOptionsResult Validate(string? name, CdsOptions options)
    {
        var failures = new List<string>();
        var development = environment.IsDevelopment();
        if (options.PublicBaseUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)))
        {
            failures.Add("Cds:PublicBaseUrl must be an absolute http(s) URL.");
        }

        var authentication = options.Authentication;
        var problems = new List<ValidationResult>();
        if (!Validator.TryValidateObject(authentication, new ValidationContext(authentication), problems, validateAllProperties: true))
        {
            failures.AddRange(problems.Select(r => $"Cds:Authentication:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        }

        problems.Clear();
        if (!Validator.TryValidateObject(options.Admission, new ValidationContext(options.Admission), problems, validateAllProperties: true))
        {
            failures.AddRange(problems.Select(r => $"Cds:Admission:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        }

        if (!authentication.Required && !development)
        {
            failures.Add(
                $"Cds:Authentication:Required=false is allowed only in the Development environment (this is '{environment.EnvironmentName}'): outside it, every caller must be authenticated.");
        }

        if (authentication.Required && options.Clients.Count == 0)
        {
            failures.Add(
                "Caller authentication is required, and no trusted CDS clients are configured: set Cds:Clients:<name>:Issuer, " +
                "Cds:Clients:<name>:JwksUrl (or :Jwks) and Cds:Clients:<name>:FhirServers:0 for each EHR. " +
                "For a local trial, run in the Development environment with Cds__Authentication__Required=false.");
        }

        if (options.FhirServers.Count > 0 && authentication.Required)
        {
            failures.Add(
                "Cds:FhirServers applies only to unauthenticated calls, which this configuration refuses (Cds:Authentication:Required=true): " +
                "list each EHR's FHIR servers under Cds:Clients:<name>:FhirServers instead.");
        }

        if (options.PublicBaseUrl is null && !development && options.Clients.Values.Any(c => string.IsNullOrWhiteSpace(c.Audience)))
        {
            failures.Add(
                "Cds:PublicBaseUrl is required outside Development: every token's aud is checked against the URL EHRs call (https://cds.example.org/cds-services/…), " +
                "which must not be taken from the request's Host header. (Or give every client a fixed Cds:Clients:<name>:Audience.)");
        }

        var issuers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (client, settings) in options.Clients)
        {
            failures.AddRange(ClientProblems(client, settings, development));
            if (!development && CdsHooksSandbox.Is(settings))
            {
                failures.Add(
                    $"Cds:Clients:{client} is the public CDS Hooks Sandbox ({CdsHooksSandbox.Issuer}), whose private key is published, so anyone can sign as it: " +
                    $"it may be trusted in the Development environment only (this is '{environment.EnvironmentName}').");
            }
            if (!string.IsNullOrWhiteSpace(settings.Issuer))
            {
                var issuer = CdsClients.NormaliseIssuer(settings.Issuer);
                if (!issuers.TryAdd(issuer, client))
                {
                    failures.Add($"Cds:Clients:{client}:Issuer is also the issuer of client '{issuers[issuer]}': each issuer must be one client, so that its keys and FHIR servers are unambiguous.");
                }
            }
        }

        for (var i = 0; i < options.Cors.Origins.Count; i++)
        {
            if (CorsOrigins.Problem(options.Cors.Origins[i], development) is { } problem)
            {
                failures.Add($"Cds:Cors:Origins:{i} ('{options.Cors.Origins[i]}') {problem}.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static IEnumerable<string> ClientProblems(string client, CdsClientOptions settings, bool development)
    {
        var at = $"Cds:Clients:{client}";
        if (string.IsNullOrWhiteSpace(settings.Issuer))
        {
            yield return $"{at}:Issuer is missing: the iss of the tokens this client signs.";
        }

        var hasUrl = !string.IsNullOrWhiteSpace(settings.JwksUrl);
        var hasInline = !string.IsNullOrWhiteSpace(settings.Jwks);
        if (hasUrl == hasInline)
        {
            yield return hasUrl
                ? $"{at} has both JwksUrl and Jwks: give one, the URL where its keys are published or the key set inline."
                : $"{at} has no keys: set {at}:JwksUrl (the URL of its JWK Set) or {at}:Jwks (the JWK Set JSON).";
        }
        else if (hasUrl)
        {
            if (!Uri.TryCreate(settings.JwksUrl, UriKind.Absolute, out var jwks))
            {
                yield return $"{at}:JwksUrl ('{settings.JwksUrl}') is not an absolute URL.";
            }
            else if (FhirServerPolicy.SchemeProblem(jwks, development) is { } problem)
            {
                yield return $"{at}:JwksUrl ({settings.JwksUrl}) {problem.Replace("a FHIR server", "a key set", StringComparison.Ordinal)}.";
            }
        }
        else
        {
            var (keys, keyProblem) = ClientKeys.Parse(settings.Jwks!);
            if (keyProblem is not null)
            {
                yield return $"{at}:Jwks {keyProblem}.";
            }
            else if (!development && keys.Any(k => k.Kid == ClientKeys.DevelopmentKid))
            {
                yield return $"{at}:Jwks holds the development key '{ClientKeys.DevelopmentKid}' of samples/keys, whose private half is published: it may be trusted in Development only.";
            }
        }

        for (var i = 0; i < settings.FhirServers.Count; i++)
        {
            var server = settings.FhirServers[i];
            if (!Uri.TryCreate(server, UriKind.Absolute, out var fhir))
            {
                yield return $"{at}:FhirServers:{i} ('{server}') is not an absolute URL.";
            }
            else if (FhirServerPolicy.SchemeProblem(fhir, development) is { } problem)
            {
                yield return $"{at}:FhirServers:{i} ({server}) {problem}.";
            }
        }

        for (var i = 0; i < settings.Tenants.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(settings.Tenants[i]))
            {
                yield return $"{at}:Tenants:{i} is empty.";
            }
        }
    }
}

/// <summary>The JWS algorithms a client token may use: asymmetric only (never <c>none</c> or an HMAC).</summary>
internal static class TokenAlgorithms
{
    public static readonly string[] Allowed =
    [
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
    ];
}
