using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PttmHooks.Reading.Telemetry;
using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Hosting;
using PttmHooks.Service.Screening;
using PttmHooks.Service.Tests.Support;
using PttmHooks.Service.Telemetry;

namespace PttmHooks.Service.Tests.Hosting;

/// <summary>
/// The warm-up before readiness: <c>/health/ready</c> stays 503 until it has run; its calls are the
/// embedded synthetic samples only, with no <c>fhirServer</c>; they leave no metric, span or hook
/// event behind, only the warm-up's own event 1005.
/// </summary>
public sealed class WarmUpTests
{
    private static readonly string[] s_sampleIds =
        [.. Directory.GetDirectories(Path.Combine(AppContext.BaseDirectory, "TestData", "cases")).Select(Path.GetFileName).OfType<string>()];

    [Fact]
    public async Task Readiness_answers_503_until_the_warm_up_has_run_and_liveness_answers_200_meanwhile()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var service = new GatedService(gate.Task);
        using var app = WithWarmUp(service, rounds: 1);
        using var client = app.CreateClient();

        await service.FirstWarmUpCall.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        using (var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }

        using (var live = await client.GetAsync(new Uri("/health/live", UriKind.Relative), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        gate.SetResult();
        await app.Services.GetRequiredService<WarmUpState>().WhenFinished.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        using (var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        // One round: every sample once on each worker, all through the real service, marked.
        Assert.Equal(s_sampleIds.Length * Math.Clamp(Environment.ProcessorCount, 1, 4), service.WarmUpCalls);
        var done = Assert.Single(app.Logs.GetSnapshot(), r => r.Id.Id == 1005);
        Assert.Contains(", 0 not answered 200", done.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(app.Logs.GetSnapshot(), r => r.Id.Id == 2001);

        // A real call afterwards is not marked, and is a hook call like any other.
        using var answer = await app.PostJsonAsync(Http.ServicePath, app.CaseRequest("seed004-breast-history-hypoxaemia-vq"));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(1, service.RealCalls);
    }

    [Fact]
    public async Task The_warm_up_calls_record_no_metric_and_no_span()
    {
        var fromWarmUp = new List<string>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name.StartsWith("PttmHooks", StringComparison.Ordinal))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        // The callbacks run in the recording call's execution context: WarmUpCalls.Active tells
        // whether a warm-up call recorded it (other tests' calls run beside this one).
        meters.SetMeasurementEventCallback<long>((instrument, _, _, _) => Note(instrument.Name));
        meters.SetMeasurementEventCallback<double>((instrument, _, _, _) => Note(instrument.Name));
        meters.SetMeasurementEventCallback<int>((instrument, _, _, _) => Note(instrument.Name));
        meters.Start();
        using var spans = new ActivityListener
        {
            ShouldListenTo = source => source.Name == CdsTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = activity => Note("span " + activity.OperationName),
        };
        ActivitySource.AddActivityListener(spans);

        var service = new GatedService(Task.CompletedTask);
        using var app = WithWarmUp(service, rounds: 2);
        _ = app.Services;
        await app.Services.GetRequiredService<WarmUpState>().WhenFinished.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.True(service.WarmUpCalls >= s_sampleIds.Length * 2, $"{service.WarmUpCalls} warm-up calls");
        lock (fromWarmUp)
        {
            Assert.Empty(fromWarmUp);
        }

        Assert.DoesNotContain(app.Logs.GetSnapshot(), r => r.Id.Id == 2001);

        void Note(string what)
        {
            if (WarmUpCalls.Active)
            {
                lock (fromWarmUp)
                {
                    fromWarmUp.Add(what);
                }
            }
        }
    }

    [Fact]
    public void The_warm_up_posts_every_synthetic_sample_with_full_prefetch_and_no_fhir_server()
    {
        var catalog = new CdsCatalog([new GatedService(Task.CompletedTask)]);
        Assert.True(catalog.TryGet(PttmScreeningService.ServiceId, out var entry, out _));

        var bodies = WarmUp.Bodies(entry, new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero)).Select(b => JsonNode.Parse(b)!).ToList();

        Assert.Equal(
            s_sampleIds.Select(id => Http.Case(id).PatientId).Order(StringComparer.Ordinal),
            bodies.Select(b => (string)b["context"]!["patientId"]!).Order(StringComparer.Ordinal));
        Assert.All(bodies, body =>
        {
            Assert.Null(body["fhirServer"]);
            Assert.Null(body["fhirAuthorization"]);
            Assert.Equal(entry.Definition.Prefetch!.Keys.Order(StringComparer.Ordinal), body["prefetch"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        });
    }

    [Fact]
    public void The_warm_up_is_off_by_default_and_bounded()
    {
        var options = new WarmUpOptions();
        Assert.False(options.Enabled);
        Assert.InRange(options.MaxDuration, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
    }

    private static ServiceApp WithWarmUp(GatedService service, int rounds) =>
        new ServiceApp(new Dictionary<string, string?> { ["Cds:WarmUp:Enabled"] = "true", ["Cds:WarmUp:Rounds"] = rounds.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            .WithServices(services =>
            {
                services.RemoveAll<ICdsService>();
                services.AddSingleton<ICdsService>(sp => service.Around(ActivatorUtilities.CreateInstance<PttmScreeningService>(sp)));
            });

    /// <summary>The real screening service, counting the calls, holding warm-up calls until a gate opens.</summary>
    private sealed class GatedService(Task gate) : ICdsService
    {
        private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private ICdsService? _inner;
        private int _warmUpCalls;
        private int _realCalls;

        public string Id => PttmScreeningService.ServiceId;

        public Task FirstWarmUpCall => _first.Task;

        public int WarmUpCalls => Volatile.Read(ref _warmUpCalls);

        public int RealCalls => Volatile.Read(ref _realCalls);

        public GatedService Around(ICdsService inner)
        {
            _inner = inner;
            return this;
        }

        public async Task<CdsServiceResult> InvokeAsync(CdsInvocation invocation, CancellationToken cancellationToken)
        {
            if (PttmHooks.Reading.Telemetry.WarmUpCalls.Active)
            {
                Interlocked.Increment(ref _warmUpCalls);
                _first.TrySetResult();
                await gate.WaitAsync(cancellationToken);
            }
            else
            {
                Interlocked.Increment(ref _realCalls);
            }

            return await _inner!.InvokeAsync(invocation, cancellationToken);
        }

        public bool CouldHaveIssued(string cardUuid) => _inner!.CouldHaveIssued(cardUuid);
    }
}
