using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Security;

namespace PttmHooks.Service.Viewer;

/// <summary>
/// Signs the viewer's own CDS calls with the development client's key, as an EHR signs its calls:
/// one token per call, <c>aud</c> the endpoint's URL, a new <c>jti</c> (so it is accepted once),
/// one minute of life. It exists only in the Development environment, with authentication
/// required, and when a configured client pins the key's public half; otherwise
/// <see cref="Unavailable"/> says why and nothing is ever signed.
/// </summary>
/// <remarks>
/// The key it reads (<c>samples/keys</c>) is published: anyone can sign with it, which is why the
/// service trusts it in Development only. The token endpoint therefore adds no power a developer
/// lacks; it is still kept to local callers of this service's own CDS endpoints.
/// </remarks>
public sealed class DevelopmentTokens
{
    /// <summary>How long a signed token is valid.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    /// <summary>Where the development key lives in the repository.</summary>
    public static readonly string DefaultKeyFile = Path.Combine("samples", "keys", "local-dev.private.jwk.json");

    private readonly JsonWebKey? _key;
    private readonly CdsClient? _client;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>Finds the key and the client that trusts it, or the reason there are no tokens.</summary>
    public DevelopmentTokens(IHostEnvironment environment, IOptions<ViewerOptions> viewer, IOptions<CdsOptions> cds, CdsClients clients, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(viewer);
        ArgumentNullException.ThrowIfNull(cds);
        ArgumentNullException.ThrowIfNull(clients);
        _time = time;
        if (!viewer.Value.IsEnabled(environment))
        {
            Unavailable = "the viewer is off";
            return;
        }

        // Never outside Development, whatever else is configured.
        if (!environment.IsDevelopment())
        {
            Unavailable = $"development tokens are signed in the Development environment only (this is '{environment.EnvironmentName}'): paste a client JWT";
            return;
        }

        if (!cds.Value.Authentication.Required)
        {
            Unavailable = "authentication is not required (Cds:Authentication:Required=false): calls need no token";
            return;
        }

        var file = FindKeyFile(environment, viewer.Value);
        if (file is null)
        {
            Unavailable = $"no development key: {DefaultKeyFile} was not found above the content root, and Cds:Viewer:DevelopmentKeyFile is not set";
            return;
        }

        JsonWebKey key;
        try
        {
            key = new JsonWebKey(File.ReadAllText(file));
        }
        catch (ArgumentException)
        {
            Unavailable = $"{Path.GetFileName(file)} is not a JSON Web Key";
            return;
        }

        if (!key.HasPrivateKey || string.IsNullOrEmpty(key.Kid))
        {
            Unavailable = $"{Path.GetFileName(file)} is not a private key with a kid";
            return;
        }

        _client = clients.All.FirstOrDefault(c => c.JwksUrl is null && c.InlineKeys.Any(k => SamePublicKey(k, key)));
        if (_client is null)
        {
            Unavailable = $"no configured client pins the public half of key '{key.Kid}' inline (Cds:Clients:<name>:Jwks)";
            return;
        }

        _key = key;
    }

    /// <summary>Why no token can be signed; null when tokens are available.</summary>
    public string? Unavailable { get; }

    /// <summary>True when <see cref="Sign"/> may be called.</summary>
    public bool Available => _key is not null;

    /// <summary>The client the tokens are signed as (for the log; null when unavailable).</summary>
    public string? ClientName => _key is null ? null : _client?.Name;

    /// <summary>A token for a call to <paramref name="endpointUrl"/> (the client's fixed audience, when it has one).</summary>
    public string Sign(Uri endpointUrl)
    {
        ArgumentNullException.ThrowIfNull(endpointUrl);
        if (_key is null || _client is null)
        {
            throw new InvalidOperationException("Development tokens are unavailable: " + Unavailable);
        }

        var now = _time.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _client.Issuer,
            Audience = _client.Audience ?? endpointUrl.AbsoluteUri,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            Claims = new Dictionary<string, object> { [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("D") },
            SigningCredentials = new SigningCredentials(_key, Algorithm(_key)),
        });
    }

    private static string? FindKeyFile(IHostEnvironment environment, ViewerOptions viewer)
    {
        if (!string.IsNullOrWhiteSpace(viewer.DevelopmentKeyFile))
        {
            return Path.Combine(environment.ContentRootPath, viewer.DevelopmentKeyFile);
        }

        for (var dir = new DirectoryInfo(environment.ContentRootPath); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, DefaultKeyFile);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool SamePublicKey(JsonWebKey trusted, JsonWebKey key) =>
        trusted.Kid == key.Kid && trusted.Kty == key.Kty && (key.Kty == JsonWebAlgorithmsKeyTypes.RSA
            ? trusted.N == key.N && trusted.E == key.E
            : trusted.Crv == key.Crv && trusted.X == key.X && trusted.Y == key.Y);

    private static string Algorithm(JsonWebKey key) => key.Alg ?? (key.Kty == JsonWebAlgorithmsKeyTypes.RSA
        ? SecurityAlgorithms.RsaSha384
        : key.Crv switch
        {
            "P-256" => SecurityAlgorithms.EcdsaSha256,
            "P-521" => SecurityAlgorithms.EcdsaSha512,
            _ => SecurityAlgorithms.EcdsaSha384,
        });
}
