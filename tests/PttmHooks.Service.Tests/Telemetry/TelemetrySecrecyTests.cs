using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PttmHooks.Service.Tests.CdsHooks;
using PttmHooks.Service.Tests.Security;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Telemetry;

/// <summary>
/// Nothing that identifies the patient or the request, and no credential, reaches what the service
/// exports: every span attribute, event, status and baggage item, every metric point's tags (the
/// service's and ASP.NET Core's, HttpClient's and the runtime's), every OpenTelemetry log record
/// (attributes and formatted message) and every log record, through signed calls that go to the
/// FHIR server with an access token, a replayed and a refused token, a bad request and feedback
/// with a comment. Logs at Trace, for every category.
/// </summary>
[Collection(nameof(TelemetryRunsAlone))]
public sealed class TelemetrySecrecyTests
{
    private const string AccessToken = "fhir-access-token-0b6d3f91e2a7";
    private const string UserId = "Practitioner/telemetry-user-93c1e4";
    private const string EncounterId = "telemetry-encounter-5521ab";
    private const string Comment = "telemetry comment 7f3e about the patient";

    private static IReadOnlyList<string> Leaks(IEnumerable<string> records, IReadOnlyCollection<string> secrets) =>
        [.. records.SelectMany(r => secrets.Where(s => r.Contains(s, StringComparison.OrdinalIgnoreCase)).Select(s => $"'{s}' in: {r}"))];

    private static IEnumerable<string> Parts(string jwt) => [jwt, jwt.Split('.')[1], jwt.Split('.')[2]];

    [Fact]
    public async Task No_span_metric_tag_or_log_record_carries_the_patient_a_request_identifier_or_a_token()
    {
        using var fhir = FhirServerFake.Start(FhirServerFake.LoadCase(TokenRig.CardCase));
        using var rig = new TokenRig(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:LogLevel:Polly"] = "Trace",
            ["Logging:LogLevel:System.Net.Http"] = "Trace",
            ["Cds:Clients:ehr-a:FhirServers:0"] = fhir.BaseUrl.AbsoluteUri,
            ["Cds:Telemetry:PatientHashKey"] = HookTelemetryTests.HashKey,
            ["Cds:Fallback:AttemptTimeout"] = "00:00:05",
            ["Cds:Fallback:Budget"] = "00:00:10",
        });
        var capture = TelemetryCapture.Into(rig.App);
        var request = rig.App.CaseRequest(TokenRig.CardCase, [.. TestFiles.Templates.Keys]);
        var patientId = (string)request["context"]!["patientId"]!;
        var hookInstance = (string)request["hookInstance"]!;
        request["context"]!["userId"] = UserId;
        request["context"]!["encounterId"] = EncounterId;
        request["fhirServer"] = fhir.BaseUrl.AbsoluteUri;
        request["fhirAuthorization"] = ErrorAnswerTests.Authorization(AccessToken);
        var token = rig.TokenA();
        var wrongAud = ClientAuthenticationTests.Bad(rig, "wrong aud");
        var bad = request.DeepClone().AsObject();
        bad["context"]!["patientId"] = "Patient/" + patientId;

