using System.Net.Http.Headers;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace PttmHooks.Cli.Samples;

/// <summary>
/// Signs CDS client JWTs as an EHR does (CDS Hooks 2.0, "Trusting CDS Clients"): a fresh token for
/// every HTTP call, <c>aud</c> the URL called, a 5-minute lifetime, a new <c>jti</c>.
/// </summary>
internal sealed class ClientTokens
{
    /// <summary>The issuer the development key (<c>samples/keys</c>) is configured for in <c>appsettings.Development.json</c>.</summary>
    public const string DevelopmentIssuer = "https://local-ehr.pttm-hooks.test";

    private readonly JsonWebKey _key;
    private readonly string _issuer;
    private readonly JsonWebTokenHandler _handler = new();

    private readonly TimeProvider _time;

    private ClientTokens(JsonWebKey key, string issuer, TimeProvider time)
    {
        _key = key;
        _issuer = issuer;
        _time = time;
    }

    /// <summary>Reads a private JWK (EC or RSA, with <c>kid</c>) from <paramref name="file"/>.</summary>
    public static ClientTokens Load(FileInfo file, string issuer, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!file.Exists)
        {
            throw CliException.BadInput($"{file.FullName}: no such key file (--jwt-key); the development client's key is samples/keys/local-dev.private.jwk.json.");
        }

        JsonWebKey key;
        try
        {
            key = new JsonWebKey(File.ReadAllText(file.FullName));
        }
        catch (ArgumentException)
        {
            throw CliException.BadInput($"{file.Name} is not a JWK (a JSON Web Key): give a private JWK file with --jwt-key.");
        }

        if (!key.HasPrivateKey || string.IsNullOrEmpty(key.Kid))
        {
            throw CliException.BadInput($"{file.Name} is not a private JWK with a kid (the key that signs the tokens): give the private key file with --jwt-key.");
        }

        return new ClientTokens(key, issuer, time ?? TimeProvider.System);
    }

    /// <summary>A fresh token for a call to <paramref name="url"/>.</summary>
    public string For(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var algorithm = _key.Alg ?? (_key.Kty == JsonWebAlgorithmsKeyTypes.RSA ? SecurityAlgorithms.RsaSha384 : SecurityAlgorithms.EcdsaSha384);
        var now = _time.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _issuer,
            Audience = url.GetLeftPart(UriPartial.Path),
            IssuedAt = now,
            NotBefore = null,
            Expires = now.AddMinutes(5),
            Claims = new Dictionary<string, object> { [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString() },
            SigningCredentials = new SigningCredentials(_key, algorithm),
        });
    }

    /// <summary>An HTTP handler that signs every request it sends.</summary>
    public DelegatingHandler Handler() => new Signing(this) { InnerHandler = new HttpClientHandler() };

    private sealed class Signing(ClientTokens tokens) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.For(request.RequestUri!));
            return base.SendAsync(request, cancellationToken);
        }
    }
}
