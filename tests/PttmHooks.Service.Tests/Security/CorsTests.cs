using System.Net;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Security;

/// <summary>
/// CORS for browser-based CDS clients (Cds:Cors:Origins): a configured origin may preflight and
/// call the CDS endpoints (still with a token on the call itself); any other origin gets no CORS
/// header, so the browser refuses to hand it the answer.
/// </summary>
public sealed class CorsTests
{
    private const string Ehr = "https://ehr.example.org";
    private const string Evil = "https://evil.example.org";

    private static Dictionary<string, string?> Origins(params string[] origins)
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < origins.Length; i++)
        {
            settings[$"Cds:Cors:Origins:{i}"] = origins[i];
        }

        return settings;
    }

    /// <summary>A browser's preflight for a POST with a JSON body and a bearer token: no token of its own.</summary>
    private static async Task<HttpResponseMessage> PreflightAsync(TokenRig rig, string origin, string path = Http.ServicePath)
    {
        using var client = rig.App.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Options, new Uri(path, UriKind.Relative));
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type,authorization");
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static async Task<HttpResponseMessage> GetWithOriginAsync(TokenRig rig, string? token, string origin)
    {
        using var client = rig.App.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/cds-services", UriKind.Relative));
        request.Headers.Add("Origin", origin);
        if (token is not null)
        {
            request.Headers.Authorization = new("Bearer", token);
        }

        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static IEnumerable<string> Values(HttpResponseMessage response, string header) =>
        response.Headers.TryGetValues(header, out var values)
            ? values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            : [];

    [Theory]
    [InlineData(Http.ServicePath)]
    [InlineData(Http.FeedbackPath)]
    [InlineData("/cds-services")]
    public async Task A_configured_origin_is_answered_a_preflight_without_a_token(string path)
    {
        using var rig = new TokenRig(Origins(Ehr));

        using var response = await PreflightAsync(rig, Ehr, path);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(Ehr, Assert.Single(Values(response, "Access-Control-Allow-Origin")));
        Assert.Contains("POST", Values(response, "Access-Control-Allow-Methods"), StringComparer.OrdinalIgnoreCase);
        var headers = Values(response, "Access-Control-Allow-Headers").ToList();
        Assert.Contains("authorization", headers, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("content-type", headers, StringComparer.OrdinalIgnoreCase);
        Assert.Empty(response.Headers.WwwAuthenticate);
    }

    [Fact]
    public async Task An_origin_configured_with_a_trailing_slash_matches_the_origin_browsers_send()
    {
        using var rig = new TokenRig(Origins(Ehr + "/"));

        using var response = await PreflightAsync(rig, Ehr);

        Assert.Equal(Ehr, Assert.Single(Values(response, "Access-Control-Allow-Origin")));
    }

    [Fact]
    public async Task Another_origin_gets_no_CORS_headers()
    {
        using var rig = new TokenRig(Origins(Ehr));

        using var preflight = await PreflightAsync(rig, Evil);
        using var call = await GetWithOriginAsync(rig, rig.TokenA("/cds-services"), Evil);

        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Methods"));
        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Headers"));
        // The call itself is answered (CORS is the browser's check), without the header the browser needs.
        Assert.Equal(HttpStatusCode.OK, call.StatusCode);
        Assert.False(call.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData(Ehr)]
    [InlineData(Evil)]
    [InlineData("https://localhost:3000")]
    [InlineData("http://localhost.evil.example.org:3000")]
    public async Task With_no_origins_configured_no_origin_but_the_Development_defaults_gets_CORS_headers(string origin)
    {
        using var rig = new TokenRig();

        using var preflight = await PreflightAsync(rig, origin);
        using var call = await GetWithOriginAsync(rig, rig.TokenA("/cds-services"), origin);

        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.OK, call.StatusCode);
        Assert.False(call.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_call_from_a_configured_origin_carries_the_allow_origin_header_and_still_needs_its_token()
    {
        using var rig = new TokenRig(Origins("https://other-ehr.example.org", Ehr));

        using var signed = await GetWithOriginAsync(rig, rig.TokenA("/cds-services"), Ehr);
        using var unsigned = await GetWithOriginAsync(rig, null, Ehr);

        Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
        Assert.Equal(Ehr, Assert.Single(Values(signed, "Access-Control-Allow-Origin")));
        Assert.NotEmpty((await signed.JsonAsync())["services"]!.AsArray());
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
    }
}
