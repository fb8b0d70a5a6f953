using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Security;

/// <summary>
/// The CDS Hooks 2.0 specification's own example token (ES384, kid <c>example-kid</c>, expired
/// 2015-01-29), checked against a service that trusts its issuer with the spec's public key
/// inline: refused as expired today, accepted with the clock set before its expiry (which proves
/// the ES384 signature check on a token this project did not make), refused once changed.
/// </summary>
public sealed class SpecTokenTests
{
    private const string SpecIssuer = "https://fhir-ehr.example.com/";
    private const string SpecAudience = "https://cds.example.org/cds-services/some-service";

    /// <summary>Before the token's exp (2015-01-29T22:01:00Z) and after its iat (2011-07-21).</summary>
    private static readonly DateTimeOffset s_beforeExpiry = new(2015, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static string SpecToken => TestFiles.FixtureText("hl7-spec/example-jwt-es384-expired.txt").Trim();

    /// <summary>
    /// A service trusting the spec's issuer with <c>jwks-public.json</c> inline, and (unless
    /// <paramref name="fixedAudience"/> is false) the token's aud as the client's fixed audience.
    /// <paramref name="maxLifetime"/> null keeps the 1-hour default.
    /// </summary>
    private static ServiceApp SpecApp(string? maxLifetime = "3650.00:00:00", bool fixedAudience = true, string? jwks = null) => new(new Dictionary<string, string?>
    {
        ["Cds:Authentication:Required"] = "true",
        ["Cds:PublicBaseUrl"] = "https://cds.example.org",
        ["Cds:FhirServers:0"] = null,
        ["Cds:Authentication:MaxLifetime"] = maxLifetime,
        ["Cds:Clients:spec-ehr:Issuer"] = SpecIssuer,
        ["Cds:Clients:spec-ehr:Jwks"] = jwks ?? TestFiles.FixtureText("hl7-spec/jwks-public.json"),
        ["Cds:Clients:spec-ehr:Audience"] = fixedAudience ? SpecAudience : null,
        ["Cds:Clients:spec-ehr:FhirServers:0"] = "https://fhir-ehr.example.com/fhir",
    });

    private static async Task<HttpResponseMessage> PostAsync(ServiceApp app, string token, JsonObject body)
    {
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Http.ServicePath, UriKind.Relative))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static string Reason(ServiceApp app) =>
        Assert.Single(app.Logs.GetSnapshot(), r => r.Id.Id == 2301).Message;

    /// <summary>The spec token with its payload decoded, changed by <paramref name="change"/>, and encoded again; header and signature as they were.</summary>
    private static string WithPayloadChanged(Action<JsonObject> change)
    {
        var parts = SpecToken.Split('.');
        var encoded = parts[1].Replace('-', '+').Replace('_', '/');
        var payload = JsonNode.Parse(Convert.FromBase64String(encoded.PadRight(encoded.Length + ((4 - (encoded.Length % 4)) % 4), '=')))!.AsObject();
        change(payload);
        return $"{parts[0]}.{TestKey.B64(Encoding.UTF8.GetBytes(payload.ToJsonString()))}.{parts[2]}";
    }

    [Fact]
    public async Task The_spec_example_token_is_401_as_expired_today()
    {
        using var app = SpecApp();

        using var response = await PostAsync(app, SpecToken, Http.MinimalRequest());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal($"CDS client call to {Http.ServicePath} refused (401): expired (client spec-ehr)", Reason(app));
    }

    [Fact]
    public async Task The_spec_example_token_is_accepted_before_its_expiry_when_its_long_lifetime_is_allowed()
    {
        using var app = SpecApp();
        var request = Http.MinimalRequest();
        app.Time.SetUtcNow(s_beforeExpiry);

        using var response = await PostAsync(app, SpecToken, request);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.TextAsync());
        Assert.NotNull((await response.JsonAsync())["cards"]);
        Assert.DoesNotContain(app.Logs.GetSnapshot(), r => r.Id.Id == 2301);
    }

    [Fact]
    public async Task The_spec_example_token_is_401_before_its_expiry_under_the_default_one_hour_lifetime_limit()
    {
        using var app = SpecApp(maxLifetime: null);
        var request = Http.MinimalRequest();
        app.Time.SetUtcNow(s_beforeExpiry);

        using var response = await PostAsync(app, SpecToken, request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.EndsWith(": lifetime-too-long (client spec-ehr)", Reason(app), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("jti")]
    [InlineData("exp")]
    [InlineData("tenant")]
    [InlineData("aud")]
    public async Task The_spec_example_token_with_its_payload_changed_is_401_as_a_bad_signature(string claim)
    {
        using var app = SpecApp();
        var request = Http.MinimalRequest();
        app.Time.SetUtcNow(s_beforeExpiry);
        var changed = WithPayloadChanged(payload =>
        {
            switch (claim)
            {
                case "jti":
                    payload["jti"] = "ee22b021-e1b7-4611-ba5b-8eec6a33ac1f";
                    break;
                case "exp":
                    payload["exp"] = (long)payload["exp"]! + 1;
                    break;
                case "tenant":
                    payload["tenant"] = "3ddd6c3a-8e9a-44c6-a305-52111ad302a2";
                    break;
                default:
                    payload["aud"] = "https://cds.example.org/cds-services/some-service/";
                    break;
            }
        });

        using var response = await PostAsync(app, changed, request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.EndsWith(": signature (client spec-ehr)", Reason(app), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_spec_example_token_with_one_byte_of_its_encoded_payload_changed_is_401()
    {
        using var app = SpecApp();
        var request = Http.MinimalRequest();
        app.Time.SetUtcNow(s_beforeExpiry);
        var parts = SpecToken.Split('.');
        // A character in the middle of the payload segment, changed to another base64url character.
        var payload = parts[1].ToCharArray();
        var middle = payload.Length / 2;
        payload[middle] = payload[middle] == 'A' ? 'B' : 'A';
        var changed = $"{parts[0]}.{new string(payload)}.{parts[2]}";

        using var response = await PostAsync(app, changed, request);

        Assert.NotEqual(SpecToken, changed);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task The_spec_example_token_is_401_at_an_endpoint_its_aud_does_not_name()
    {
        // No fixed audience: the aud must be this endpoint's URL, and the token names some-service.
        using var app = SpecApp(fixedAudience: false);
        var request = Http.MinimalRequest();
        app.Time.SetUtcNow(s_beforeExpiry);

        using var response = await PostAsync(app, SpecToken, request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.EndsWith(": audience (client spec-ehr)", Reason(app), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_spec_example_token_is_401_when_the_trusted_key_set_has_no_key_with_its_kid()
    {
        using var app = SpecApp(jwks: TestFiles.FixtureText("hl7-spec/jwks-public.json").Replace("example-kid", "rotated-kid", StringComparison.Ordinal));
        var request = Http.MinimalRequest();
        app.Time.SetUtcNow(s_beforeExpiry);

        using var response = await PostAsync(app, SpecToken, request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.EndsWith(": key-unknown (client spec-ehr)", Reason(app), StringComparison.Ordinal);
    }
}
