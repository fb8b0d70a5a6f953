using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace PttmHooks.Service.Hosting;

/// <summary>How the service stops (keys <c>Cds:ShutdownTimeout</c> and <c>Cds:ShutdownDelay</c>).</summary>
public sealed class ShutdownOptions
{
    /// <summary>The configuration section (the keys live directly under <c>Cds</c>).</summary>
    public const string Section = "Cds";

    /// <summary>
    /// How long a stop (SIGTERM) may take in all: the drain delay, then the hook calls still in flight
    /// finishing. Calls still running after it are cut off. Kubernetes' terminationGracePeriodSeconds
    /// must be longer.
    /// </summary>
    /// <value>30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the service keeps accepting calls after a stop begins, answering readiness with
    /// 503, so that the load balancer takes it out of rotation before it stops listening (a call
    /// sent in that window is still answered rather than refused).
    /// </summary>
    /// <value>5 seconds (0 in <c>appsettings.Development.json</c>).</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan ShutdownDelay { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Graceful shutdown: on SIGTERM readiness answers 503 at once, the service keeps serving for
/// <see cref="ShutdownOptions.ShutdownDelay"/>, then Kestrel stops accepting connections and waits
/// for the calls in flight (a hook call waiting on a slow FHIR server included) up to
/// <see cref="ShutdownOptions.ShutdownTimeout"/> in all.
/// </summary>
public static class GracefulShutdown
{
    /// <summary>Registers the shutdown settings, the drain delay and the readiness check that fails while stopping.</summary>
    public static IServiceCollection AddGracefulShutdown(this IServiceCollection services)
    {
        services.AddOptions<ShutdownOptions>().BindConfiguration(ShutdownOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<ShutdownOptions>, ShutdownOptionsValidator>();
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown) => host.ShutdownTimeout = shutdown.Value.ShutdownTimeout);
        services.AddSingleton<ShutdownState>();
        services.AddHostedService<DrainDelay>();
        services.AddHealthChecks().AddCheck<StoppingHealthCheck>("stopping", tags: ["ready"]);
        return services;
    }
}

/// <summary>The delay must leave time for the calls in flight.</summary>
internal sealed class ShutdownOptionsValidator : IValidateOptions<ShutdownOptions>
{
    public ValidateOptionsResult Validate(string? name, ShutdownOptions options) =>
        options.ShutdownDelay < options.ShutdownTimeout
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Cds:ShutdownDelay ({options.ShutdownDelay}) must be shorter than Cds:ShutdownTimeout ({options.ShutdownTimeout}): the calls in flight need time to finish after it.");
}

/// <summary>Whether a stop has begun: from the first moment of the drain delay, or the application's stopping token.</summary>
internal sealed class ShutdownState(IHostApplicationLifetime lifetime)
{
    private volatile bool _draining;

    public bool Stopping => _draining || lifetime.ApplicationStopping.IsCancellationRequested;

    public void Drain() => _draining = true;
}

/// <summary>
/// Holds the stop for <see cref="ShutdownOptions.ShutdownDelay"/> before any server stops. The
/// host runs <see cref="IHostedLifecycleService.StoppingAsync"/> first of all, before it fires the
/// application's stopping token and before Kestrel stops listening; readiness is 503 from its start.
/// </summary>
internal sealed class DrainDelay(IOptions<ShutdownOptions> options, ShutdownState state, TimeProvider time) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        state.Drain();
        var delay = options.Value.ShutdownDelay;
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The shutdown timeout ran out first: stop now.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Not ready once the application is stopping: the load balancer sends no new calls.</summary>
internal sealed class StoppingHealthCheck(ShutdownState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.Stopping
            ? HealthCheckResult.Unhealthy("the service is stopping")
            : HealthCheckResult.Healthy());
}
