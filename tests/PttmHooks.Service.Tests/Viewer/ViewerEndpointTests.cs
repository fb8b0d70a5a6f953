using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PttmHooks.Service.Tests.Support;
using PttmHooks.Service.Viewer;

namespace PttmHooks.Service.Tests.Viewer;

/// <summary>The viewer's page and endpoints in Development (its default), authentication off.</summary>
public sealed class ViewerEndpointTests(AppHost host) : IClassFixture<AppHost>
{
    private const string PerfusionDefects = "seed000-breast-perfusion-defects";

    private ServiceApp App => host.App;

    [Theory]
    [InlineData("/", "text/html")]
    [InlineData("/viewer/viewer.js", "text/javascript")]
    [InlineData("/viewer/viewer.css", "text/css")]
    public async Task The_page_and_its_files_are_served_with_a_strict_content_security_policy(string path, string mediaType)
    {
        using var response = await App.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
    }

    [Fact]
    public async Task The_page_loads_nothing_from_another_origin_and_labels_every_control()
    {
        using var response = await App.GetAsync("/");
        var html = await response.TextAsync();

        Assert.DoesNotMatch(new Regex("(src|href)=\"(https?:)?//", RegexOptions.IgnoreCase), html);
        Assert.DoesNotMatch(new Regex("<script>|\\son[a-z]+=|style=", RegexOptions.IgnoreCase), html);
        foreach (Match control in Regex.Matches(html, "<(select|textarea|input)[^>]*id=\"([^\"]+)\""))
        {
            Assert.Contains($"<label for=\"{control.Groups[2].Value}\"", html, StringComparison.Ordinal);
        }

        Assert.Contains("aria-live=\"polite\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_samples_are_every_case_with_what_the_rule_should_answer()
    {
        using var response = await App.GetAsync("/viewer/samples");
        var samples = (await response.JsonAsync()).AsArray();

        var cases = Directory.GetDirectories(TestFiles.Path("cases")).Where(d => File.Exists(Path.Combine(d, "case.json"))).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(cases, samples.Select(s => (string?)s!["id"]));
        var seed = samples.Single(s => (string?)s!["id"] == PerfusionDefects)!;
        Assert.Equal("wedged-pa-cytology", (string?)seed["expectedRecommendation"]);
        Assert.Equal("critical", (string?)seed["expectedIndicator"]);
        Assert.Contains("perfusion scan with multiple small segmental defects", (string?)seed["description"], StringComparison.Ordinal);
        Assert.Null(samples.Single(s => (string?)s!["id"] == "neg-cancer-well")!["expectedIndicator"]);
    }

    [Fact]
    public async Task A_sample_request_is_dated_now_and_the_service_answers_it_with_the_card_the_case_expects()
    {
        // Four months after the case was written: without moving its dates the 90-day window would be empty.
        var now = Http.Case(PerfusionDefects).EvaluatedAt.AddDays(120);
        App.Time.SetUtcNow(now);
        using var response = await App.GetAsync($"/viewer/samples/{PerfusionDefects}/request");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var request = (await response.JsonAsync()).AsObject();

        Assert.Equal("patient-view", (string?)request["hook"]);
        Assert.True(Guid.TryParse((string?)request["hookInstance"], out _));
        Assert.Equal("seed000b", (string?)request["context"]!["patientId"]);
        Assert.Equal(TestFiles.Templates.Keys.Order(StringComparer.Ordinal), request["prefetch"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        // The perfusion scan (under two keys): written on the case's evaluatedAt, now dated now.
        var perfusion = Http.PrefetchedResources(request, "seed000b-rep13");
        Assert.NotEmpty(perfusion);
        Assert.All(perfusion, scan => Assert.Equal(now, DateTimeOffset.Parse((string)scan["effectiveDateTime"]!, System.Globalization.CultureInfo.InvariantCulture)));

        using var answer = await App.PostJsonAsync(Http.ServicePath, request);
        var card = Assert.Single((await answer.JsonAsync())["cards"]!.AsArray())!;
        Assert.Equal("critical", (string?)card["indicator"]);
        Assert.Contains("wedged pulmonary artery cytology", (string?)card["summary"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_sample_is_a_404_OperationOutcome()
    {
        using var response = await App.GetAsync("/viewer/samples/no-such-case/request");

        var issues = await response.ErrorAsync(HttpStatusCode.NotFound);
        Assert.Contains("no-such-case", issues[0].Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_markdown_endpoint_renders_a_card_detail_safely()
    {
        using var response = await App.PostJsonAsync("/viewer/markdown", new JsonObject
        {
            ["markdown"] = "**Evidence**\n\n| Finding | Resource |\n| --- | --- |\n| <img src=x onerror=alert(1)> | Observation/1 |\n\n[x](javascript:alert(1))",
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = (string)(await response.JsonAsync())["html"]!;
        Assert.Contains("<table>", html, StringComparison.Ordinal);
        Assert.Contains("<td>Observation/1</td>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.DoesNotContain("javascript:alert(1)\"", html, StringComparison.Ordinal);
        Assert.Contains("&lt;img", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{}", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("{\"markdown\": 3}", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("[\"x\"]", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("{\"markdown\": ", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("**x**", "text/plain", HttpStatusCode.UnsupportedMediaType)]
    public async Task The_markdown_endpoint_refuses_other_bodies_with_an_OperationOutcome(string body, string contentType, HttpStatusCode status)
    {
        using var response = await App.PostAsync("/viewer/markdown", body, contentType);

        await response.ErrorAsync(status);
    }

    [Fact]
    public async Task The_markdown_endpoint_refuses_a_body_over_its_limit_with_413()
    {
        var markdown = new string('x', (int)ViewerApi.MaxBodyBytes);

        using var response = await App.PostJsonAsync("/viewer/markdown", new JsonObject { ["markdown"] = markdown });

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.RequestEntityTooLarge));
        Assert.Contains("262,144 bytes", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public void The_markdown_endpoint_alone_is_rate_limited()
    {
        var endpoints = App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        string? Policy(string pattern) => endpoints.Single(e => e.RoutePattern.RawText == pattern).Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName;

        Assert.Equal(ViewerApi.MarkdownLimiter, Policy("/viewer/markdown"));
        Assert.Null(Policy("/viewer/config"));
        Assert.Null(Policy("/cds-services/{id}"));
    }

    [Fact]
    public async Task A_markdown_render_refused_by_the_limiter_is_503_with_Retry_After_and_an_OperationOutcome()
    {
        var options = App.Services.GetRequiredService<IOptions<RateLimiterOptions>>().Value;
        using var limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = 1, QueueLimit = 0 });
        using var held = limiter.AttemptAcquire();
        using var refused = limiter.AttemptAcquire();
        var http = new DefaultHttpContext { RequestServices = App.Services };
        http.Response.Body = new MemoryStream();

        await options.OnRejected!(new OnRejectedContext { HttpContext = http, Lease = refused }, TestContext.Current.CancellationToken);

        Assert.False(refused.IsAcquired);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, http.Response.StatusCode);
        Assert.Equal("1", http.Response.Headers.RetryAfter.ToString());
        http.Response.Body.Position = 0;
        var outcome = JsonNode.Parse(http.Response.Body)!;
        Assert.Equal("OperationOutcome", (string)outcome["resourceType"]!);
        Assert.Equal("throttled", (string)outcome["issue"]![0]!["code"]!);
    }

    [Fact]
    public async Task With_authentication_off_there_is_no_token_endpoint_and_the_page_is_told_why()
    {
        using var token = await App.PostJsonAsync("/viewer/token", new JsonObject { ["path"] = Http.ServicePath });
        await token.ErrorAsync(HttpStatusCode.NotFound);

        using var response = await App.GetAsync("/viewer/config");
        var config = await response.JsonAsync();
        Assert.Equal("/cds-services/pttm-screening", (string?)config["service"]!["path"]);
        Assert.Equal("/cds-services/pttm-screening/feedback", (string?)config["service"]!["feedbackPath"]);
        Assert.False((bool)config["authentication"]!["required"]!);
        Assert.False((bool)config["authentication"]!["developmentTokens"]!);
        Assert.Contains("not required", (string?)config["authentication"]!["noTokensBecause"], StringComparison.Ordinal);
        Assert.Equal("/scalar", (string?)config["apiReference"]);
    }

    [Fact]
    public async Task The_viewer_endpoints_are_not_in_the_OpenAPI_document()
    {
        using var response = await App.GetAsync("/openapi/v1.json");
        var paths = (await response.JsonAsync())["paths"]!.AsObject().Select(p => p.Key).ToList();

        Assert.DoesNotContain(paths, p => p == "/" || p.StartsWith("/viewer", StringComparison.Ordinal));
    }
}
