using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using PttmHooks.Service.Security;
using PttmHooks.Service.Tests.Hosting;
using PttmHooks.Service.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace PttmHooks.Service.Tests.Security;

/// <summary>
/// The public CDS Hooks Sandbox, as appsettings.Development.json trusts it with no configuration:
/// tokens in the sandbox's exact shape (ES384, iss https://sandbox.cds-hooks.org, jku its JWKS URL,
/// kid, aud the exact URL called, exp = iat + 300, a jti, no tenant) are accepted, anything else is
/// not. The key is this test's own: the sandbox's JWKS URL, as configured, is answered by a
/// WireMock.Net server (every request to it is routed there and recorded), never by the real host.
/// </summary>
public sealed class SandboxClientTests : IDisposable
{
    private static readonly TestKey s_key = TestKey.NewEc("sandbox-shaped-test-key");
    private readonly WireMockServer _jwks = WireMockServer.Start();
    private readonly List<Uri> _jwksRequests = [];

    public SandboxClientTests()
    {
        _jwks.Given(Request.Create().WithPath("/.well-known/jwks.json").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(TestKey.Jwks(s_key)));
    }

    /// <summary>The service in Development as shipped, its key-set fetches routed to the WireMock server.</summary>
    private ServiceApp App(IReadOnlyDictionary<string, string?>? settings = null) =>
        new ServiceApp(Unhurried(settings)).WithServices(services => services.Configure<HttpClientFactoryOptions>(nameof(JwksClient), options =>
            options.HttpMessageHandlerBuilderActions.Add(handlers => handlers.PrimaryHandler = new RouteTo(new Uri(_jwks.Url!), _jwksRequests))));

    /// <summary>
    /// <paramref name="settings"/> with time limits a loaded machine keeps: the key set is fetched
    /// from WireMock through the outbound pipeline, whose 1 s attempt timeout a cold answer exceeded
    /// (a valid token then got 401 for want of keys).
    /// </summary>
    private static Dictionary<string, string?> Unhurried(IReadOnlyDictionary<string, string?>? settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["Cds:Authentication:JwksTimeout"] = "00:00:15",
            ["Cds:Fallback:AttemptTimeout"] = "00:00:05",
            ["Cds:Fallback:Budget"] = "00:00:15",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return all;
    }

    /// <summary>A token as the sandbox signs it, for <paramref name="aud"/>.</summary>
    private static string SandboxToken(ServiceApp app, string aud, Action<JsonObject, JsonObject>? change = null)
    {
        var now = app.Time.GetUtcNow().ToUnixTimeSeconds();
        var header = new JsonObject { ["alg"] = "ES384", ["typ"] = "JWT", ["kid"] = s_key.Kid, ["jku"] = CdsHooksSandbox.JwksUrl };
        var payload = new JsonObject
        {
            ["iss"] = CdsHooksSandbox.Issuer, ["aud"] = aud, ["exp"] = now + 300, ["iat"] = now, ["jti"] = Guid.NewGuid().ToString(),
        };
        change?.Invoke(header, payload);
        return Jws.Sign(header, payload, s_key);
    }

    private static Task<HttpResponseMessage> SendAsync(ServiceApp app, HttpMethod method, string path, string? token, JsonNode? body = null) =>
        TokenRig.SendAsync(app, token, method, path, body);

    [Fact]
    public async Task Discovery_a_hook_call_and_feedback_signed_as_the_sandbox_signs_them_are_answered()
    {
        using var app = App();
        // TestServer's base is http://localhost: the sandbox's aud is the exact URL it calls.
        const string Base = "http://localhost";

        using var discovery = await SendAsync(app, HttpMethod.Get, "/cds-services", SandboxToken(app, Base + "/cds-services"));
        var request = app.CaseRequest("seed000-breast-perfusion-defects");
        using var hook = await SendAsync(app, HttpMethod.Post, Http.ServicePath, SandboxToken(app, Base + Http.ServicePath), request);
        var body = await hook.JsonAsync();
        Assert.True(hook.StatusCode == HttpStatusCode.OK, TestFiles.Show(body));
        var card = Assert.Single(body["cards"]!.AsArray())!;
        var feedback = new JsonObject
        {
            ["feedback"] = new JsonArray(new JsonObject
            {
                ["card"] = (string)card["uuid"]!,
                ["outcome"] = "accepted",
                ["acceptedSuggestions"] = new JsonArray(new JsonObject { ["id"] = (string)card["suggestions"]![0]!["uuid"]! }),
                ["outcomeTimestamp"] = "2026-12-07T12:34:56.789Z",
            }),
        };
        using var accepted = await SendAsync(app, HttpMethod.Post, Http.FeedbackPath, SandboxToken(app, Base + Http.FeedbackPath), feedback);

        Assert.Equal(HttpStatusCode.OK, discovery.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        // The key set was fetched from the configured JWKS URL (once: then cached), never from anywhere a token named.
        Assert.Equal(new Uri(CdsHooksSandbox.JwksUrl), Assert.Single(_jwksRequests));
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Id.Name == "KeysFetched");
    }

    [Fact]
    public async Task The_sandbox_keys_are_fetched_on_its_first_call_only_and_readiness_does_not_wait_for_them()
    {
        using var app = App();

        using var ready = await app.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Empty(_jwksRequests);
    }

