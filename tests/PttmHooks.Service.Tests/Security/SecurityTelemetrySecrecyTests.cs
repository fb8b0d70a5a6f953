using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using PttmHooks.Service.Telemetry;
using PttmHooks.Service.Tests.CdsHooks;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Security;

/// <summary>
/// Neither the client's JWT, nor the FHIR access token, nor the patient reaches a log record or a
/// trace (every log category at Trace; every activity of the calls' traces, from every source):
/// through a signed call that queries the FHIR server, a replayed token, a token for another
/// audience and a call without a token. And a refusal's reason reaches the metric.
/// </summary>
public sealed class SecurityTelemetrySecrecyTests
{
    private const string AccessToken = "fhir-access-token-5d2e8b17c4a9";

    private static readonly Dictionary<string, string?> s_everything = new()
    {
        ["Logging:LogLevel:Default"] = "Trace",
        ["Logging:LogLevel:Microsoft"] = "Trace",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
        ["Logging:LogLevel:Polly"] = "Trace",
        ["Logging:LogLevel:System.Net.Http"] = "Trace",
        ["Cds:Fallback:RetryDelay"] = "00:00:00.010",
    };

    /// <summary>
    /// Records every activity of one trace (the calls a test sends carry its <c>traceparent</c>, so
    /// the service's activities, and those of its outgoing requests, join it) as text: source,
    /// names, status, tags, events and their tags, baggage.
    /// </summary>
    private sealed class TraceRecorder : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly ConcurrentQueue<string> _records = new();

