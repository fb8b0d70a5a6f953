using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PttmHooks.Service.Security;

namespace PttmHooks.Benchmarks;

/// <summary>
/// The service's check of one ES384 client JWT, alone (issue 20): no HTTP, no hook call, no signing
/// in the measured code. Each invocation takes a token signed in <see cref="SignTokens"/> (a fresh
/// <c>jti</c> each: the service refuses a replay), so that what is measured compares cleanly with
/// OpenSSL's floor (<c>openssl speed ecdsap384</c>, verify/s). <see cref="VerifyOnly"/> is that
/// floor through .NET: the P-384 signature of the same token checked with a key built once.
/// <see cref="Authenticate"/> is everything the service does for a token: the JwtBearer handler
/// with the service's settings and events (header checks, key lookup, signature, issuer, lifetime,
/// <see cref="TokenRules"/>, the in-memory replay cache).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchConfig))]
[InvocationCount(Tokens, 1)]
public class TokenValidationBenchmark
{
    private const int Tokens = 256;
    private const string PublicBase = "https://cds.example.org";
    private const string Issuer = "https://ehr.example.org";
    private const string Path = "/cds-services/pttm-screening";
    private const string Kid = "bench-1";

    private readonly string[] _tokens = new string[Tokens];
    private WebApplicationFactory<global::Program> _service = null!;
    private IServiceScopeFactory _scopes = null!;
    private ECDsa _signer = null!;
    private ECDsa _verifier = null!;
    private string _header = null!;
    private int _next;

    /// <summary>Starts the service (Production, one trusted client with the public key inline).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _signer = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var p = _signer.ExportParameters(false);
        _verifier = ECDsa.Create(p);
        var jwk = new JsonObject { ["kty"] = "EC", ["crv"] = "P-384", ["x"] = B64(p.Q.X!), ["y"] = B64(p.Q.Y!), ["kid"] = Kid, ["alg"] = "ES384", ["use"] = "sig" };
        _header = B64(Encoding.UTF8.GetBytes(new JsonObject { ["alg"] = "ES384", ["typ"] = "JWT", ["kid"] = Kid }.ToJsonString()));
        _service = new WebApplicationFactory<global::Program>().WithWebHostBuilder(web =>
        {
            web.UseSolutionRelativeContentRoot("src/PttmHooks.Service");
            web.UseEnvironment("Production");
            web.UseSetting("Logging:LogLevel:Default", "Warning");
            web.UseSetting("Cds:Viewer:Enabled", "false");
            web.UseSetting("Cds:PublicBaseUrl", PublicBase);
            web.UseSetting("Cds:Clients:bench:Issuer", Issuer);
            web.UseSetting("Cds:Clients:bench:Jwks", new JsonObject { ["keys"] = new JsonArray(jwk) }.ToJsonString());
        });
        _scopes = _service.Services.GetRequiredService<IServiceScopeFactory>();
        SignTokens();
        if (!Authenticate() || Authenticate(_tokens[0]))
        {
            throw new InvalidOperationException("the service refused a valid token, or took one twice");
        }

        if (!VerifyOnly())
        {
            throw new InvalidOperationException("the signature does not verify");
        }
    }

    /// <summary>Signs the tokens one iteration uses (not measured).</summary>
    [IterationSetup]
    public void SignTokens()
    {
        for (var i = 0; i < Tokens; i++)
        {
            _tokens[i] = Sign();
        }

        _next = 0;
    }

    /// <summary>Stops the service.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _service.Dispose();
        _signer.Dispose();
        _verifier.Dispose();
    }

    /// <summary>The floor: the token's ES384 signature checked through .NET's OpenSSL, key built once.</summary>
    [Benchmark(Baseline = true)]
    public bool VerifyOnly()
    {
        var token = _tokens[_next++ % Tokens];
        var dot = token.LastIndexOf('.');
        var signature = Base64Url(token.AsSpan(dot + 1));
        return _verifier.VerifyData(Encoding.ASCII.GetBytes(token, 0, dot), signature, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>The service's whole check of one token: <c>AuthenticateAsync</c> of the CDS client scheme on a request that carries it.</summary>
    [Benchmark]
    public bool Authenticate() => Authenticate(_tokens[_next++ % Tokens]);

    private bool Authenticate(string token)
    {
        // A scope per call, as per request: the handler provider keeps one handler per scope, and a
        // handler remembers its first result.
        using var scope = _scopes.CreateScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        http.Request.Method = "POST";
        http.Request.Scheme = "https";
        http.Request.Host = new HostString("cds.example.org");
        http.Request.Path = Path;
        http.Request.Headers.Authorization = "Bearer " + token;
        var result = http.AuthenticateAsync(CdsAuthentication.Scheme).GetAwaiter().GetResult();
        return result.Succeeded;
    }

    /// <summary>The token handler alone with the service's validation parameters (no events: no header checks, claim rules or replay cache).</summary>
    [Benchmark]
    public bool HandlerOnly()
    {
        var jwt = _service.Services.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>().Get(CdsAuthentication.Scheme);
        var result = jwt.TokenHandlers[0].ValidateTokenAsync(_tokens[_next++ % Tokens], jwt.TokenValidationParameters).GetAwaiter().GetResult();
        return result.IsValid;
    }

    /// <summary>
    /// The same three checks by CPU time rather than wall-clock time (<c>token-cpu</c> helper): on a
    /// host shared with other work, the process's user + system time per check is the steadier
    /// figure. <paramref name="rounds"/> rounds of <see cref="Tokens"/> checks of each kind, in
    /// turn; prints the median per check in µs.
    /// </summary>
    public static int MeasureCpu(int rounds)
    {
        var bench = new TokenValidationBenchmark();
        bench.Setup();
        var checks = new (string Name, Func<bool> Check)[] { ("VerifyOnly", bench.VerifyOnly), ("HandlerOnly", bench.HandlerOnly), ("Authenticate", bench.Authenticate) };
        var times = checks.ToDictionary(c => c.Name, _ => new List<double>());
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        for (var round = 0; round < rounds + 2; round++)
        {
            foreach (var (name, check) in checks)
            {
                bench.SignTokens();
                process.Refresh();
                var before = process.TotalProcessorTime;
                for (var i = 0; i < Tokens; i++)
                {
                    if (!check())
                    {
                        throw new InvalidOperationException($"{name} refused a valid token");
                    }
                }

                process.Refresh();
                if (round >= 2)
                {
                    // The first two rounds warm the JIT up.
                    times[name].Add((process.TotalProcessorTime - before).TotalMicroseconds / Tokens);
                }
            }
        }

        bench.Cleanup();
        foreach (var (name, list) in times)
        {
            list.Sort();
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name}: median {list[list.Count / 2]:F0} µs CPU per check (min {list[0]:F0}, max {list[^1]:F0}, {rounds} rounds of {Tokens})"));
        }

        return 0;
    }

    private string Sign()
    {
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var payload = new JsonObject { ["iss"] = Issuer, ["aud"] = PublicBase + Path, ["exp"] = now + 300, ["iat"] = now, ["jti"] = Guid.NewGuid().ToString() };
        var input = _header + "." + B64(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        var signature = _signer.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return input + "." + B64(signature);
    }

    private static byte[] Base64Url(ReadOnlySpan<char> text)
    {
        var s = text.ToString().Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
