using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace PttmHooks.Service.Tests;

/// <summary>
/// The service in-process over real HTTP (TestServer), in the Development environment with its
/// appsettings (authentication off), and with a clock the test sets.
/// </summary>
public sealed class ServiceApp : WebApplicationFactory<Program>
{
    /// <summary>
    /// The FHIR base every test app trusts (Cds:FhirServers:0) unless a test configures its own.
    /// Requests with full prefetch may name it; nothing ever connects to it.
    /// </summary>
    public const string TrustedFhirServer = "https://ehr.example.org/fhir";

    private readonly Dictionary<string, string?> _settings;
    private readonly List<Action<IServiceCollection>> _services = [];

    /// <summary>Creates the host; <paramref name="settings"/> override configuration keys (a null value removes a default one).</summary>
    public ServiceApp(IReadOnlyDictionary<string, string?>? settings = null, string environment = "Development")
    {
        // No drain delay on stopping (a test that checks graceful shutdown sets its own), and no
        // warm-up before readiness (its default; WarmUpTests turn it on).
        _settings = new Dictionary<string, string?>
        {
            ["Cds:FhirServers:0"] = TrustedFhirServer,
            ["Cds:ShutdownDelay"] = "00:00:00",
            ["Cds:WarmUp:Enabled"] = "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            // null takes a default setting away.
            if (value is null)
            {
                _settings.Remove(key);
            }
            else
            {
                _settings[key] = value;
            }
        }

        Environment = environment;
    }

    /// <summary>The clock the service reads; tests set it (forwards or back) to a case's evaluatedAt.</summary>
    public TestClock Time { get; } = new();

    /// <summary>The host environment name.</summary>
    public string Environment { get; }

    /// <inheritdoc />
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(Environment);
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Time);
            services.AddSingleton<ILoggerProvider>(new FakeLoggerProvider(Logs));
            foreach (var configure in _services)
            {
                configure(services);
            }
        });
    }

    /// <summary>Adds registrations of a test (before the host starts: its first client, or <c>Services</c>).</summary>
    public ServiceApp WithServices(Action<IServiceCollection> configure)
    {
        _services.Add(configure);
        return this;
    }

    /// <summary>Every log record the service wrote (at the levels its configuration lets through).</summary>
    public FakeLogCollector Logs { get; } = new();

    /// <summary>Posts <paramref name="body"/> as JSON to <paramref name="path"/>.</summary>
    public Task<HttpResponseMessage> PostJsonAsync(string path, JsonNode body, string contentType = "application/json") =>
        PostAsync(path, body.ToJsonString(), contentType);

    /// <summary>Posts <paramref name="body"/> with <paramref name="contentType"/>.</summary>
    public async Task<HttpResponseMessage> PostAsync(string path, string body, string? contentType = "application/json")
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);
        using var client = CreateClient();
        return await client.PostAsync(new Uri(path, UriKind.Relative), content, TestContext.Current.CancellationToken);
    }
}

/// <summary>Reading answers.</summary>
public static class Answers
{
    /// <summary>The body as JSON.</summary>
    public static async Task<JsonNode> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return JsonNode.Parse(text) ?? throw new InvalidOperationException("empty body");
    }

    /// <summary>The diagnostics of an OperationOutcome body, one per issue, after checking its shape.</summary>
    public static async Task<IReadOnlyList<(string Diagnostics, string? Expression, string Code)>> IssuesAsync(this HttpResponseMessage response)
    {
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.JsonAsync();
        Assert.Equal("OperationOutcome", (string?)body["resourceType"]);
        var issues = body["issue"]!.AsArray();
        Assert.NotEmpty(issues);
        return [.. issues.Select(i => (
            (string)i!["diagnostics"]!,
            i["expression"]?.AsArray().Select(e => (string?)e).FirstOrDefault(),
            (string)i["code"]!))];
    }
}

/// <summary>The test data folders copied next to the test assembly.</summary>
public static class TestFiles
{
    /// <summary>A folder or file under TestData.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([AppContext.BaseDirectory, "TestData", .. parts]);

    /// <summary>A fixture of tests/TestData/cds-hooks, as JSON.</summary>
    public static JsonNode Fixture(string relative) => JsonNode.Parse(File.ReadAllText(Path("cds-hooks", relative)))!;

    /// <summary>A fixture's text as written.</summary>
    public static string FixtureText(string relative) => File.ReadAllText(Path("cds-hooks", relative));

    /// <summary>The templates of the embedded discovery document.</summary>
    public static IReadOnlyDictionary<string, string> Templates { get; } =
        PttmHooks.Service.CdsHooks.CdsCatalog.LoadEmbedded().Services.Single().Prefetch!;

    /// <summary>Serialises for a readable assertion message.</summary>
    public static string Show(JsonNode? node) => node?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null";
}

/// <summary>
/// A clock that stays where a test puts it. (FakeTimeProvider refuses to go back in time, and the
/// cases are evaluated at different times by tests of one class, which run one after another.)
/// </summary>
public sealed class TestClock : TimeProvider
{
    private long _ticks = new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero).UtcTicks;

    /// <summary>Sets the time.</summary>
    public void SetUtcNow(DateTimeOffset value) => Interlocked.Exchange(ref _ticks, value.UtcTicks);

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
}