        public TraceRecorder()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = _ => true,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                SampleUsingParentId = (ref ActivityCreationOptions<string> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = Record,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public ActivityTraceId Trace { get; } = ActivityTraceId.CreateRandom();

        /// <summary>A <c>traceparent</c> header for a call: this trace, a made-up parent span, sampled.</summary>
        public string Header => $"00-{Trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01";

        public IReadOnlyList<string> Records => [.. _records];

        private void Record(Activity activity)
        {
            if (activity.TraceId != Trace)
            {
                return;
            }

            var text = new StringBuilder()
                .Append(activity.Source.Name).Append(" | ").Append(activity.OperationName).Append(" | ").Append(activity.DisplayName)
                .Append(" | ").Append(activity.Kind).Append(" | ").Append(activity.StatusDescription);
            foreach (var (key, value) in activity.TagObjects)
            {
                text.Append(" | ").Append(key).Append('=').Append(value);
            }

            foreach (var e in activity.Events)
            {
                text.Append(" | event ").Append(e.Name);
                foreach (var (key, value) in e.Tags)
                {
                    text.Append(" | ").Append(key).Append('=').Append(value);
                }
            }

            foreach (var (key, value) in activity.Baggage)
            {
                text.Append(" | baggage ").Append(key).Append('=').Append(value);
            }

            _records.Enqueue(text.ToString());
        }

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>Each log record as one text: category, message, exception, every state value.</summary>
    private static IReadOnlyList<string> LogTexts(FakeLogCollector logs) =>
        [.. logs.GetSnapshot().Select(r => string.Join(" | ",
            [r.Category ?? string.Empty, r.Message, r.Exception?.ToString() ?? string.Empty,
             .. r.StructuredState?.Select(p => $"{p.Key}={p.Value}") ?? []]))];

    /// <summary>Every (secret, record) pair where a record contains a secret.</summary>
    private static IReadOnlyList<string> Leaks(IEnumerable<string> records, IReadOnlyList<string> secrets) =>
        [.. records.SelectMany(r => secrets
            .Where(s => r.Contains(s, StringComparison.OrdinalIgnoreCase))
            .Select(s => $"'{s}' in: {r}"))];

    /// <summary>A JWT and the parts of it that are secret on their own: payload and signature.</summary>
    private static IEnumerable<string> Parts(string jwt) => [jwt, jwt.Split('.')[1], jwt.Split('.')[2]];

    private static async Task<HttpResponseMessage> SendAsync(TokenRig rig, TraceRecorder trace, string? token, HttpMethod method, string path, JsonNode? body = null)
    {
        using var client = rig.App.CreateClient();
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Add("traceparent", trace.Header);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Tokens_and_the_patient_reach_no_log_and_no_trace_through_signed_replayed_refused_and_missing_tokens()
    {
        using var fhir = FhirServerFake.Start(FhirServerFake.LoadCase(TokenRig.CardCase));
        using var rig = new TokenRig(new Dictionary<string, string?>(s_everything)
        {
            ["Cds:Clients:ehr-a:FhirServers:0"] = fhir.BaseUrl.AbsoluteUri,
        });
        using var trace = new TraceRecorder();
        var request = rig.App.CaseRequest(TokenRig.CardCase, [.. TestFiles.Templates.Keys]);
        var patientId = (string)request["context"]!["patientId"]!;
        request["fhirServer"] = fhir.BaseUrl.AbsoluteUri;
        request["fhirAuthorization"] = ErrorAnswerTests.Authorization(AccessToken);
        var token = rig.TokenA();
        var wrongAud = ClientAuthenticationTests.Bad(rig, "wrong aud");

        using var signed = await SendAsync(rig, trace, token, HttpMethod.Post, Http.ServicePath, request);
        using var replayed = await SendAsync(rig, trace, token, HttpMethod.Post, Http.ServicePath, request);
        using var refused = await SendAsync(rig, trace, wrongAud, HttpMethod.Post, Http.ServicePath, request);
        using var missing = await SendAsync(rig, trace, null, HttpMethod.Post, Http.ServicePath, request);

        // The calls went as meant: the signed one through the FHIR server with the access token.
        Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
        Assert.NotEmpty((await signed.JsonAsync())["cards"]!.AsArray());
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Contains(fhir.Requests, r => r.PathAndQuery.Contains(patientId, StringComparison.Ordinal) && r.Authorization == "Bearer " + AccessToken);
        var reasons = rig.App.Logs.GetSnapshot().Where(r => r.Id.Id == 2301).Select(r => r.Message).ToList();
        Assert.Equal(3, reasons.Count);
        Assert.Contains(reasons, m => m.Contains(": replayed (client ehr-a)", StringComparison.Ordinal));
        Assert.Contains(reasons, m => m.Contains(": audience (client ehr-a)", StringComparison.Ordinal));
        Assert.Contains(reasons, m => m.Contains(": missing (client unknown)", StringComparison.Ordinal));

        // What was recorded is rich enough to leak if anything did: Trace records, and the
        // service's server activities and its outgoing FHIR requests in the calls' trace.
        Assert.Contains(rig.App.Logs.GetSnapshot(), r => r.Level == LogLevel.Trace);
        Assert.Contains(trace.Records, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.Contains(trace.Records, r => r.StartsWith("System.Net.Http", StringComparison.Ordinal));

        string[] secrets = [.. Parts(token), .. Parts(wrongAud), AccessToken, patientId];
        string[] tokens = [.. Parts(token), .. Parts(wrongAud), AccessToken];
        Assert.Empty(Leaks(LogTexts(rig.App.Logs), secrets));
        Assert.Empty(Leaks(trace.Records, tokens));
        Assert.Empty(Leaks(Traces(trace, fhir, patientId), [patientId]));

        // The scans find a secret where one is: a log record and an activity planted with the token.
        var logger = rig.App.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Planted");
#pragma warning disable CA1848, CA1873, CA2254 // a plain call on purpose: the planted record is not an event of the service
        logger.LogTrace("planted " + token.Split('.')[2]);
#pragma warning restore CA1848, CA1873, CA2254
        Assert.Single(Leaks(LogTexts(rig.App.Logs), secrets));
        using (var source = new ActivitySource("Planted"))
        using (var planted = source.StartActivity("planted", ActivityKind.Internal, new ActivityContext(trace.Trace, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded)))
        {
            planted!.SetTag("note", "context " + patientId);
        }

        Assert.Single(Leaks(Traces(trace, fhir, patientId), [patientId]));
    }

    /// <summary>
    /// The trace records of the service, less those of the fake FHIR server itself: it runs on
    /// ASP.NET Core in this process, so its own server spans (which show the path it was asked for,
    /// <c>/fhir/Patient/{id}</c>) join the calls' trace; in production they are the EHR's, not ours.
    /// The service's HttpClient span of that read shows <c>url.full</c> as <c>…/Patient/{id}</c>.
    /// </summary>
    private static List<string> Traces(TraceRecorder trace, FhirServerFake fhir, string patientId)
    {
        var fhirServerSpan = $"| Server |  | http.request.method=GET | server.address={fhir.BaseUrl.Host} | server.port={fhir.BaseUrl.Port} |";
        var records = trace.Records.Where(r => !(r.StartsWith("Microsoft.AspNetCore |", StringComparison.Ordinal) && r.Contains(fhirServerSpan, StringComparison.Ordinal))).ToList();
        Assert.Contains(records, r => r.StartsWith("System.Net.Http | System.Net.Http.HttpRequestOut |", StringComparison.Ordinal)
            && r.Contains($"url.full={fhir.BaseUrl.AbsoluteUri.TrimEnd('/')}/Patient/{{id}} |", StringComparison.Ordinal));
        Assert.DoesNotContain(records, r => r.Contains(patientId, StringComparison.Ordinal) && r.StartsWith("System.Net.Http", StringComparison.Ordinal));
        return records;
    }

    [Fact]
    public async Task A_token_for_another_audience_is_counted_under_reason_audience()
    {
        using var rig = new TokenRig();
        using var trace = new TraceRecorder();
        var reasons = new ConcurrentQueue<string?>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == CdsMetrics.MeterName && instrument.Name == "pttm.auth.rejections")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        // The meter is shared by every test running at the time: only this test's trace counts.
        meters.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            if (Activity.Current?.TraceId == trace.Trace && value == 1)
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "pttm.auth.reason")
                    {
                        reasons.Enqueue(tag.Value as string);
                    }
                }
            }
        });
        meters.Start();
        var request = rig.App.CaseRequest(TokenRig.CardCase);

        using var valid = await SendAsync(rig, trace, rig.TokenA(), HttpMethod.Post, Http.ServicePath, request);
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        Assert.Empty(reasons);
        using var refused = await SendAsync(rig, trace, ClientAuthenticationTests.Bad(rig, "wrong aud"), HttpMethod.Post, Http.ServicePath, request);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(["audience"], reasons);
    }
}
