using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using PttmHooks.Reading.Telemetry;
using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Fhir;
using PttmHooks.Service.Screening;
using PttmHooks.Service.Telemetry;
using PttmHooks.Service.Viewer;

namespace PttmHooks.Service.Hosting;

/// <summary>The warm-up before the service reports ready (keys under <c>Cds:WarmUp</c>).</summary>
public sealed class WarmUpOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Cds:WarmUp";

    /// <summary>
    /// Whether the service runs its sample patients through the hook pipeline before
    /// <c>/health/ready</c> answers 200, so that the JIT has compiled the hot path, optimised, before
    /// the load balancer sends the first real call.
    /// </summary>
    /// <value>False: measured, it gave a fresh process 21 % more calls in its first 10 s for 3.3 s
    /// more before the first answer (bench/README.md, issue 20), short of the target.</value>
    public bool Enabled { get; set; }

    /// <summary>How many times every sample patient is run (on as many workers as there are cores, at most 4).</summary>
    /// <value>30 (18 samples: 540 calls).</value>
    [Range(1, 100_000)]
    public int Rounds { get; set; } = 30;

    /// <summary>The warm-up stops after this long whatever rounds are left, and the service reports ready.</summary>
    /// <value>10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Warm from the start (with <see cref="WarmUpOptions.Enabled"/>): before <c>/health/ready</c> answers 200, the service posts the synthetic
/// sample patients of <c>samples/cases</c> (embedded, dates moved to now, prefetch filled from the
/// discovery templates, no <c>fhirServer</c>: nothing leaves the process) to its own hook handler in
/// process, <see cref="WarmUpOptions.Rounds"/> times, so that tiered compilation has promoted the
/// parse, the rule and the card to optimised code before a load balancer sends real calls. The
/// calls bypass the HTTP pipeline (no authentication, no hook-call metric or log event 2001), and
/// they are marked (<see cref="WarmUpCalls"/>) so that the rule's and the gathering's metrics and
/// spans leave them out; the warm-up logs one event of its own (1005).
/// </summary>
public static class WarmUp
{
    /// <summary>Registers the warm-up, its settings and the readiness check that waits for it.</summary>
    public static IServiceCollection AddWarmUp(this IServiceCollection services)
    {
        services.AddOptions<WarmUpOptions>().BindConfiguration(WarmUpOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<WarmUpState>();
        services.AddHostedService<WarmUpRunner>();
        services.AddHealthChecks().AddCheck<WarmUpHealthCheck>("warm-up", tags: ["ready"]);
        return services;
    }

    /// <summary>The request bodies of the warm-up: every embedded sample patient, dates moved to <paramref name="now"/>.</summary>
    internal static IReadOnlyList<byte[]> Bodies(CatalogEntry entry, DateTimeOffset now)
    {
        var samples = new ViewerSamples();
        var templates = entry.Definition.Prefetch ?? new Dictionary<string, string>();
        return [.. samples.All.Select(s => JsonSerializer.SerializeToUtf8Bytes(samples.Request(s.Id, templates, now)!))];
    }
}

/// <summary>Whether the warm-up has finished (or was not asked for).</summary>
internal sealed class WarmUpState
{
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Finished => _finished.Task.IsCompleted;

    /// <summary>Completes when the warm-up has finished.</summary>
    public Task WhenFinished => _finished.Task;

    public void Finish() => _finished.TrySetResult();
}

/// <summary>Not ready until the warm-up has finished.</summary>
internal sealed class WarmUpHealthCheck(WarmUpState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.Finished ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("warming up"));
}

/// <summary>Runs the warm-up once, in the background, from the host's start.</summary>
internal sealed class WarmUpRunner(
    IOptions<WarmUpOptions> options,
    WarmUpState state,
    IServiceProvider services,
    CdsCatalog catalog,
    TimeProvider time,
    ILogger<WarmUpRunner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            state.Finish();
            return;
        }

        await Task.Yield();
        WarmUpCalls.Begin();
        var started = Stopwatch.GetTimestamp();
        var calls = 0;
        var failures = 0;
        var rounds = 0;
        try
        {
            if (!catalog.TryGet(PttmScreeningService.ServiceId, out var entry, out _))
            {
                return;
            }

            var bodies = WarmUp.Bodies(entry, time.GetUtcNow());
            var workers = Math.Clamp(Environment.ProcessorCount, 1, 4);
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            budget.CancelAfter(settings.MaxDuration);
            for (; rounds < settings.Rounds && !budget.IsCancellationRequested; rounds++)
            {
                var results = await Task.WhenAll(Enumerable.Range(0, workers).Select(w => RunAsync(bodies, w, budget.Token))).ConfigureAwait(false);
                calls += results.Sum(r => r.Calls);
                failures += results.Sum(r => r.Failures);
            }
        }
        catch (OperationCanceledException)
        {
            // Out of time (MaxDuration), or the host is stopping: ready with what was done.
        }
#pragma warning disable CA1031 // The warm-up only speeds up the first calls: whatever fails in it, the service must still become ready.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.WarmUpFailed(logger, e);
        }
        finally
        {
            var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Log.WarmedUp(logger, calls, rounds, failures, elapsedMs);
            state.Finish();
        }
    }

    /// <summary>One round of one worker: every body once, starting at a different one per worker.</summary>
    private async Task<(int Calls, int Failures)> RunAsync(IReadOnlyList<byte[]> bodies, int worker, CancellationToken cancellationToken)
    {
        var calls = 0;
        var failures = 0;
        for (var i = 0; i < bodies.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var status = await CallAsync(bodies[(i + worker * 5) % bodies.Count], cancellationToken).ConfigureAwait(false);
            calls++;
            failures += status == StatusCodes.Status200OK ? 0 : 1;
        }

        return (calls, failures);
    }

    /// <summary>One hook call through the endpoint's own handler, in process; returns its status code.</summary>
    private async Task<int> CallAsync(byte[] body, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        http.Request.Method = HttpMethods.Post;
        http.Request.Scheme = "http";
        http.Request.Host = new HostString("localhost");
        http.Request.Path = "/cds-services/" + PttmScreeningService.ServiceId;
        http.Request.ContentType = "application/json";
        http.Request.ContentLength = body.Length;
        http.Request.Body = new MemoryStream(body, writable: false);
        http.Response.Body = Stream.Null;
        var result = await CdsHooksApi.InvokeService(
            PttmScreeningService.ServiceId,
            http,
            catalog,
            scope.ServiceProvider.GetRequiredService<FhirServerPolicy>(),
            scope.ServiceProvider.GetRequiredService<IOptions<CdsOptions>>(),
            scope.ServiceProvider.GetRequiredService<ILoggerFactory>(),
            cancellationToken).ConfigureAwait(false);
        await result.ExecuteAsync(http).ConfigureAwait(false);
        return http.Response.StatusCode;
    }
}
