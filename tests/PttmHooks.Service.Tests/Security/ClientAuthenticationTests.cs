using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using PttmHooks.Service.Tests.Support;
using Microsoft.Extensions.Logging;

namespace PttmHooks.Service.Tests.Security;

/// <summary>
/// CDS client authentication (CDS Hooks 2.0 "Trusting CDS Clients") with real JWTs: ES384 and
/// RS384 keys served from a WireMock.Net JWKS endpoint, and the sandbox's key configured inline.
/// </summary>
public sealed class ClientAuthenticationTests
{
    private static HttpMethod Post => HttpMethod.Post;

    [Fact]
    public async Task A_valid_ES384_token_from_a_JWKS_URL_gets_the_card()
    {
        using var rig = new TokenRig();
        var request = rig.App.CaseRequest(TokenRig.CardCase);

        using var response = await rig.PostHookAsync(rig.TokenA(), request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEmpty((await response.JsonAsync())["cards"]!.AsArray());
        Assert.Equal(1, rig.JwksFetches);
    }

    [Fact]
    public async Task A_valid_RS384_token_gets_the_card()
    {
        using var rig = new TokenRig();
        var request = rig.App.CaseRequest(TokenRig.CardCase);
        var token = Jws.Sign(TokenRig.Header(TestKey.Rsa), rig.Payload(TokenRig.IssuerA), TestKey.Rsa);

        using var response = await rig.PostHookAsync(token, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_sandbox_shaped_token_with_inline_keys_is_accepted_and_its_jku_never_fetched()
    {
        using var rig = new TokenRig();
        var request = rig.App.CaseRequest(TokenRig.CardCase);

        using var response = await rig.PostHookAsync(rig.TokenB(), request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Discovery_service_and_feedback_each_need_a_token_for_their_own_URL()
    {
        using var rig = new TokenRig();
        var feedback = TestFiles.Fixture("hl7-spec/feedback-accepted.json");

        using var discovery = await rig.SendAsync(rig.TokenA("/cds-services"), HttpMethod.Get, "/cds-services");
        using var feedbackOk = await rig.SendAsync(rig.TokenA(Http.FeedbackPath), Post, Http.FeedbackPath, feedback);
        using var noTokenDiscovery = await rig.SendAsync(null, HttpMethod.Get, "/cds-services");
        using var noTokenFeedback = await rig.SendAsync(null, Post, Http.FeedbackPath, feedback);
        using var serviceTokenOnFeedback = await rig.SendAsync(rig.TokenA(Http.ServicePath), Post, Http.FeedbackPath, feedback);
        using var feedbackTokenOnDiscovery = await rig.SendAsync(rig.TokenA(Http.FeedbackPath), HttpMethod.Get, "/cds-services");

        Assert.Equal(HttpStatusCode.OK, discovery.StatusCode);
        Assert.Equal(HttpStatusCode.OK, feedbackOk.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, noTokenDiscovery.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, noTokenFeedback.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, serviceTokenOnFeedback.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, feedbackTokenOnDiscovery.StatusCode);
    }

    /// <summary>Each way a token can be wrong, as (what, token maker); every one must give the same bare 401.</summary>
    public static TheoryData<string> Refusals() =>
    [
        "expired", "not yet valid (nbf)", "issued in the future (iat)", "lifetime over 1 hour", "no iat", "no exp",
        "wrong aud", "aud of another service", "wrong iss", "alg none", "HS256 with the public key as secret",
        "HS256 with the RSA public key as secret", "no kid", "typ not JWT", "no jti", "signature of another key",
        "payload changed after signing", "jku not configured", "not a JWT", "Basic credentials",
    ];

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_bad_token_is_401_with_WWW_Authenticate_Bearer_and_no_reason_in_the_body(string what)
    {
        using var rig = new TokenRig();
        var request = rig.App.CaseRequest(TokenRig.CardCase);
        var token = Bad(rig, what);

        using var response = what == "Basic credentials"
            ? await SendRawAsync(rig, "Basic dXNlcjpwYXNz", request)
            : await rig.PostHookAsync(token, request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).ToString());
        var issue = Assert.Single(await response.IssuesAsync());
        Assert.Equal("login", issue.Code);
        Assert.Equal(UnauthorizedText, issue.Diagnostics);
    }

    [Fact]
    public async Task No_token_is_the_same_401()
    {
        using var rig = new TokenRig();

        using var response = await rig.PostHookAsync(null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).ToString());
        Assert.Equal(UnauthorizedText, Assert.Single(await response.IssuesAsync()).Diagnostics);
    }

    [Theory]
    [InlineData("expired", "expired")]
    [InlineData("not yet valid (nbf)", "not-yet-valid")]
    [InlineData("issued in the future (iat)", "not-yet-valid")]
    [InlineData("lifetime over 1 hour", "lifetime-too-long")]
    [InlineData("wrong aud", "audience")]
    [InlineData("wrong iss", "issuer")]
    [InlineData("alg none", "algorithm")]
    [InlineData("HS256 with the public key as secret", "algorithm")]
    [InlineData("no kid", "kid-missing")]
    [InlineData("typ not JWT", "type")]
    [InlineData("no jti", "jti-missing")]
    [InlineData("signature of another key", "signature")]
    [InlineData("payload changed after signing", "signature")]
    [InlineData("jku not configured", "jku")]
    [InlineData("not a JWT", "malformed")]
    public async Task The_reason_goes_to_the_log_not_to_the_caller(string what, string reason)
    {
        using var rig = new TokenRig();
        var request = rig.App.CaseRequest(TokenRig.CardCase);

        using var response = await rig.PostHookAsync(Bad(rig, what), request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var record = Assert.Single(rig.App.Logs.GetSnapshot(), r => r.Id.Id == 2301);
        Assert.Equal(LogLevel.Warning, record.Level);
        Assert.Contains($": {reason} (client", record.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(reason, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Documents_and_health_need_no_token_and_never_read_one()
    {
        using var rig = new TokenRig();
        var token = rig.TokenA("/cds-services");

        using var docs = await rig.SendAsync(token, HttpMethod.Get, "/docs/pttm-criteria.md");
        using var live = await rig.SendAsync(token, HttpMethod.Get, "/health/live");
        using var anonymousDocs = await rig.SendAsync(null, HttpMethod.Get, "/docs/pttm-criteria.md");
        using var discovery = await rig.SendAsync(token, HttpMethod.Get, "/cds-services");

        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, anonymousDocs.StatusCode);
        // The token (whose aud is /cds-services) was not even read at /docs and /health: no refusal
        // was logged there, and it is still good for the endpoint it was made for.
        Assert.DoesNotContain(rig.App.Logs.GetSnapshot(), r => r.Id.Id == 2301);
        Assert.Equal(HttpStatusCode.OK, discovery.StatusCode);
    }

    [Fact]
    public async Task A_token_within_the_clock_skew_is_accepted()
    {
        using var rig = new TokenRig();
        var request = rig.App.CaseRequest(TokenRig.CardCase);
        var payload = rig.Payload(TokenRig.IssuerA);
        var now = rig.App.Time.GetUtcNow().ToUnixTimeSeconds();
        payload["iat"] = now - 330;
        payload["exp"] = now - 30; // expired 30 s ago; the default skew is 1 minute

        using var response = await rig.PostHookAsync(Jws.Sign(TokenRig.Header(TestKey.SpecExample), payload, TestKey.SpecExample), request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_client_with_a_fixed_audience_is_checked_against_it_instead_of_the_URL()
    {
        using var rig = new TokenRig(new Dictionary<string, string?> { ["Cds:Clients:ehr-a:Audience"] = "https://cds.example.org" });
        var request = rig.App.CaseRequest(TokenRig.CardCase);
        var fixedAud = rig.Payload(TokenRig.IssuerA);
        fixedAud["aud"] = "https://cds.example.org/";

        using var accepted = await rig.PostHookAsync(Jws.Sign(TokenRig.Header(TestKey.SpecExample), fixedAud, TestKey.SpecExample), request);
        using var urlAud = await rig.PostHookAsync(rig.TokenA(), request);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, urlAud.StatusCode);
    }

    [Fact]
    public async Task An_aud_array_naming_the_endpoint_is_accepted()
    {
        using var rig = new TokenRig();
        var request = rig.App.CaseRequest(TokenRig.CardCase);
        var payload = rig.Payload(TokenRig.IssuerA);
        payload["aud"] = new JsonArray("https://other.example.org", TokenRig.PublicBase + Http.ServicePath);

        using var response = await rig.PostHookAsync(Jws.Sign(TokenRig.Header(TestKey.SpecExample), payload, TestKey.SpecExample), request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_jku_equal_to_the_configured_JWKS_URL_is_accepted()
    {
        using var rig = new TokenRig();
        var request = rig.App.CaseRequest(TokenRig.CardCase);
        var header = TokenRig.Header(TestKey.SpecExample);
        header["jku"] = rig.JwksUrl;

        using var response = await rig.PostHookAsync(Jws.Sign(header, rig.Payload(TokenRig.IssuerA), TestKey.SpecExample), request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_token_sent_when_authentication_is_not_required_is_still_checked()
    {
        using var rig = new TokenRig(new Dictionary<string, string?> { ["Cds:Authentication:Required"] = "false" });
        var request = rig.App.CaseRequest(TokenRig.CardCase);

        using var anonymous = await rig.PostHookAsync(null, request);
        using var valid = await rig.PostHookAsync(rig.TokenA(), request);
        using var bad = await rig.PostHookAsync(Bad(rig, "wrong aud"), request);

        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        // Every unauthenticated call is logged as such; the signed one is not.
        Assert.Single(rig.App.Logs.GetSnapshot(), r => r.Id.Id == 2302 && r.Level == LogLevel.Warning);
    }

    internal const string UnauthorizedText =
        "This endpoint requires a CDS client JWT from a trusted EHR (Authorization: Bearer <JWT>, CDS Hooks 2.0 \"Trusting CDS Clients\"); the token was missing or not accepted.";

    private static async Task<HttpResponseMessage> SendRawAsync(TokenRig rig, string authorization, JsonObject body)
    {
        using var client = rig.App.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Http.ServicePath, UriKind.Relative))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>A token that is wrong in the way <paramref name="what"/> says, and right in every other.</summary>
    internal static string Bad(TokenRig rig, string what)
    {
        var key = TestKey.SpecExample;
        var header = TokenRig.Header(key);
        var payload = rig.Payload(TokenRig.IssuerA);
        var now = rig.App.Time.GetUtcNow().ToUnixTimeSeconds();
        switch (what)
        {
            case "expired":
                payload["iat"] = now - 900;
                payload["exp"] = now - 600;
                break;
            case "not yet valid (nbf)":
                payload["nbf"] = now + 600;
                break;
            case "issued in the future (iat)":
                payload["iat"] = now + 600;
                payload["exp"] = now + 900;
                break;
            case "lifetime over 1 hour":
                payload["exp"] = now + 3601 + 60;
                break;
            case "no iat":
                payload.Remove("iat");
                break;
            case "no exp":
                payload.Remove("exp");
                break;
            case "wrong aud":
                payload["aud"] = "https://cds.other.example.org/cds-services/pttm-screening";
                break;
            case "aud of another service":
                payload["aud"] = TokenRig.PublicBase + "/cds-services/some-service";
                break;
            case "wrong iss":
                payload["iss"] = "https://attacker.example.org";
                break;
            case "alg none":
                header["alg"] = "none";
                return Jws.WithoutSignature(header, payload);
            case "HS256 with the public key as secret":
                header["alg"] = "HS256";
                return Jws.Hmac(header, payload, Encoding.UTF8.GetBytes(TestKey.Jwks(TestKey.SpecExample)));
            case "HS256 with the RSA public key as secret":
                header["alg"] = "HS256";
                header["kid"] = TestKey.Rsa.Kid;
                return Jws.Hmac(header, payload, Encoding.UTF8.GetBytes(TestKey.Rsa.PublicJwk.ToJsonString()));
            case "no kid":
                header.Remove("kid");
                break;
            case "typ not JWT":
                header["typ"] = "at+jwt";
                break;
            case "no jti":
                payload.Remove("jti");
                break;
            case "signature of another key":
                return Jws.Sign(header, payload, TestKey.Sandbox);
            case "payload changed after signing":
                var signed = Jws.Sign(header, payload, key).Split('.');
                payload["iss"] = TokenRig.IssuerA + "/";
                var changed = TestKey.B64(Encoding.UTF8.GetBytes(payload.ToJsonString()));
                return $"{signed[0]}.{changed}.{signed[2]}";
            case "jku not configured":
                header["jku"] = "https://attacker.example.org/jwks.json";
                break;
            case "not a JWT":
                return "not-a-jwt";
            case "Basic credentials":
                return string.Empty;
            default:
                throw new ArgumentOutOfRangeException(nameof(what), what, null);
        }

        return Jws.Sign(header, payload, key);
    }
}
