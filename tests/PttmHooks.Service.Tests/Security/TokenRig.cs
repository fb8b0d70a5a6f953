using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PttmHooks.Service.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace PttmHooks.Service.Tests.Security;

/// <summary>A signing key of a test client: its private half signs, its public JWK goes into a key set.</summary>
public sealed class TestKey
{
    private readonly ECDsa? _ec;
    private readonly RSA? _rsa;

    private TestKey(string kid, string alg, ECDsa? ec, RSA? rsa, JsonObject publicJwk)
    {
        Kid = kid;
        Alg = alg;
        _ec = ec;
        _rsa = rsa;
        PublicJwk = publicJwk;
    }

    public string Kid { get; }

    public string Alg { get; }

    /// <summary>The public JWK (kty, crv/x/y or n/e, kid, alg, use).</summary>
    public JsonObject PublicJwk { get; }

    /// <summary>The CDS Hooks specification's published example key (EC P-384, kid <c>example-kid</c>).</summary>
    public static TestKey SpecExample { get; } = FromPrivateJwk(TestFiles.FixtureText("hl7-spec/jwk-private.json"));

    /// <summary>The CDS Hooks sandbox's published key (EC P-384, kid <c>44823f3d-…</c>).</summary>
    public static TestKey Sandbox { get; } = FromPrivateJwk(TestFiles.FixtureText("sandbox/jwk-keypair.json"));

    /// <summary>An RSA 3072 key made for this test run (RS384).</summary>
    public static TestKey Rsa { get; } = NewRsa("rsa-test-1");

    /// <summary>Another EC P-384 key made for this test run.</summary>
    public static TestKey NewEc(string kid)
    {
        var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var p = ec.ExportParameters(false);
        return new TestKey(kid, "ES384", ec, null, new JsonObject
        {
            ["kty"] = "EC", ["crv"] = "P-384", ["x"] = B64(p.Q.X!), ["y"] = B64(p.Q.Y!), ["kid"] = kid, ["alg"] = "ES384", ["use"] = "sig",
        });
    }

    /// <summary>A new RSA key (RS384).</summary>
    public static TestKey NewRsa(string kid)
    {
        var rsa = RSA.Create(3072);
        var p = rsa.ExportParameters(false);
        return new TestKey(kid, "RS384", null, rsa, new JsonObject
        {
            ["kty"] = "RSA", ["n"] = B64(p.Modulus!), ["e"] = B64(p.Exponent!), ["kid"] = kid, ["alg"] = "RS384", ["use"] = "sig",
        });
    }

    /// <summary>A key set of <paramref name="keys"/>' public halves, as JSON text.</summary>
    public static string Jwks(params TestKey[] keys) =>
        new JsonObject { ["keys"] = new JsonArray([.. keys.Select(k => (JsonNode)k.PublicJwk.DeepClone())]) }.ToJsonString();

    /// <summary>Signs <paramref name="input"/> (the JWS signing input) as <see cref="Alg"/> does.</summary>
    public byte[] Sign(byte[] input) => _ec is not null
        ? _ec.SignData(input, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
        : _rsa!.SignData(input, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1);

    public static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromB64(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }

    private static TestKey FromPrivateJwk(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        // A key, or (the sandbox's file) a set of one key.
        var jwk = node["keys"] is JsonArray keys ? keys[0]!.AsObject() : node;
        var ec = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP384,
            Q = new ECPoint { X = FromB64((string)jwk["x"]!), Y = FromB64((string)jwk["y"]!) },
            D = FromB64((string)jwk["d"]!),
        });
        var kid = (string)jwk["kid"]!;
        return new TestKey(kid, "ES384", ec, null, new JsonObject
        {
            ["kty"] = "EC", ["crv"] = "P-384", ["x"] = (string)jwk["x"]!, ["y"] = (string)jwk["y"]!, ["kid"] = kid, ["alg"] = "ES384", ["use"] = "sig",
        });
    }
}

/// <summary>
/// Builds compact JWS tokens by hand (header, payload, signature), so that a test can make any
/// token an attacker could: unsigned, HMAC-signed, without kid, with a foreign jku.
/// </summary>
public static class Jws
{
    /// <summary>Signs <paramref name="header"/>.<paramref name="payload"/> with <paramref name="key"/>.</summary>
    public static string Sign(JsonObject header, JsonObject payload, TestKey key)
    {
        var input = Input(header, payload);
        return input + "." + TestKey.B64(key.Sign(Encoding.ASCII.GetBytes(input)));
    }

    /// <summary>HS256 with <paramref name="secret"/> as the HMAC key.</summary>
    public static string Hmac(JsonObject header, JsonObject payload, byte[] secret)
    {
        var input = Input(header, payload);
        return input + "." + TestKey.B64(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(input)));
    }

    /// <summary>No signature at all (<c>alg: none</c>).</summary>
    public static string WithoutSignature(JsonObject header, JsonObject payload) => Input(header, payload) + ".";

    private static string Input(JsonObject header, JsonObject payload) =>
        TestKey.B64(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + TestKey.B64(Encoding.UTF8.GetBytes(payload.ToJsonString()));
}

