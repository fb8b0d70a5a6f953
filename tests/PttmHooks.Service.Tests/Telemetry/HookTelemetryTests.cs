using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using OpenTelemetry.Logs;
using PttmHooks.Service.Telemetry;
using PttmHooks.Service.Tests.Fallback;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Telemetry;

/// <summary>
/// What one hook call leaves in OpenTelemetry, read with the in-memory exporters: its spans (the
/// server span, gather with one child per prefetch key, evaluate, compose), its metric points and
/// its one log event, with full prefetch and on the FHIR fallback path.
/// </summary>
[Collection(nameof(TelemetryRunsAlone))]
public sealed class HookTelemetryTests
{
    public const string HashKey = "telemetry-test-key-0123456789abcdef";
    private const string CardCase = "seed004-breast-history-hypoxaemia-vq";
    private const string FallbackCase = "seed000-breast-perfusion-defects";

    /// <summary>The keyed hash as docs/operations.md (Logs and redaction) defines it, computed here independently.</summary>
    public static string Hash(string value) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(HashKey), Encoding.UTF8.GetBytes(value))[..16]);

    public static async Task<HttpResponseMessage> SendAsync(ServiceApp app, TelemetryCapture capture, string path, JsonNode body, string? token = null)
    {
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("traceparent", capture.Traceparent);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static object? Tag(Activity span, string name) => span.GetTagItem(name);

    private static Activity ServerSpan(TelemetryCapture capture)
    {
        // The fake FHIR servers run on ASP.NET Core in this process: their server spans join the trace.
        var server = Assert.Single(capture.Spans, s => s.Source.Name == "Microsoft.AspNetCore" && s.Kind == ActivityKind.Server
            && ((string?)s.GetTagItem("url.path"))?.StartsWith("/cds-services/", StringComparison.Ordinal) == true);
        Assert.Equal(capture.Parent, server.ParentSpanId);
        return server;
    }

    private static Dictionary<string, object?> Attributes(LogRecord record) =>
        (record.Attributes ?? []).ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);

    [Fact]
    public async Task A_hook_call_with_full_prefetch_gives_its_spans_metric_points_and_one_log_event()
    {
        using var app = new ServiceApp(new Dictionary<string, string?> { ["Cds:Telemetry:PatientHashKey"] = HashKey });
        var capture = TelemetryCapture.Into(app);
        var request = app.CaseRequest(CardCase);
        var patientId = (string)request["context"]!["patientId"]!;
        var hookInstance = (string)request["hookInstance"]!;

        using var response = await SendAsync(app, capture, Http.ServicePath, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await capture.CallsRecordedAsync();
        var card = Assert.Single((await response.JsonAsync())["cards"]!.AsArray())!;
        var indicator = (string)card["indicator"]!;

        // Spans: the server span of the call, and the service's own under it.
        var server = ServerSpan(capture);
        Assert.Equal("pttm-screening", Tag(server, "cds.service"));
        Assert.Equal("patient-view", Tag(server, "cds.hook"));
        Assert.Equal("cards", Tag(server, "pttm.hook.outcome"));
        Assert.Equal(1, Tag(server, "pttm.cards"));
        Assert.Equal(0, Tag(server, "pttm.fhir.queries"));
        Assert.Equal(Hash(patientId), Tag(server, "pttm.patient.hash"));
        var ours = capture.Spans.Where(s => s.Source.Name == CdsTracing.SourceName).ToList();
        var gather = Assert.Single(ours, s => s.DisplayName == "gather");
        var evaluate = Assert.Single(ours, s => s.DisplayName == "evaluate");
        var compose = Assert.Single(ours, s => s.DisplayName == "compose");
        Assert.All([gather, evaluate, compose], s => Assert.Equal(server.SpanId, s.ParentSpanId));
        var keys = ours.Where(s => s.ParentSpanId == gather.SpanId).ToList();
        Assert.Equal(TestFiles.Templates.Count, keys.Count);
        Assert.Equal(3 + keys.Count, ours.Count);
        Assert.Equal(TestFiles.Templates.Keys.Order(StringComparer.Ordinal), keys.Select(k => (string)Tag(k, "pttm.prefetch.key")!).Order(StringComparer.Ordinal));
        Assert.All(keys, k =>
        {
            Assert.Equal("gather " + Tag(k, "pttm.prefetch.key"), k.DisplayName);
            Assert.Equal("prefetch", Tag(k, "pttm.gather.source"));
            Assert.Contains((string)Tag(k, "pttm.gather.outcome")!, new[] { "ok", "no-data" });
            Assert.Equal(1, Tag(k, "pttm.fhir.pages"));
        });
        Assert.Contains(keys, k => (int)Tag(k, "pttm.resources")! > 0);
        Assert.Equal(TestFiles.Templates.Count, Tag(gather, "pttm.prefetch.keys"));
        Assert.Equal(0, Tag(gather, "pttm.fhir.queries"));
        Assert.Equal(0, Tag(gather, "pttm.unsatisfied"));
        Assert.Equal(indicator, Tag(evaluate, "pttm.indicator"));
        Assert.Equal("suspected", Tag(evaluate, "pttm.suspicion"));
        Assert.Equal("met", Tag(evaluate, "pttm.criterion.c1"));
        Assert.Equal("not-met", Tag(evaluate, "pttm.criterion.c7"));
        var recommendation = (string)Tag(evaluate, "pttm.recommendation")!;
        Assert.Equal(1, Tag(compose, "pttm.cards"));

        // Metric points: exactly this call's (the test runs alone; the provider started with the app).
        var metrics = capture.Metrics();
        var call = Assert.Single(TelemetryCapture.Points(metrics, "pttm.hook.calls"));
        Assert.Equal("pttm-screening", call.Tags["cds.service"]);
        Assert.Equal("cards", call.Tags["pttm.hook.outcome"]);
        Assert.Equal(1, call.Point.GetSumLong());
        var duration = Assert.Single(TelemetryCapture.Points(metrics, "pttm.hook.duration"));
        Assert.Equal(200, Convert.ToInt32(duration.Tags["http.response.status_code"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1, duration.Point.GetHistogramCount());
        var cards = Assert.Single(TelemetryCapture.Points(metrics, "pttm.cards"));
        Assert.Equal(indicator, cards.Tags["pttm.indicator"]);
        Assert.Equal(recommendation, cards.Tags["pttm.recommendation"]);
        Assert.Equal(1, cards.Point.GetSumLong());
        Assert.Equal(1, Assert.Single(TelemetryCapture.Points(metrics, "pttm.assessments")).Point.GetSumLong());
        Assert.Empty(TelemetryCapture.Points(metrics, "pttm.fhir.query.duration"));
        Assert.Contains(TelemetryCapture.Points(metrics, "http.server.request.duration"), p => (string?)p.Tags["http.route"] == "/cds-services/{id}");

        // One structured event for the call, in OpenTelemetry's log records and in the log, with
        // the patient and the hook instance as their keyed hashes.
        var answered = Assert.Single(capture.Logs, r => r.EventId.Id == 2001);
        var attributes = Attributes(answered);
        Assert.Equal("pttm-screening", attributes["Service"]);
        Assert.Equal(200, attributes["Status"]);
        Assert.Equal("cards", attributes["Outcome"]);
        Assert.Equal(1, attributes["Cards"]);
        Assert.Equal(0, attributes["FhirQueries"]);
        Assert.Equal(Hash(patientId), attributes["Patient"]);
        Assert.Equal(Hash(hookInstance), attributes["HookInstance"]);
        Assert.Contains("answered 200 (cards) with 1 card(s)", answered.FormattedMessage, StringComparison.Ordinal);
        Assert.Contains("patient " + Hash(patientId), answered.FormattedMessage, StringComparison.Ordinal);
        Assert.Equal(capture.Trace, answered.TraceId);
        var logged = Assert.Single(app.Logs.GetSnapshot(), r => r.Id.Id == 2001);
        Assert.Contains("patient " + Hash(patientId) + "; hook instance " + Hash(hookInstance), logged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_hash_key_there_is_no_patient_hash_and_the_identifiers_are_erased_from_the_event()
    {
        using var app = new ServiceApp();
        var capture = TelemetryCapture.Into(app);
        var request = app.CaseRequest(CardCase);

        using var response = await SendAsync(app, capture, Http.ServicePath, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await capture.CallsRecordedAsync();
        Assert.Null(ServerSpan(capture).GetTagItem("pttm.patient.hash"));
        var attributes = Attributes(Assert.Single(capture.Logs, r => r.EventId.Id == 2001));
        Assert.Equal(string.Empty, attributes["Patient"]);
        Assert.Equal(string.Empty, attributes["HookInstance"]);
    }

    [Fact]
    public async Task A_hook_call_on_the_fallback_path_has_a_span_per_query_with_its_HTTP_request_and_query_metrics()
    {
        using var rig = new FallbackRig(new Dictionary<string, string?> { ["Cds:Telemetry:PatientHashKey"] = HashKey, ["Cds:Fallback:AttemptTimeout"] = "00:00:05", ["Cds:Fallback:Budget"] = "00:00:10" });
        var capture = TelemetryCapture.Into(rig.App);
        var (request, omitted) = rig.CaseRequest(FallbackCase, "conditions", "imagingReports");
        rig.Search("Condition").RespondWith(FallbackRig.FhirJson(200, omitted["conditions"]!.ToJsonString()));
        rig.Search("DiagnosticReport").RespondWith(FallbackRig.FhirJson(200, omitted["imagingReports"]!.ToJsonString()));

        using var response = await SendAsync(rig.App, capture, Http.ServicePath, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single((await response.JsonAsync())["cards"]!.AsArray());
        await capture.CallsRecordedAsync();
        var server = ServerSpan(capture);
        Assert.Equal("cards", server.GetTagItem("pttm.hook.outcome"));
        Assert.Equal(2, server.GetTagItem("pttm.fhir.queries"));
        var gather = Assert.Single(capture.Spans, s => s.DisplayName == "gather");
        var keys = capture.Spans.Where(s => s.ParentSpanId == gather.SpanId).ToList();
        Assert.Equal(TestFiles.Templates.Count, keys.Count);
        var fetched = keys.Where(k => (string?)k.GetTagItem("pttm.gather.source") == "fhir").OrderBy(k => (string)k.GetTagItem("pttm.prefetch.key")!, StringComparer.Ordinal).ToList();
        Assert.Equal(["conditions", "imagingReports"], fetched.Select(k => (string)k.GetTagItem("pttm.prefetch.key")!));
        foreach (var (key, type) in fetched.Zip(["Condition", "DiagnosticReport"]))
        {
            Assert.Equal("ok", key.GetTagItem("pttm.gather.outcome"));
            Assert.Equal(1, key.GetTagItem("pttm.fhir.pages"));
            Assert.True((int)key.GetTagItem("pttm.resources")! > 0);
            Assert.Equal(ActivityStatusCode.Unset, key.Status);
            // Its HTTP request is its child, and shows the resource type, not the query.
            var http = Assert.Single(capture.Spans, s => s.Source.Name == "System.Net.Http" && s.ParentSpanId == key.SpanId);
            Assert.Equal(ActivityKind.Client, http.Kind);
            Assert.Equal($"{rig.FhirBase}/{type}?*", http.GetTagItem("url.full"));
        }

        Assert.Equal(TestFiles.Templates.Count - 2, keys.Count(k => (string?)k.GetTagItem("pttm.gather.source") == "prefetch"));

        var metrics = capture.Metrics();
        var queries = TelemetryCapture.Points(metrics, "pttm.fhir.query.duration");
        Assert.Equal(["conditions ok", "imagingReports ok"], queries.Select(q => $"{q.Tags["pttm.prefetch.key"]} {q.Tags["pttm.fhir.outcome"]}").Order(StringComparer.Ordinal));
        Assert.All(queries, q => Assert.Equal(1, q.Point.GetHistogramCount()));
        Assert.Empty(TelemetryCapture.Points(metrics, "pttm.fhir.query.failures"));
        var server_ = new Uri(rig.FhirBase);
        var circuit = Assert.Single(TelemetryCapture.Points(metrics, "pttm.fhir.circuit.state"), p => (string?)p.Tags["server.address"] == $"{server_.Host}:{server_.Port}");
        Assert.Equal(0, circuit.Point.GetGaugeLastValueLong());
        Assert.Contains(TelemetryCapture.Points(metrics, "http.client.request.duration"), p => (string?)p.Tags["server.address"] == server_.Host);
        var answered = Attributes(Assert.Single(capture.Logs, r => r.EventId.Id == 2001));
        Assert.Equal(2, answered["FhirQueries"]);
    }

    [Fact]
    public async Task A_failed_query_is_a_failure_by_reason_an_error_span_and_a_412_outcome()
    {
        using var rig = new FallbackRig(new Dictionary<string, string?> { ["Cds:Fallback:MaxRetries"] = "0", ["Cds:Fallback:AttemptTimeout"] = "00:00:05", ["Cds:Fallback:Budget"] = "00:00:10" });
        var capture = TelemetryCapture.Into(rig.App);
        var (request, omitted) = rig.CaseRequest(FallbackCase, "conditions", "oxygenation");
        rig.Search("Condition").RespondWith(FallbackRig.FhirJson(200, omitted["conditions"]!.ToJsonString()));
        rig.Search("Observation").RespondWith(FallbackRig.FhirJson(401, FallbackRig.Outcome("security", "token expired")));

        using var response = await SendAsync(rig.App, capture, Http.ServicePath, request);

        await response.ErrorAsync(HttpStatusCode.PreconditionFailed);
        await capture.CallsRecordedAsync();
        Assert.Equal("412", ServerSpan(capture).GetTagItem("pttm.hook.outcome"));
        var failed = Assert.Single(capture.Spans, s => s.DisplayName == "gather oxygenation");
        Assert.Equal("fhir", failed.GetTagItem("pttm.gather.source"));
        Assert.Equal("unauthorized", failed.GetTagItem("pttm.gather.outcome"));
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Assert.Equal("unauthorized", failed.StatusDescription);
        Assert.Equal(1, Assert.Single(capture.Spans, s => s.DisplayName == "gather").GetTagItem("pttm.unsatisfied"));
        // No card was composed for a 412.
        Assert.DoesNotContain(capture.Spans, s => s.DisplayName == "compose");

        var metrics = capture.Metrics();
        var failure = Assert.Single(TelemetryCapture.Points(metrics, "pttm.fhir.query.failures"));
        Assert.Equal("oxygenation", failure.Tags["pttm.prefetch.key"]);
        Assert.Equal("unauthorized", failure.Tags["pttm.fhir.reason"]);
        Assert.Equal(1, failure.Point.GetSumLong());
        var call = Assert.Single(TelemetryCapture.Points(metrics, "pttm.hook.calls"));
        Assert.Equal("412", call.Tags["pttm.hook.outcome"]);
        Assert.Equal(412, Convert.ToInt32(Assert.Single(TelemetryCapture.Points(metrics, "pttm.hook.duration")).Tags["http.response.status_code"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(TelemetryCapture.Points(metrics, "pttm.cards"));
    }

    [Fact]
    public async Task Every_outcome_is_counted_once_refusals_and_bad_requests_included()
    {
        using var rig = new Security.TokenRig();
        var capture = TelemetryCapture.Into(rig.App);
        var empty = Http.MinimalRequest();

        using var noCard = await SendAsync(rig.App, capture, Http.ServicePath, empty, rig.TokenA());
        using var cards = await SendAsync(rig.App, capture, Http.ServicePath, rig.App.CaseRequest(CardCase), rig.TokenA());
        using var refused = await SendAsync(rig.App, capture, Http.ServicePath, empty);
        var bad = Http.MinimalRequest();
        bad["hook"] = "order-select";
        using var invalid = await SendAsync(rig.App, capture, Http.ServicePath, bad, rig.TokenA());
        using var unknown = await SendAsync(rig.App, capture, "/cds-services/no-such-service", empty, rig.TokenA("/cds-services/no-such-service"));
        using var feedback = await SendAsync(rig.App, capture, Http.FeedbackPath, new JsonObject(), rig.TokenA(Http.FeedbackPath));

        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.BadRequest, HttpStatusCode.NotFound, HttpStatusCode.BadRequest],
            [noCard.StatusCode, cards.StatusCode, refused.StatusCode, invalid.StatusCode, unknown.StatusCode, feedback.StatusCode]);
        await capture.CallsRecordedAsync(5);
        var metrics = capture.Metrics();
        // Feedback is not a hook call.
        Assert.Equal(
            ["pttm-screening 400 1", "pttm-screening 401 1", "pttm-screening cards 1", "pttm-screening no-card 1", "unknown 404 1"],
            TelemetryCapture.Points(metrics, "pttm.hook.calls").Select(p => $"{p.Tags["cds.service"]} {p.Tags["pttm.hook.outcome"]} {p.Point.GetSumLong()}").Order(StringComparer.Ordinal));
        Assert.Equal(5, capture.Logs.Count(r => r.EventId.Id == 2001));
        var refusal = Attributes(Assert.Single(capture.Logs, r => r.EventId.Id == 2001 && Attributes(r)["Status"] is 401));
        Assert.Equal("none", refusal["Client"]);
        Assert.Equal(string.Empty, refusal["Patient"]);
        Assert.Contains(capture.Logs, r => r.EventId.Id == 2001 && Attributes(r)["Client"] is "ehr-a");
    }
}