    [Theory]
    [InlineData("aud of another endpoint")]
    [InlineData("aud of another host")]
    [InlineData("jku of another host")]
    [InlineData("signed by another key")]
    [InlineData("lifetime too long")]
    [InlineData("no jti")]
    [InlineData("issuer with another host")]
    public async Task A_token_that_differs_from_the_sandbox_shape_is_refused(string change)
    {
        using var app = App();
        var aud = "http://localhost" + Http.ServicePath;
        var token = change switch
        {
            "aud of another endpoint" => SandboxToken(app, "http://localhost/cds-services"),
            "aud of another host" => SandboxToken(app, "http://localhost:5080" + Http.ServicePath),
            "jku of another host" => SandboxToken(app, aud, (h, _) => h["jku"] = "https://attacker.example.org/.well-known/jwks.json"),
            "lifetime too long" => SandboxToken(app, aud, (_, p) => p["exp"] = (long)p["iat"]! + 7200),
            "no jti" => SandboxToken(app, aud, (_, p) => p.Remove("jti")),
            "issuer with another host" => SandboxToken(app, aud, (_, p) => p["iss"] = "https://sandbox.cds-hooks.org.attacker.example.org"),
            _ => ForeignKey(app, aud),
        };

        using var response = await SendAsync(app, HttpMethod.Post, Http.ServicePath, token, app.CaseRequest("seed000-breast-perfusion-defects"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        // Whatever a token names, only the configured JWKS URL is ever fetched.
        Assert.All(_jwksRequests, u => Assert.Equal(new Uri(CdsHooksSandbox.JwksUrl), u));
    }

    private static string ForeignKey(ServiceApp app, string aud)
    {
        var other = TestKey.NewEc(s_key.Kid);
        var now = app.Time.GetUtcNow().ToUnixTimeSeconds();
        return Jws.Sign(
            new JsonObject { ["alg"] = "ES384", ["typ"] = "JWT", ["kid"] = s_key.Kid, ["jku"] = CdsHooksSandbox.JwksUrl },
            new JsonObject { ["iss"] = CdsHooksSandbox.Issuer, ["aud"] = aud, ["exp"] = now + 300, ["iat"] = now, ["jti"] = Guid.NewGuid().ToString() },
            other);
    }

    [Fact]
    public async Task A_sandbox_token_is_accepted_once()
    {
        using var app = App();
        var token = SandboxToken(app, "http://localhost/cds-services");

        using var first = await SendAsync(app, HttpMethod.Get, "/cds-services", token);
        using var replayed = await SendAsync(app, HttpMethod.Get, "/cds-services", token);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
    }

    [Fact]
    public async Task Behind_a_reverse_proxy_aud_is_the_public_url_the_sandbox_called()
    {
        using var app = App(new Dictionary<string, string?> { ["Cds:PublicBaseUrl"] = "https://pttm.example.org/hooks" });

        using var viaProxy = await SendAsync(app, HttpMethod.Get, "/cds-services", SandboxToken(app, "https://pttm.example.org/hooks/cds-services"));
        using var internalUrl = await SendAsync(app, HttpMethod.Get, "/cds-services", SandboxToken(app, "http://localhost/cds-services"));

        Assert.Equal(HttpStatusCode.OK, viaProxy.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, internalUrl.StatusCode);
    }

    [Theory]
    [InlineData("Production", "issuer")]
    [InlineData("Staging", "issuer")]
    [InlineData("Production", "jwks")]
    [InlineData("Production", "inline keys")]
    public void Outside_Development_a_client_with_the_sandbox_issuer_or_key_set_stops_the_start(string environment, string how)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Cds:FhirServers:0"] = null,
            ["Cds:PublicBaseUrl"] = "https://cds.example.org",
            ["Cds:Clients:trial:Issuer"] = how == "jwks" ? "https://trial.example.org" : CdsHooksSandbox.Issuer + "/",
            ["Cds:Clients:trial:JwksUrl"] = how == "inline keys" ? null : CdsHooksSandbox.JwksUrl,
            ["Cds:Clients:trial:Jwks"] = how == "inline keys" ? TestKey.Jwks(s_key) : null,
            ["Cds:Clients:trial:FhirServers:0"] = "https://launch.smarthealthit.org/v/r4/fhir",
        };
        using var app = new ServiceApp(settings, environment);

        var messages = StartupTests.Messages(Assert.ThrowsAny<Exception>(() => app.CreateClient()));

        Assert.Contains(
            "Cds:Clients:trial is the public CDS Hooks Sandbox (https://sandbox.cds-hooks.org), whose private key is published, so anyone can sign as it: " +
            $"it may be trusted in the Development environment only (this is '{environment}').",
            messages,
            StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _jwks.Stop();
        _jwks.Dispose();
    }

    /// <summary>Sends every request to <paramref name="target"/> (same path and query), recording the URL it was meant for.</summary>
    private sealed class RouteTo(Uri target, List<Uri> requests) : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (requests)
            {
                requests.Add(request.RequestUri!);
            }

            request.RequestUri = new Uri(target, request.RequestUri!.PathAndQuery);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
