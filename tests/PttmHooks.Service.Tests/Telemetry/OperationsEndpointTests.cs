using System.Net;
using System.Text.Json.Nodes;
using PttmHooks.Service.Tests.Security;
using PttmHooks.Service.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace PttmHooks.Service.Tests.Telemetry;

/// <summary>
/// The endpoints operations use: health without a token and without detail, readiness that fails
/// when a client's key set cannot be had, and the Prometheus scrape, off unless configured, whose
/// text Prometheus' own promtool accepts.
/// </summary>
public sealed class OperationsEndpointTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>A complete Production configuration (one client, inline keys: nothing to fetch).</summary>
    private static Dictionary<string, string?> Production(bool? prometheus = null) => new()
    {
        ["Cds:FhirServers:0"] = null,
        ["Cds:PublicBaseUrl"] = "https://cds.example.org",
        ["Cds:Clients:ehr:Issuer"] = "https://ehr.example.org",
        ["Cds:Clients:ehr:Jwks"] = TestKey.Jwks(TestKey.Sandbox),
        ["Cds:Clients:ehr:FhirServers:0"] = "https://ehr.example.org/fhir",
        ["Cds:Telemetry:Prometheus"] = prometheus?.ToString(),
    };

    [Fact]
    public async Task Health_endpoints_answer_without_a_token_when_authentication_is_required_and_tell_nothing_more()
    {
        using var rig = new TokenRig();

        using var discovery = await rig.SendAsync(null, HttpMethod.Get, "/cds-services");
        using var live = await rig.SendAsync(null, HttpMethod.Get, "/health/live");
        using var ready = await rig.SendAsync(null, HttpMethod.Get, "/health/ready");

        Assert.Equal(HttpStatusCode.Unauthorized, discovery.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await live.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync(Cancel));
    }

    [Fact]
    public async Task Readiness_is_503_without_detail_when_a_client_key_set_cannot_be_fetched_while_liveness_stays_200()
    {
        using var rig = new TokenRig(new Dictionary<string, string?> { ["Cds:Fallback:MaxRetries"] = "0" });
        rig.Jwks.Reset();
        rig.Jwks.Given(Request.Create().WithPath(TokenRig.JwksPath).UsingGet()).RespondWith(Response.Create().WithStatusCode(500));

        using var ready = await rig.SendAsync(null, HttpMethod.Get, "/health/ready");
        using var live = await rig.SendAsync(null, HttpMethod.Get, "/health/live");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var body = await ready.Content.ReadAsStringAsync(Cancel);
        Assert.Equal("Unhealthy", body);
        Assert.DoesNotContain("ehr-a", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.True(rig.JwksFetches > 0);
    }

    [Fact]
    public async Task The_scrape_endpoint_is_off_by_default_outside_Development()
    {
        using var app = new ServiceApp(Production(), environment: "Production");

        using var metrics = await app.GetAsync("/metrics");

        await metrics.ErrorAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_scrape_endpoint_is_on_in_Development_by_its_appsettings()
    {
        using var app = new ServiceApp();
        using var hook = await app.PostJsonAsync(Http.ServicePath, Http.MinimalRequest());

        using var metrics = await app.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("pttm_hook_calls_total{", await metrics.TextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_scrape_endpoint_is_on_outside_Development_when_configured_and_needs_no_token()
    {
        using var app = new ServiceApp(Production(prometheus: true), environment: "Production");
        using var refused = await app.PostJsonAsync(Http.ServicePath, Http.MinimalRequest());

        using var metrics = await app.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal("text/plain", metrics.Content.Headers.ContentType?.MediaType);
        Assert.Contains("pttm_hook_calls_total{otel_scope_name=\"PttmHooks.CdsHooks\",cds_service=\"pttm-screening\",pttm_hook_outcome=\"401\"}", await metrics.TextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promtool_accepts_the_scrape_after_hook_calls_and_every_metric_of_the_contract_is_in_it()
    {
        Promtool.Require(); // skipped (failed in CI) up front when promtool is missing
        using var fhir = FhirServerFake.Start(FhirServerFake.LoadCase(TokenRig.CardCase));
        using var rig = new TokenRig(new Dictionary<string, string?>
        {
            ["Cds:Clients:ehr-a:FhirServers:0"] = fhir.BaseUrl.AbsoluteUri,
            ["Cds:Telemetry:Prometheus"] = "true",
            ["Cds:Fallback:AttemptTimeout"] = "00:00:05",
            ["Cds:Fallback:Budget"] = "00:00:10",
        });
        fhir.Server.Given(Request.Create().UsingGet().WithPath("/fhir/Observation")).AtPriority(-1)
            .RespondWith(Response.Create().WithStatusCode(401).WithHeader("Content-Type", "application/fhir+json")
                .WithBody("""{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"security","diagnostics":"expired"}]}"""));
        var full = rig.App.CaseRequest(TokenRig.CardCase);
        var fallback = rig.App.CaseRequest(TokenRig.CardCase, "conditions", "oxygenation");
        fallback["fhirServer"] = fhir.BaseUrl.AbsoluteUri;
        fallback["fhirAuthorization"] = CdsHooks.ErrorAnswerTests.Authorization("promtool-test-token");
        var token = rig.TokenA();

        using var cards = await rig.PostHookAsync(token, full);
        using var replayed = await rig.PostHookAsync(token, full);
        using var missing = await rig.PostHookAsync(rig.TokenA(), fallback);
        var card = (string)Assert.Single((await cards.JsonAsync())["cards"]!.AsArray())!["uuid"]!;
        using var feedback = await rig.SendAsync(rig.TokenA(Http.FeedbackPath), HttpMethod.Post, Http.FeedbackPath, new JsonObject
        {
            ["feedback"] = new JsonArray(new JsonObject
            {
                ["card"] = card,
                ["outcome"] = "overridden",
                ["outcomeTimestamp"] = "2026-11-20T12:00:00Z",
                ["overrideReason"] = new JsonObject { ["reason"] = new JsonObject { ["code"] = "not-consistent" } },
            }),
        });
        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.PreconditionFailed, HttpStatusCode.OK],
            [cards.StatusCode, replayed.StatusCode, missing.StatusCode, feedback.StatusCode]);

        using var scrape = await rig.App.GetAsync("/metrics");
        var text = await scrape.TextAsync();
        var (exitCode, output) = await Promtool.CheckMetricsAsync(text);

        Assert.True(exitCode == 0, $"promtool check metrics exited {exitCode}: {output}");
        string[] contract =
        [
            "pttm_hook_calls_total", "pttm_hook_duration_seconds_bucket", "pttm_hook_duration_seconds_sum", "pttm_hook_duration_seconds_count",
            "pttm_cards_total", "pttm_assessments_total", "pttm_fhir_query_duration_seconds_bucket", "pttm_fhir_query_failures_total",
            "pttm_fhir_circuit_state", "pttm_auth_rejections_total", "pttm_auth_jwks_fetches_total", "pttm_feedback_total", "pttm_admission_in_flight_bytes",
            "http_server_request_duration_seconds_bucket", "http_client_request_duration_seconds_bucket", "dotnet_gc_collections_total",
        ];
        var names = text.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => l[..l.IndexOfAny(['{', ' '])]).ToHashSet(StringComparer.Ordinal);
        var absent = contract.Where(name => !names.Contains(name)).ToList();
        Assert.True(absent.Count == 0, "not in the scrape: " + string.Join(", ", absent));
        Assert.Contains("pttm_hook_outcome=\"cards\"", text, StringComparison.Ordinal);
        Assert.Contains("pttm_hook_outcome=\"412\"", text, StringComparison.Ordinal);
        Assert.Contains("pttm_fhir_reason=\"unauthorized\"", text, StringComparison.Ordinal);
        Assert.Contains("pttm_auth_reason=\"replayed\"", text, StringComparison.Ordinal);
        Assert.Contains("pttm_feedback_total{otel_scope_name=\"PttmHooks.CdsHooks\",cds_card_issued=\"true\",cds_feedback_outcome=\"overridden\",cds_service=\"pttm-screening\",pttm_override_reason=\"not-consistent\"} 1", text, StringComparison.Ordinal);
        Assert.Contains($"pttm_fhir_circuit_state{{otel_scope_name=\"PttmHooks.CdsHooks\",server_address=\"{fhir.BaseUrl.Host}:{fhir.BaseUrl.Port}\"}} 0", text, StringComparison.Ordinal);

        // The check is a real one: a counter without its _total fails it.
        var (broken, _) = await Promtool.CheckMetricsAsync("# HELP pttm_broken A counter.\n# TYPE pttm_broken counter\npttm_broken 1\n");
        Assert.NotEqual(0, broken);
    }
}