/// <summary>
/// A service that requires client authentication (Development environment, so that the JWKS
/// server may be http on loopback), with two clients:
/// <list type="bullet">
/// <item><c>ehr-a</c> (issuer <see cref="IssuerA"/>): keys at a WireMock.Net JWKS URL (the spec's ES384 key and an RS384 key), FHIR server <see cref="FhirA"/>.</item>
/// <item><c>ehr-b</c> (issuer <see cref="IssuerB"/>): the sandbox's published key inline (pinned, its jku unused), FHIR server <see cref="FhirB"/>.
/// (Not the sandbox's issuer: Development trusts the real sandbox client under it, SandboxClientTests.)</item>
/// </list>
/// </summary>
public sealed class TokenRig : IDisposable
{
    public const string PublicBase = "https://cds.example.org";
    public const string IssuerA = "https://ehr-a.example.org";
    public const string IssuerB = "https://ehr-b.example.org";
    public const string FhirA = "https://ehr-a.example.org/fhir";
    public const string FhirB = "https://ehr-b.example.org/fhir";
    public const string JwksPath = "/jwks.json";

    public TokenRig(IReadOnlyDictionary<string, string?>? settings = null)
    {
        Jwks = WireMockServer.Start();
        ServeKeys(TestKey.SpecExample, TestKey.Rsa);
        var all = new Dictionary<string, string?>
        {
            ["Cds:Authentication:Required"] = "true",
            // The JWKS fetch from WireMock must not time out on a loaded machine (the default 3 s
            // did, under a load average of 13: a valid token then got 401); tests of a slow or
            // failing JWKS set their own.
            ["Cds:Authentication:JwksTimeout"] = "00:00:15",
            // Key sets are fetched through the outbound pipeline, whose 1 s attempt timeout a
            // cold WireMock answer on a loaded machine exceeded too.
            ["Cds:Fallback:AttemptTimeout"] = "00:00:05",
            ["Cds:Fallback:Budget"] = "00:00:15",
            ["Cds:PublicBaseUrl"] = PublicBase,
            ["Cds:FhirServers:0"] = null,
            ["Cds:Clients:ehr-a:Issuer"] = IssuerA,
            ["Cds:Clients:ehr-a:JwksUrl"] = JwksUrl,
            ["Cds:Clients:ehr-a:FhirServers:0"] = FhirA,
            ["Cds:Clients:ehr-b:Issuer"] = IssuerB,
            ["Cds:Clients:ehr-b:Jwks"] = TestKey.Jwks(TestKey.Sandbox),
            ["Cds:Clients:ehr-b:FhirServers:0"] = FhirB,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        App = new ServiceApp(all);
    }

    public ServiceApp App { get; }

    /// <summary>The WireMock.Net server publishing ehr-a's JWK Set.</summary>
    public WireMockServer Jwks { get; }

    public string JwksUrl => Jwks.Url + JwksPath;

    /// <summary>How many times the JWK Set was fetched.</summary>
    public int JwksFetches => Jwks.LogEntries.Count(e => e.RequestMessage.Path == JwksPath);

    /// <summary>Publishes <paramref name="keys"/> at the JWKS URL (replacing what was there).</summary>
    public void ServeKeys(params TestKey[] keys)
    {
        Jwks.Reset();
        Jwks.Given(Request.Create().WithPath(JwksPath).UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(TestKey.Jwks(keys)));
    }

    /// <summary>The header of a well-formed token signed by <paramref name="key"/>.</summary>
    public static JsonObject Header(TestKey key) => new() { ["alg"] = key.Alg, ["typ"] = "JWT", ["kid"] = key.Kid };

    /// <summary>The payload of a well-formed token of <paramref name="issuer"/> for <paramref name="path"/>, valid now for 5 minutes.</summary>
    public JsonObject Payload(string issuer, string path = Http.ServicePath)
    {
        var now = App.Time.GetUtcNow().ToUnixTimeSeconds();
        return new JsonObject
        {
            ["iss"] = issuer,
            ["aud"] = PublicBase + path,
            ["exp"] = now + 300,
            ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString(),
        };
    }

    /// <summary>A valid token of ehr-a (spec key, ES384) for <paramref name="path"/>.</summary>
    public string TokenA(string path = Http.ServicePath) => Jws.Sign(Header(TestKey.SpecExample), Payload(IssuerA, path), TestKey.SpecExample);

    /// <summary>A valid token of ehr-b (sandbox key, ES384, with the sandbox's jku) for <paramref name="path"/>.</summary>
    public string TokenB(string path = Http.ServicePath)
    {
        var header = Header(TestKey.Sandbox);
        header["jku"] = "https://sandbox.cds-hooks.org/.well-known/jwks.json";
        return Jws.Sign(header, Payload(IssuerB, path), TestKey.Sandbox);
    }

    /// <summary>Sends <paramref name="method"/> <paramref name="path"/> with <c>Authorization: Bearer <paramref name="token"/></c> (none when null).</summary>
    public Task<HttpResponseMessage> SendAsync(string? token, HttpMethod method, string path, JsonNode? body = null) =>
        SendAsync(App, token, method, path, body);

    /// <summary>Sends <paramref name="method"/> <paramref name="path"/> to <paramref name="app"/> with <c>Authorization: Bearer <paramref name="token"/></c> (none when null).</summary>
    public static async Task<HttpResponseMessage> SendAsync(ServiceApp app, string? token, HttpMethod method, string path, JsonNode? body = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>Posts the seed004 sample (full prefetch, a card) with <paramref name="token"/>.</summary>
    public Task<HttpResponseMessage> PostHookAsync(string? token, JsonObject? request = null) =>
        SendAsync(token, HttpMethod.Post, Http.ServicePath, request ?? App.CaseRequest(CardCase));

    /// <summary>The sample that gives a card with full prefetch.</summary>
    public const string CardCase = "seed004-breast-history-hypoxaemia-vq";

    public void Dispose()
    {
        App.Dispose();
        Jwks.Stop();
        Jwks.Dispose();
    }
}
