using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;

namespace PttmHooks.Benchmarks;

/// <summary>
/// What checking the CDS client's JWT adds to a hook call. The load test runs without
/// authentication (wrk cannot sign a fresh single-use token per call), so this measures it in
/// process: the seed004 call with full prefetch posted through TestServer, in Production with a
/// fresh token per call (ES384, the CDS Hooks sandbox's algorithm, or RS384 with a 2,048-bit key),
/// against the same call in Development with no token (<c>none</c>). Each token is signed inside
/// the benchmark, with a new <c>jti</c> (the service refuses a replay); <see cref="SignOnly"/>
/// measures the signing alone, to subtract. So the service's share is
/// HookCall(alg) − SignOnly(alg) − HookCall(none): the signature check, the claim checks and the
/// jti recorded in the in-memory replay cache.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchConfig))]
public class ClientTokenBenchmark
{
    private const string PublicBase = "https://cds.example.org";
    private const string Issuer = "https://ehr.example.org";
    private const string Path = "/cds-services/pttm-screening";
    private const string Kid = "bench-1";

    private WebApplicationFactory<global::Program> _service = null!;
    private HttpClient _client = null!;
    private byte[] _body = null!;
    private ECDsa? _ec;
    private RSA? _rsa;
    private string _header = null!;

    /// <summary>The client's signing algorithm, or <c>none</c> for the unauthenticated baseline.</summary>
    [Params("none", "ES384", "RS384")]
    public string Alg { get; set; } = "none";

    /// <summary>Starts the service with one trusted client whose key set holds the public key.</summary>
    [GlobalSetup]
    public void Setup()
    {
        JsonObject jwk;
        if (Alg == "ES384")
        {
            _ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            var p = _ec.ExportParameters(false);
            jwk = new JsonObject { ["kty"] = "EC", ["crv"] = "P-384", ["x"] = B64(p.Q.X!), ["y"] = B64(p.Q.Y!) };
        }
        else
        {
            _rsa = RSA.Create(2048);
            var p = _rsa.ExportParameters(false);
            jwk = new JsonObject { ["kty"] = "RSA", ["n"] = B64(p.Modulus!), ["e"] = B64(p.Exponent!) };
        }

        jwk["kid"] = Kid;
        jwk["alg"] = Alg == "none" ? "RS384" : Alg;
        jwk["use"] = "sig";
        _header = B64(Encoding.UTF8.GetBytes(new JsonObject { ["alg"] = Alg, ["typ"] = "JWT", ["kid"] = Kid }.ToJsonString()));

        var authenticated = Alg != "none";
        _service = new WebApplicationFactory<global::Program>().WithWebHostBuilder(web =>
        {
            web.UseSolutionRelativeContentRoot("src/PttmHooks.Service");
            web.UseEnvironment(authenticated ? "Production" : "Development");
            web.UseSetting("Logging:LogLevel:Default", "Warning");
            web.UseSetting("Cds:Viewer:Enabled", "false");
            web.UseSetting("Cds:PublicBaseUrl", PublicBase);
            web.UseSetting("Cds:Authentication:Required", authenticated ? "true" : "false");
            web.UseSetting("Cds:Clients:bench:Issuer", Issuer);
            web.UseSetting("Cds:Clients:bench:Jwks", new JsonObject { ["keys"] = new JsonArray(jwk) }.ToJsonString());
        });
        _client = _service.CreateClient();
        _body = HookRequests.For(Charts.Load(Charts.SeedCase), TimeProvider.System.GetUtcNow(), uncapped: false).Body;

        var answer = HookCall();
        if (!answer.Contains("wedged pulmonary artery cytology", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{Alg}: no cytology card in {answer[..Math.Min(answer.Length, 300)]}");
        }
    }

    /// <summary>Stops the service.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _service.Dispose();
        _ec?.Dispose();
        _rsa?.Dispose();
    }

    /// <summary>One seed004 call with full prefetch, with a freshly signed token unless <c>none</c>.</summary>
    [Benchmark]
    public string HookCall()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new ByteArrayContent(_body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (Alg != "none")
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SignOnly());
        }

        using var response = _client.SendAsync(request).GetAwaiter().GetResult();
        var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        return response.StatusCode == HttpStatusCode.OK ? text : throw new InvalidOperationException($"{Alg}: HTTP {(int)response.StatusCode}: {text}");
    }

    /// <summary>Signing one token, as the EHR does (not the service's work).</summary>
    [Benchmark]
    public string SignOnly()
    {
        if (Alg == "none")
        {
            return string.Empty;
        }

        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var payload = new JsonObject
        {
            ["iss"] = Issuer,
            ["aud"] = PublicBase + Path,
            ["exp"] = now + 300,
            ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString(),
        };
        var input = _header + "." + B64(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        var bytes = Encoding.ASCII.GetBytes(input);
        var signature = _ec is not null
            ? _ec.SignData(bytes, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
            : _rsa!.SignData(bytes, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1);
        return input + "." + B64(signature);
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
