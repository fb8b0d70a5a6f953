using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using PttmHooks.Service.Tests.Hosting;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Security;

/// <summary>
/// The security settings are checked at start-up (ValidateOnStart): each mistake stops the service
/// with a message naming the setting. The base is a complete Production configuration that starts;
/// each case changes one thing in it.
/// </summary>
public sealed class SecuritySettingsTests
{
    private const string Jwks = "https://ehr.example.org/.well-known/jwks.json";

    /// <summary>
    /// A complete Production configuration: one client with an https JWKS URL and an https FHIR
    /// server, the public base URL, and none of ServiceApp's Development defaults.
    /// </summary>
    private static Dictionary<string, string?> Production() => new()
    {
        ["Cds:FhirServers:0"] = null,
        ["Cds:PublicBaseUrl"] = "https://cds.example.org",
        ["Cds:Clients:ehr:Issuer"] = "https://ehr.example.org",
        ["Cds:Clients:ehr:JwksUrl"] = Jwks,
        ["Cds:Clients:ehr:FhirServers:0"] = "https://ehr.example.org/fhir",
    };

    /// <summary>The development key set of samples/keys, as the Development appsettings trust it.</summary>
    private static string DevelopmentKeys()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var file = Path.Combine(folder.FullName, "samples", "keys", "local-dev.jwks.json");
            if (File.Exists(file))
            {
                return File.ReadAllText(file);
            }
        }

        throw new FileNotFoundException("samples/keys/local-dev.jwks.json not found above the test assembly");
    }

    private static string WithPrivateKey()
    {
        var jwk = JsonNode.Parse(TestFiles.FixtureText("hl7-spec/jwk-private.json"))!.AsObject();
        Assert.NotNull(jwk["d"]);
        return new JsonObject { ["keys"] = new JsonArray(jwk.DeepClone()) }.ToJsonString();
    }

    private const string OctKey = """{"keys":[{"kty":"oct","kid":"shared-1","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0","alg":"HS256"}]}""";

    public static TheoryData<string> Mistakes() =>
    [
        "client without Issuer", "client without keys", "client with JwksUrl and Jwks", "http JwksUrl in Production",
        "http FHIR server of a client in Production", "authentication required and no clients", "Jwks with a private key",
        "Jwks with an oct key", "Jwks not JSON", "development key in Production", "two clients with one issuer",
        "no PublicBaseUrl in Production", "Cds:FhirServers while authentication is required", "CORS origin with a path",
    ];

    /// <summary>The settings of <paramref name="what"/>, and what the start-up failure must say.</summary>
    private static (Dictionary<string, string?> Settings, string Expected) Mistake(string what)
    {
        var settings = Production();
        switch (what)
        {
            case "client without Issuer":
                settings["Cds:Clients:ehr:Issuer"] = null;
                return (settings, "Cds:Clients:ehr:Issuer is missing");
            case "client without keys":
                settings["Cds:Clients:ehr:JwksUrl"] = null;
                return (settings, "Cds:Clients:ehr has no keys: set Cds:Clients:ehr:JwksUrl");
            case "client with JwksUrl and Jwks":
                settings["Cds:Clients:ehr:Jwks"] = TestKey.Jwks(TestKey.SpecExample);
                return (settings, "Cds:Clients:ehr has both JwksUrl and Jwks");
            case "http JwksUrl in Production":
                settings["Cds:Clients:ehr:JwksUrl"] = "http://ehr.example.org/.well-known/jwks.json";
                return (settings, "Cds:Clients:ehr:JwksUrl (http://ehr.example.org/.well-known/jwks.json) uses http");
            case "http FHIR server of a client in Production":
                settings["Cds:Clients:ehr:FhirServers:0"] = "http://ehr.example.org/fhir";
                return (settings, "Cds:Clients:ehr:FhirServers:0 (http://ehr.example.org/fhir) uses http");
            case "authentication required and no clients":
                settings["Cds:Clients:ehr:Issuer"] = null;
                settings["Cds:Clients:ehr:JwksUrl"] = null;
                settings["Cds:Clients:ehr:FhirServers:0"] = null;
                return (settings, "no trusted CDS clients are configured: set Cds:Clients:<name>:Issuer");
            case "Jwks with a private key":
                settings["Cds:Clients:ehr:JwksUrl"] = null;
                settings["Cds:Clients:ehr:Jwks"] = WithPrivateKey();
                return (settings, "Cds:Clients:ehr:Jwks holds a private key (kid 'example-kid')");
            case "Jwks with an oct key":
                settings["Cds:Clients:ehr:JwksUrl"] = null;
                settings["Cds:Clients:ehr:Jwks"] = OctKey;
                return (settings, "Cds:Clients:ehr:Jwks holds a symmetric (oct) key");
            case "Jwks not JSON":
                settings["Cds:Clients:ehr:JwksUrl"] = null;
                settings["Cds:Clients:ehr:Jwks"] = "-----BEGIN PUBLIC KEY----- MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE -----END PUBLIC KEY-----";
                return (settings, "Cds:Clients:ehr:Jwks is not a JWK Set");
            case "development key in Production":
                settings["Cds:Clients:ehr:JwksUrl"] = null;
                settings["Cds:Clients:ehr:Jwks"] = DevelopmentKeys();
                return (settings, "Cds:Clients:ehr:Jwks holds the development key 'pttm-hooks-local-dev-1'");
            case "two clients with one issuer":
                settings["Cds:Clients:other:Issuer"] = "https://ehr.example.org/";
                settings["Cds:Clients:other:Jwks"] = TestKey.Jwks(TestKey.SpecExample);
                return (settings, "Cds:Clients:other:Issuer is also the issuer of client 'ehr'");
            case "no PublicBaseUrl in Production":
                settings["Cds:PublicBaseUrl"] = null;
                return (settings, "Cds:PublicBaseUrl is required outside Development");
            case "Cds:FhirServers while authentication is required":
                settings["Cds:FhirServers:0"] = "https://open.example.org/fhir";
                return (settings, "Cds:FhirServers applies only to unauthenticated calls");
            case "CORS origin with a path":
                settings["Cds:Cors:Origins:0"] = "https://ehr.example.org";
                settings["Cds:Cors:Origins:1"] = "https://ehr.example.org/app";
                return (settings, "Cds:Cors:Origins:1 ('https://ehr.example.org/app') must be an origin");
            default:
                throw new ArgumentOutOfRangeException(nameof(what), what, null);
        }
    }

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void A_security_setting_mistake_stops_the_service_with_a_message_naming_the_setting(string what)
    {
        var (settings, expected) = Mistake(what);
        using var app = new ServiceApp(settings, environment: "Production");

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        var messages = StartupTests.Messages(error);
        Assert.Contains(expected, messages, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_mistake_of_one_configuration_is_reported_at_once()
    {
        var settings = Production();
        settings["Cds:Clients:ehr:Issuer"] = null;
        settings["Cds:Clients:ehr:FhirServers:0"] = "http://ehr.example.org/fhir";
        settings["Cds:Cors:Origins:0"] = "https://ehr.example.org/app";
        using var app = new ServiceApp(settings, environment: "Production");

        var messages = StartupTests.Messages(Assert.ThrowsAny<Exception>(() => app.CreateClient()));

        Assert.Contains("Cds:Clients:ehr:Issuer", messages, StringComparison.Ordinal);
        Assert.Contains("Cds:Clients:ehr:FhirServers:0", messages, StringComparison.Ordinal);
        Assert.Contains("Cds:Cors:Origins:0", messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_complete_Production_configuration_starts()
    {
        using var app = new ServiceApp(Production(), environment: "Production");

        using var live = await app.GetAsync("/health/live");
        using var discovery = await app.GetAsync("/cds-services");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        // Production requires a token on every CDS endpoint.
        Assert.Equal(HttpStatusCode.Unauthorized, discovery.StatusCode);
        Assert.DoesNotContain(app.Logs.GetSnapshot(), r => r.Id.Id == 1001);
    }

    [Fact]
    public void A_complete_Production_configuration_with_fixed_audiences_needs_no_public_base_URL()
    {
        var settings = Production();
        settings["Cds:PublicBaseUrl"] = null;
        settings["Cds:Clients:ehr:Audience"] = "https://cds.example.org";
        using var app = new ServiceApp(settings, environment: "Production");

        using var client = app.CreateClient();

        Assert.NotNull(client);
    }

    [Fact]
    public void The_development_key_and_loopback_http_are_accepted_in_Development()
    {
        var settings = Production();
        settings["Cds:Clients:ehr:JwksUrl"] = "http://127.0.0.1:1/jwks.json";
        settings["Cds:Clients:ehr:FhirServers:0"] = "http://localhost:8080/fhir";
        settings["Cds:Clients:dev:Issuer"] = "https://dev-ehr.example.org";
        settings["Cds:Clients:dev:Jwks"] = DevelopmentKeys();
        settings["Cds:Authentication:Required"] = "true";
        using var app = new ServiceApp(settings, environment: "Development");

        using var client = app.CreateClient();

        Assert.NotNull(client);
    }

    [Fact]
    public async Task Development_without_authentication_warns_at_start_up_and_on_unauthenticated_calls_once_a_minute()
    {
        using var app = new ServiceApp(new Dictionary<string, string?> { ["Cds:Authentication:Required"] = "false" });
        var start = app.Time.GetUtcNow();

        using var discovery = await app.GetAsync("/cds-services");
        using var again = await app.GetAsync("/cds-services");
        using var hook = await app.PostJsonAsync(Http.ServicePath, Http.MinimalRequest());
        app.Time.SetUtcNow(start.AddSeconds(59));
        using var stillQuiet = await app.PostJsonAsync(Http.ServicePath, Http.MinimalRequest());
        app.Time.SetUtcNow(start.AddSeconds(61));
        using var aMinuteOn = await app.PostJsonAsync(Http.ServicePath, Http.MinimalRequest());

        Assert.All(new[] { discovery, again, hook, stillQuiet, aMinuteOn }, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var records = app.Logs.GetSnapshot();
        var startup = Assert.Single(records, r => r.Id.Id == 1001);
        Assert.Equal(LogLevel.Warning, startup.Level);
        Assert.Contains("NOT REQUIRED", startup.Message, StringComparison.Ordinal);
        var calls = records.Where(r => r.Id.Id == 2302).ToList();
        Assert.Equal(2, calls.Count);
        Assert.All(calls, r => Assert.Equal(LogLevel.Warning, r.Level));
        Assert.StartsWith("Unauthenticated GET /cds-services", calls[0].Message, StringComparison.Ordinal);
        Assert.Contains("; 1 unauthenticated call(s) since", calls[0].Message, StringComparison.Ordinal);
        Assert.StartsWith("Unauthenticated POST " + Http.ServicePath, calls[1].Message, StringComparison.Ordinal);
        Assert.Contains("; 4 unauthenticated call(s) since", calls[1].Message, StringComparison.Ordinal);
    }
}
