using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;
using PttmHooks.Reading.Gathering;
using PttmHooks.Reading.Telemetry;

namespace PttmHooks.Reading.Fhir;

/// <summary>
/// The one HTTP path to FHIR servers (and, through <see cref="AddOutboundResilience"/>, to CDS
/// clients' key sets): the typed <see cref="FhirClient"/> with a resilience pipeline per FHIR base (so one failing EHR's circuit never opens another's). Outermost first: retry
/// (idempotent GETs only; timeouts, connection failures, 408, 429 honouring <c>Retry-After</c>
/// when it fits the call's budget, 500, 502, 503, 504; exponential backoff with jitter), circuit
/// breaker, per-attempt timeout. The hook call's budget is the caller's cancellation token above it all.
/// </summary>
public static class FhirHttp
{
    /// <summary>
    /// Registers the FHIR client, its pipeline, the fallback options, the fetcher, the attachment
    /// reader and the result fetcher. It needs a
    /// <see cref="TimeProvider"/>, an <c>IConfiguration</c> (for <c>Cds:Fallback</c>), logging
    /// and the <c>PttmRule</c> (whose look-back window narrows the searches).
    /// </summary>
    public static IServiceCollection AddFhirFallback(this IServiceCollection services)
    {
        services.AddOptions<FhirFallbackOptions>().BindConfiguration(FhirFallbackOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<FhirFallbackOptions>, FhirFallbackOptionsValidator>();

        services.AddHttpClient<FhirClient>().AddOutboundResilience("fhir");
        services.AddSingleton<IFhirFetcher, HttpFhirFetcher>();
        services.AddSingleton<AttachmentReader>();
        services.AddSingleton<ResultFetcher>();
        return services;
    }

    /// <summary>
    /// The one outbound HTTP path (FHIR servers, client key sets): no redirects, no request
    /// logging, bounded connections, and the resilience pipeline per server.
    /// </summary>
    /// <param name="builder">The typed client's builder.</param>
    /// <param name="pipeline">The pipeline's name (a metric and log dimension).</param>
    internal static IHttpClientBuilder AddOutboundResilience(this IHttpClientBuilder builder, string pipeline)
    {
        builder.ConfigureHttpClient(http =>
            {
                // The budget and the pipeline's timeouts bound every call; HttpClient's own 100 s
                // default would only hide a bug in them.
                http.Timeout = Timeout.InfiniteTimeSpan;
                http.DefaultRequestHeaders.UserAgent.ParseAdd("PttmHooks/1.0");
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // A redirect could carry the Authorization header to another host; FHIR bases and
                // key sets do not redirect.
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(5),
                AutomaticDecompression = DecompressionMethods.All,
            })
            // The default handlers log every request URI, and a FHIR search URI names the patient.
            .RemoveAllLoggers()
            .AddResilienceHandler(pipeline, ConfigurePipeline)
            .SelectPipelineBy(static _ => static request =>
                request.Options.TryGetValue(FhirClient.BaseKey, out var fhirBase) ? fhirBase : request.RequestUri?.GetLeftPart(UriPartial.Authority) ?? string.Empty);
        return builder;
    }

    private static void ConfigurePipeline(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, ResilienceHandlerContext context)
    {
        var options = context.ServiceProvider.GetRequiredService<IOptions<FhirFallbackOptions>>().Value;
        var time = context.ServiceProvider.GetRequiredService<TimeProvider>();
        pipeline.AddRetry(new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = Math.Max(1, options.MaxRetries),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.RetryDelay,
            ShouldRetryAfterHeader = true,
            ShouldHandle = args => ValueTask.FromResult(options.MaxRetries > 0 && ShouldRetry(args.Outcome, args.Context, time)),
        });
        // One pipeline per FHIR base or JWKS host (the instance): its circuit's state is a gauge.
        var circuit = context.BuilderName + " " + context.InstanceName;
        var server = ServerAddress(context.InstanceName);
        GatheringMetrics.SetCircuitState(circuit, server, CircuitState.Closed);
        context.OnPipelineDisposed(() => GatheringMetrics.ForgetCircuit(circuit));
        pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            FailureRatio = options.Circuit.FailureRatio,
            MinimumThroughput = options.Circuit.MinimumThroughput,
            SamplingDuration = options.Circuit.SamplingDuration,
            BreakDuration = options.Circuit.BreakDuration,
            ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
            OnOpened = _ => Set(CircuitState.Open),
            OnHalfOpened = _ => Set(CircuitState.HalfOpen),
            OnClosed = _ => Set(CircuitState.Closed),
        });
        pipeline.AddTimeout(options.AttemptTimeout);

        ValueTask Set(CircuitState state)
        {
            GatheringMetrics.SetCircuitState(circuit, server, state);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>The <c>host:port</c> of a pipeline's instance (a normalised FHIR base, or a key set's scheme and authority).</summary>
    internal static string ServerAddress(string instance) =>
        Uri.TryCreate(instance, UriKind.Absolute, out var url)
            ? string.Create(CultureInfo.InvariantCulture, $"{url.Host}:{url.Port}")
            : "unknown";

    /// <summary>A failure worth another attempt: a timeout, no connection, or a transient status.</summary>
    internal static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Result: { } response } => (int)response.StatusCode is 408 or 429 or 500 or 502 or 503 or 504,
        _ => false,
    };

    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, ResilienceContext context, TimeProvider time)
    {
        var request = outcome.Result?.RequestMessage ?? context.GetRequestMessage();
        if (request is null || request.Method != HttpMethod.Get || !IsTransient(outcome))
        {
            return false;
        }

        // A Retry-After that outlasts the hook call's budget is not waited for: the 429 is the
        // answer now, and the key is reported as rate-limited rather than timed out.
        if (outcome.Result is { StatusCode: HttpStatusCode.TooManyRequests } limited
            && request.Options.TryGetValue(FhirClient.DeadlineKey, out var deadline)
            && RetryAfter(limited, time) is { } wait
            && OutlastsBudget(wait, deadline, time))
        {
            return false;
        }

        return true;
    }

    /// <summary>True when waiting <paramref name="wait"/> from now would pass <paramref name="deadline"/> (a timestamp of <paramref name="time"/>).</summary>
    internal static bool OutlastsBudget(TimeSpan wait, long deadline, TimeProvider time) =>
        time.GetTimestamp() + (long)(wait.TotalSeconds * time.TimestampFrequency) > deadline;

    /// <summary>The wait a response's <c>Retry-After</c> asks for (seconds, or an HTTP date), or null.</summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time) =>
        response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - time.GetUtcNow(),
            _ => null,
        };
}