        using var signed = await HookTelemetryTests.SendAsync(rig.App, capture, Http.ServicePath, request, token);
        using var replayed = await HookTelemetryTests.SendAsync(rig.App, capture, Http.ServicePath, request, token);
        using var refused = await HookTelemetryTests.SendAsync(rig.App, capture, Http.ServicePath, request, wrongAud);
        using var invalid = await HookTelemetryTests.SendAsync(rig.App, capture, Http.ServicePath, bad, rig.TokenA());
        var card = (string)Assert.Single((await signed.JsonAsync())["cards"]!.AsArray())!["uuid"]!;
        var feedbackToken = rig.TokenA(Http.FeedbackPath);
        using var feedback = await HookTelemetryTests.SendAsync(rig.App, capture, Http.FeedbackPath, new JsonObject
        {
            ["feedback"] = new JsonArray(new JsonObject
            {
                ["card"] = card,
                ["outcome"] = "overridden",
                ["outcomeTimestamp"] = "2026-11-20T12:00:00Z",
                ["overrideReason"] = new JsonObject
                {
                    ["reason"] = new JsonObject { ["code"] = "not-consistent" },
                    ["userComment"] = Comment,
                },
            }),
        }, feedbackToken);

        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.BadRequest, HttpStatusCode.OK],
            [signed.StatusCode, replayed.StatusCode, refused.StatusCode, invalid.StatusCode, feedback.StatusCode]);
        Assert.Contains(fhir.Requests, r => r.PathAndQuery.Contains(patientId, StringComparison.Ordinal) && r.Authorization == "Bearer " + AccessToken);
        await capture.CallsRecordedAsync(4);

        // What was recorded is rich enough to leak if anything did.
        var spans = Spans(capture, fhir, rig);
        var metrics = capture.Metrics();
        Assert.Contains(spans, s => s.StartsWith("Microsoft.AspNetCore |", StringComparison.Ordinal));
        Assert.Contains(spans, s => s.StartsWith("System.Net.Http |", StringComparison.Ordinal));
        Assert.Contains(spans, s => s.StartsWith("PttmHooks.CdsHooks | gather |", StringComparison.Ordinal));
        Assert.Contains(spans, s => s.Contains("pttm.patient.hash=" + HookTelemetryTests.Hash(patientId), StringComparison.Ordinal));
        Assert.Contains(metrics, m => m.Name == "pttm.feedback");
        Assert.Contains(metrics, m => m.Name == "http.client.request.duration");
        Assert.Contains(capture.Logs, r => r.LogLevel == LogLevel.Trace);
        Assert.Contains(capture.Logs, r => r.EventId.Id == 3001);
        Assert.Equal(4, capture.Logs.Count(r => r.EventId.Id == 2001));

        string[] secrets = [patientId, hookInstance, UserId, EncounterId, Comment, AccessToken, .. Parts(token), .. Parts(wrongAud), .. Parts(feedbackToken)];
        Assert.Empty(Leaks(spans, secrets));
        Assert.Empty(Leaks(TelemetryCapture.Texts(metrics), secrets));
        Assert.Empty(Leaks(capture.Logs.Select(TelemetryCapture.Text), secrets));
        Assert.Empty(Leaks(rig.App.Logs.GetSnapshot().Select(r => string.Join(" | ",
            [r.Category ?? string.Empty, r.Message, r.Exception?.ToString() ?? string.Empty, .. r.StructuredState?.Select(p => $"{p.Key}={p.Value}") ?? []])), secrets));

        // The scans find a secret where one is: a span attribute and a log record planted with them.
        using (var source = new ActivitySource("PttmHooks.CdsHooks"))
        using (var planted = source.StartActivity("planted", ActivityKind.Internal, new ActivityContext(capture.Trace, capture.Parent, ActivityTraceFlags.Recorded)))
        {
            Assert.NotNull(planted);
            planted.SetTag("note", "context " + patientId);
        }

        var logger = rig.App.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Planted");
#pragma warning disable CA1848, CA1873, CA2254 // a plain call on purpose: the planted record is not an event of the service
        logger.LogWarning("planted " + hookInstance);
#pragma warning restore CA1848, CA1873, CA2254
        Assert.Single(Leaks(Spans(capture, fhir, rig), secrets));
        Assert.Single(Leaks(capture.Logs.Select(TelemetryCapture.Text), secrets));
    }

    /// <summary>
    /// Every span the service's tracer provider recorded, as text, less the fake FHIR and JWKS
    /// servers' own server spans: they run on ASP.NET Core in this process, so the provider sees
    /// them, but in production they are the EHR's (and show the path they were asked for).
    /// </summary>
    private static List<string> Spans(TelemetryCapture capture, FhirServerFake fhir, TokenRig rig)
    {
        int[] foreign = [fhir.BaseUrl.Port, new Uri(rig.JwksUrl).Port];
        return [.. capture.AllSpans
            .Where(s => !(s.Kind == ActivityKind.Server && s.GetTagItem("server.port") is int port && foreign.Contains(port)))
            .Select(TelemetryCapture.Text)];
    }
}
