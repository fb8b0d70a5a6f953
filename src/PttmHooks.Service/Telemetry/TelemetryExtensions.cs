using Microsoft.Extensions.Compliance.Classification;
using Microsoft.Extensions.Compliance.Redaction;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using PttmHooks.Reading;
using PttmHooks.Reading.Fhir;

namespace PttmHooks.Service.Telemetry;

/// <summary>
/// OpenTelemetry for the service: traces (ASP.NET Core, HttpClient and the service's own spans),
/// metrics (the <c>PttmHooks.CdsHooks</c> meter, ASP.NET Core, HttpClient, runtime) and logs
/// (every <c>ILogger</c> event, redacted first). Export follows the standard <c>OTEL_*</c>
/// variables: OTLP only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or a signal's own endpoint) is
/// set, otherwise nothing leaves the process and no connection is attempted; Prometheus scrapes
/// <c>/metrics</c> when <c>Cds:Telemetry:Prometheus</c> is true.
/// </summary>
public static class TelemetryExtensions
{
    /// <summary>The service name when <c>OTEL_SERVICE_NAME</c> is not set.</summary>
    public const string DefaultServiceName = "pttm-hooks";

    /// <summary>The Prometheus scrape path.</summary>
    public const string MetricsPath = "/metrics";

    private static readonly string[] s_signals = ["TRACES", "METRICS", "LOGS"];

    /// <summary>
    /// The runtime's gauges whose names end in <c>.count</c>: Prometheus reserves <c>_count</c> for
    /// histograms and summaries (promtool rejects them), so they are exported under these names.
    /// </summary>
    private static readonly (string Name, string Renamed)[] s_renamedRuntimeGauges =
    [
        ("dotnet.assembly.count", "dotnet.assemblies"),
        ("dotnet.process.cpu.count", "dotnet.process.cpus"),
        ("dotnet.timer.count", "dotnet.timers"),
    ];

    /// <summary>Registers OpenTelemetry, the redaction of log events and the telemetry settings.</summary>
    public static WebApplicationBuilder AddPttmTelemetry(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<KeyedHash>();

        // Identifiers in log events are classified (PttmData); these redactors run before any
        // logging provider (console, OpenTelemetry, a test's collector) sees the event.
        services.AddRedaction(redaction =>
        {
            redaction.SetRedactor<KeyedHashRedactor>(new DataClassificationSet(PttmData.PatientIdentifier), new DataClassificationSet(PttmData.RequestIdentifier));
            redaction.SetRedactor<ErasingRedactor>(new DataClassificationSet(PttmData.Secret));
            redaction.SetFallbackRedactor<ErasingRedactor>();
        });
        // No discriminator: a patient's hash in a log record equals its pttm.patient.hash in a span.
        builder.Logging.EnableRedaction(options => options.ApplyDiscriminator = false);
        builder.Logging.AddBatchedConsole();

        var prometheus = configuration.GetValue<bool>($"{TelemetryOptions.Section}:{nameof(TelemetryOptions.Prometheus)}");
        var serviceName = configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : DefaultServiceName;
        var version = typeof(TelemetryExtensions).Assembly.GetName().Version?.ToString(3);

        // Traces and metrics are always recorded in-process (cheap, and it gives log records their
        // trace ids); what leaves is decided by the exporters below.
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceVersion: version))
            .WithTracing(tracing =>
            {
                tracing.AddSource(CdsTracing.SourceName)
                    .AddAspNetCoreInstrumentation(aspnet =>
                    {
                        // Probes and scrapes every few seconds are noise in a trace store.
                        aspnet.Filter = http => !http.Request.Path.StartsWithSegments("/health") && !http.Request.Path.StartsWithSegments(MetricsPath);
                    })
                    .AddHttpClientInstrumentation(http =>
                    {
                        // .NET writes url.full with the query hidden but the path as sent, and the
                        // FHIR read Patient/{id} names the patient in its path.
                        http.EnrichWithHttpRequestMessage = (activity, request) =>
                        {
                            if (request.RequestUri is { } uri)
                            {
                                activity.SetTag("url.full", FhirClient.TelemetryUrl(request, uri));
                            }
                        };
                    });
                if (Exports(configuration, "TRACES"))
                {
                    tracing.AddOtlpExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(CdsMetrics.MeterName, ReadingMetrics.MeterName)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation();
                foreach (var (name, renamed) in s_renamedRuntimeGauges)
                {
                    metrics.AddView(name, new MetricStreamConfiguration { Name = renamed });
                }

                if (Exports(configuration, "METRICS"))
                {
                    metrics.AddOtlpExporter();
                }

                if (prometheus)
                {
                    metrics.AddPrometheusExporter();
                }
            })
            .WithLogging(
                logging =>
                {
                    logging.AddProcessor(new RedactedLogValues());
                    if (Exports(configuration, "LOGS"))
                    {
                        logging.AddOtlpExporter();
                    }
                },
                options =>
                {
                    options.IncludeFormattedMessage = true;
                    // Scopes are other components' state (paths, connection ids); the events carry what counts.
                    options.IncludeScopes = false;
                });
        return builder;
    }

    /// <summary>
    /// The hook call telemetry (<see cref="HookCallTelemetry"/>): before authentication, so that
    /// refusals are counted, and inside the error handler, so that failures are.
    /// </summary>
    public static WebApplication UsePttmTelemetry(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<HookCallTelemetry>();
        return app;
    }

    /// <summary>
    /// <c>GET /metrics</c>, the Prometheus scrape endpoint, when <c>Cds:Telemetry:Prometheus</c> is
    /// true. It needs no token: it is for the cluster's scraper, and must not be exposed publicly.
    /// </summary>
    public static IEndpointRouteBuilder MapPttmTelemetry(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.ServiceProvider.GetRequiredService<IOptions<TelemetryOptions>>().Value.Prometheus)
        {
            app.MapPrometheusScrapingEndpoint(MetricsPath);
        }

        return app;
    }

    /// <summary>True when the standard variables ask for OTLP export of <paramref name="signal"/>: an endpoint for all signals or for this one.</summary>
    internal static bool Exports(IConfiguration configuration, string signal) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])
        || !string.IsNullOrWhiteSpace(configuration[$"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"]);

    /// <summary>The signals OTLP export is switched on for (for the start-up log).</summary>
    internal static IReadOnlyList<string> ExportedSignals(IConfiguration configuration) =>
        [.. s_signals.Where(s => Exports(configuration, s)).Select(s => s.ToLowerInvariant())];
}
