using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Viewer;

/// <summary>
/// The viewer's token endpoint: Development, authentication required, and the development client
/// (<c>local</c>, appsettings.Development.json) pinning the key of samples/keys.
/// </summary>
public sealed class DevelopmentTokenTests : IDisposable
{
    private const string PerfusionDefects = "seed000-breast-perfusion-defects";

    private readonly ServiceApp _app = new(new Dictionary<string, string?>
    {
        ["Cds:Authentication:Required"] = "true",
        ["Cds:FhirServers:0"] = null,
    });

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task A_token_is_signed_for_the_endpoint_asked_for_accepted_once_and_never_logged()
    {
        var token = await TokenAsync(Http.ServicePath);

        var jwt = new JsonWebToken(token);
        Assert.Equal("https://local-ehr.pttm-hooks.test", jwt.Issuer);
        Assert.Equal("http://localhost/cds-services/pttm-screening", Assert.Single(jwt.Audiences));
        Assert.Equal("pttm-hooks-local-dev-1", jwt.Kid);
        Assert.Equal("ES384", jwt.Alg);
        Assert.Equal("JWT", jwt.Typ);
        Assert.Equal(_app.Time.GetUtcNow().UtcDateTime, jwt.IssuedAt, TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromMinutes(1), jwt.ValidTo - jwt.IssuedAt);
        Assert.True(Guid.TryParse(jwt.Id, out _));

        var request = _app.CaseRequest(PerfusionDefects);
        using (var first = await SendAsync(HttpMethod.Post, Http.ServicePath, token, request))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal("critical", (string?)Assert.Single((await first.JsonAsync())["cards"]!.AsArray())!["indicator"]);
        }

        using (var again = await SendAsync(HttpMethod.Post, Http.ServicePath, token, request))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        }

        Assert.Contains(_app.Logs.GetSnapshot(), r => r.Id.Id == 2301 && r.Message.Contains("replayed", StringComparison.Ordinal));
        Assert.Contains(_app.Logs.GetSnapshot(), r => r.Id.Id == 4001 && r.Message.Contains("local", StringComparison.Ordinal));
        Assert.DoesNotContain(_app.Logs.GetSnapshot(), r => r.Message.Contains(token, StringComparison.Ordinal)
            || (r.StructuredState ?? []).Any(p => p.Value?.Contains(token, StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task A_token_for_one_endpoint_is_refused_on_another()
    {
        var token = await TokenAsync(Http.ServicePath);

        using var response = await SendAsync(HttpMethod.Get, "/cds-services", token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(_app.Logs.GetSnapshot(), r => r.Id.Id == 2301 && r.Message.Contains("audience", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/cds-services")]
    [InlineData("/cds-services/pttm-screening/feedback")]
    public async Task Discovery_and_feedback_get_their_own_tokens(string path)
    {
        var token = await TokenAsync(path);

        using var response = path.EndsWith("/feedback", StringComparison.Ordinal)
            ? await SendAsync(HttpMethod.Post, path, token, new JsonObject
            {
                ["feedback"] = new JsonArray(new JsonObject
                {
                    ["card"] = Guid.NewGuid().ToString(),
                    ["outcome"] = "overridden",
                    ["overrideReason"] = new JsonObject { ["userComment"] = "test" },
                    ["outcomeTimestamp"] = "2026-11-20T12:00:00Z",
                }),
            })
            : await SendAsync(HttpMethod.Get, path, token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/health/ready")]
    [InlineData("/cds-services/other-service")]
    [InlineData("/cds-services/pttm-screening/feedback/x")]
    [InlineData("https://other-cds.example.org/cds-services/pttm-screening")]
    [InlineData("cds-services/pttm-screening")]
    [InlineData("/viewer/token")]
    public async Task Only_this_services_CDS_endpoints_get_a_token(string path)
    {
        using var response = await _app.PostJsonAsync("/viewer/token", new JsonObject { ["path"] = path });

        var issues = await response.ErrorAsync(HttpStatusCode.BadRequest);
        Assert.Equal("path", issues[0].Expression);
        Assert.DoesNotContain(_app.Logs.GetSnapshot(), r => r.Id.Id == 4001);
    }

    [Theory]
    [InlineData("{}", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("{\"path\": \"\"}", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("/cds-services", "text/plain", HttpStatusCode.UnsupportedMediaType)]
    public async Task A_malformed_token_request_is_refused_with_an_OperationOutcome(string body, string contentType, HttpStatusCode status)
    {
        using var response = await _app.PostAsync("/viewer/token", body, contentType);

        await response.ErrorAsync(status);
    }

    [Fact]
    public async Task A_request_whose_Host_is_not_local_gets_no_token()
    {
        // What a page of another site would send after pointing its own name at 127.0.0.1 (DNS rebinding).
        using var client = _app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/viewer/token", UriKind.Relative))
        {
            Content = new StringContent("{\"path\":\"/cds-services\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Host = "attacker.example";

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        await response.ErrorAsync(HttpStatusCode.Forbidden);
        Assert.Contains(_app.Logs.GetSnapshot(), r => r.Id.Id == 4002);
        Assert.DoesNotContain(_app.Logs.GetSnapshot(), r => r.Id.Id == 4001);
    }

    [Fact]
    public async Task The_page_is_told_that_calls_are_signed()
    {
        using var response = await _app.GetAsync("/viewer/config");
        var authentication = (await response.JsonAsync())["authentication"]!;

        Assert.True((bool)authentication["required"]!);
        Assert.True((bool)authentication["developmentTokens"]!);
        Assert.Null(authentication["noTokensBecause"]);
        Assert.Contains(_app.Logs.GetSnapshot(), r => r.Id.Id == 1101 && r.Message.Contains("signed as client 'local'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_key_that_no_client_pins_gives_no_token_endpoint()
    {
        // The CDS Hooks specification's example key: a valid private key, but not the development client's.
        using var app = new ServiceApp(new Dictionary<string, string?>
        {
            ["Cds:Authentication:Required"] = "true",
            ["Cds:FhirServers:0"] = null,
            ["Cds:Viewer:DevelopmentKeyFile"] = TestFiles.Path("cds-hooks", "hl7-spec", "jwk-private.json"),
        });

        using var token = await app.PostJsonAsync("/viewer/token", new JsonObject { ["path"] = Http.ServicePath });
        await token.ErrorAsync(HttpStatusCode.NotFound);

        using var config = await app.GetAsync("/viewer/config");
        var authentication = (await config.JsonAsync())["authentication"]!;
        Assert.False((bool)authentication["developmentTokens"]!);
        Assert.Contains("no configured client pins the public half", (string?)authentication["noTokensBecause"], StringComparison.Ordinal);
    }

    private async Task<string> TokenAsync(string path)
    {
        using var response = await _app.PostJsonAsync("/viewer/token", new JsonObject { ["path"] = path });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var body = await response.JsonAsync();
        Assert.Equal(60, (int)body["expiresIn"]!);
        return (string)body["token"]!;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, JsonNode? body = null)
    {
        using var client = _app.CreateClient();
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
