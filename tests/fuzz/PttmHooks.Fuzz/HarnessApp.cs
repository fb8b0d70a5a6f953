using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;

namespace PttmHooks.Fuzz;

/// <summary>
/// The real service, in-process (TestServer), as the service's tests host it: the Development
/// environment (authentication off), one trusted FHIR base that is also open (no token needed),
/// a fixed clock, no console logging, and <see cref="FakeFhirHandler"/> as the primary handler of
/// every HttpClient. Only public hosting seams are used (no service type is named), so the harness
/// survives refactoring inside the service.
/// </summary>
public sealed class HarnessApp : WebApplicationFactory<Program>
{
    /// <summary>The FHIR base the app trusts; fuzz inputs that want the FHIR fallback name it.</summary>
    public const string FhirServer = "https://ehr.example.org/fhir";

    /// <summary>The time the service reads (the seeds are built for it).</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Creates the factory (the host starts on the first client).</summary>
    public HarnessApp()
    {
        // WebApplicationFactory reads the content root from this setting before anything else; its
        // fallbacks (a manifest in the current directory, a solution folder above the harness) fail
        // for an exe run from anywhere, e.g. the instrumented copy under tests/fuzz/out.
        var name = typeof(Program).Assembly.GetName().Name!;
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_" + name.ToUpperInvariant().Replace('.', '_'), ServiceContentRoot());
    }

    /// <summary>What the fake FHIR server answers.</summary>
    public FakeFhirData Fhir { get; } = new();

    /// <summary>The error log records of the service since the last <see cref="ErrorLog.Clear"/>.</summary>
    public ErrorLog Errors { get; } = new();

    /// <inheritdoc />
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseEnvironment("Development");
        var settings = new Dictionary<string, string?>
        {
            ["Cds:FhirServers:0"] = FhirServer,
            ["Cds:Fallback:OpenServers:0"] = FhirServer,
            ["Cds:Fallback:MaxRetries"] = "0",
            ["Cds:Fallback:MaxPages"] = "3",
            ["Cds:ShutdownDelay"] = "00:00:00",
            ["Cds:Telemetry:Prometheus"] = "false",
            ["Logging:LogLevel:Default"] = "Error",
        };
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging =>
        {
            logging.ClearProviders();
            logging.AddProvider(Errors);
            logging.SetMinimumLevel(LogLevel.Error);
        });
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(new FixedClock(Now));
            services.ConfigureAll<HttpClientFactoryOptions>(options =>
                options.HttpMessageHandlerBuilderActions.Add(handlers => handlers.PrimaryHandler = new FakeFhirHandler(Fhir)));
        });
    }

    /// <summary>
    /// The service project's folder, from the manifest that Microsoft.AspNetCore.Mvc.Testing writes
    /// beside the harness; the harness's own folder when there is no manifest.
    /// </summary>
    private static string ServiceContentRoot()
    {
        var manifest = Path.Combine(AppContext.BaseDirectory, "MvcTestingAppManifest.json");
        var name = typeof(Program).Assembly.GetName().FullName;
        if (File.Exists(manifest)
            && JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(manifest)) is { } roots
            && roots.TryGetValue(name, out var root) && Directory.Exists(root))
        {
            return root;
        }

        return AppContext.BaseDirectory;
    }

    /// <summary>A clock that never moves (timers still run on real time).</summary>
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }
}

/// <summary>Keeps the service's Error and Critical log records, to name the cause of a failure.</summary>
public sealed class ErrorLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _records = new();

    /// <summary>The records since the last <see cref="Clear"/>.</summary>
    public IReadOnlyCollection<string> Records => _records;

    /// <summary>Forgets the records.</summary>
    public void Clear() => _records.Clear();

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class Logger(ErrorLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel) && log._records.Count < 20)
            {
                var cause = exception is null ? string.Empty : $" [{exception.GetType().FullName}: {exception.Message}]";
                // The first frames name where it was thrown (replay prints them).
                var frames = exception?.StackTrace is { } trace
                    ? string.Concat(trace.Split('\n').Take(4).Select(f => Environment.NewLine + "    " + f.Trim()))
                    : string.Empty;
                log._records.Enqueue($"{logLevel} {category}: {formatter(state, exception)}{cause}{frames}");
            }
        }
    }
}
