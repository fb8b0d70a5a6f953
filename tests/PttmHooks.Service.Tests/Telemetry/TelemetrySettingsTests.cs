using Microsoft.Extensions.Compliance.Redaction;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PttmHooks.Service.Fhir;
using PttmHooks.Service.Hosting;
using PttmHooks.Service.Telemetry;
using PttmHooks.Service.Tests.Hosting;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using PttmHooks.Reading.Fhir;

namespace PttmHooks.Service.Tests.Telemetry;

/// <summary>The telemetry and shutdown settings, the keyed hash, the redactors and the URL shown in HttpClient spans.</summary>
public sealed class TelemetrySettingsTests
{
    [Theory]
    [InlineData("https://ehr.example.org/fhir/r4", "https://ehr.example.org/fhir/r4/Patient/p-123", "https://ehr.example.org/fhir/r4/Patient/{id}")]
    [InlineData("https://ehr.example.org/fhir/r4", "https://ehr.example.org/fhir/r4/Observation?patient=p-123&code=1", "https://ehr.example.org/fhir/r4/Observation?*")]
    [InlineData("https://ehr.example.org/fhir/r4", "https://ehr.example.org/fhir/r4/Patient/p-123/_history/2", "https://ehr.example.org/fhir/r4/Patient/{id}")]
    [InlineData("https://ehr.example.org/fhir/r4", "https://ehr.example.org/fhir/r4/p-123-page?token=x", "https://ehr.example.org/fhir/r4/{path}?*")]
    [InlineData("http://localhost:8080/fhir", "http://localhost:8080/FHIR/Condition?patient=p-123", "http://localhost:8080/fhir/Condition?*")]
    [InlineData("https://ehr.example.org/fhir", "https://ehr.example.org/other/p-123", "https://ehr.example.org/{path}")]
    public void The_url_in_an_HttpClient_span_of_a_FHIR_query_shows_the_base_and_the_type_only(string fhirBase, string url, string shown)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Options.Set(FhirClient.BaseKey, FhirServerPolicy.Normalise(fhirBase));

        Assert.Equal(shown, FhirClient.TelemetryUrl(request, new Uri(url)));
    }

    [Fact]
    public void The_url_of_another_request_loses_its_query()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://ehr.example.org/.well-known/jwks.json?v=2");

        Assert.Equal("https://ehr.example.org/.well-known/jwks.json?*", FhirClient.TelemetryUrl(request, request.RequestUri!));
    }

    [Fact]
    public void The_keyed_hash_is_HMAC_SHA256_truncated_to_16_bytes_and_nothing_without_a_key()
    {
        var hash = new KeyedHash(Options.Create(new TelemetryOptions { PatientHashKey = HookTelemetryTests.HashKey }));
        var none = new KeyedHash(Options.Create(new TelemetryOptions()));

        Assert.Equal(HookTelemetryTests.Hash("p-123"), hash.Of("p-123"));
        Assert.Equal(KeyedHash.Length, hash.Of("p-123")!.Length);
        Assert.NotEqual(hash.Of("p-123"), hash.Of("p-124"));
        Assert.Null(hash.Of(null));
        Assert.False(none.Enabled);
        Assert.Null(none.Of("p-123"));
    }

    [Fact]
    public void The_redactor_of_identifiers_writes_the_keyed_hash_or_erases()
    {
        Redactor keyed = new KeyedHashRedactor(new KeyedHash(Options.Create(new TelemetryOptions { PatientHashKey = HookTelemetryTests.HashKey })));
        Redactor erasing = new KeyedHashRedactor(new KeyedHash(Options.Create(new TelemetryOptions())));

        Assert.Equal(HookTelemetryTests.Hash("p-123"), keyed.Redact("p-123"));
        Assert.Equal(string.Empty, keyed.Redact(string.Empty));
        Assert.Equal(string.Empty, erasing.Redact("p-123"));
    }

    [Theory]
    [InlineData(null, null, false)]
    [InlineData("http://collector:4317", null, true)]
    [InlineData(null, "http://collector:4318/v1/traces", true)]
    [InlineData("  ", null, false)]
    public void OTLP_export_of_traces_is_on_only_when_an_endpoint_is_configured(string? endpoint, string? tracesEndpoint, bool exports)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
            ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = tracesEndpoint,
        }).Build();

        Assert.Equal(exports, TelemetryExtensions.Exports(configuration, "TRACES"));
        Assert.Equal(endpoint is { Length: > 2 }, TelemetryExtensions.Exports(configuration, "LOGS"));
    }

    [Fact]
    public void A_patient_hash_key_shorter_than_32_characters_stops_the_start()
    {
        using var app = new ServiceApp(new Dictionary<string, string?> { ["Cds:Telemetry:PatientHashKey"] = "too-short" });

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        Assert.Contains("PatientHashKey", StartupTests.Messages(error), StringComparison.Ordinal);
    }

    [Fact]
    public void The_shutdown_timeout_is_the_host_s_and_the_delay_must_be_shorter()
    {
        using var app = new ServiceApp(new Dictionary<string, string?> { ["Cds:ShutdownTimeout"] = "00:00:45" });
        using var wrong = new ServiceApp(new Dictionary<string, string?> { ["Cds:ShutdownTimeout"] = "00:00:05", ["Cds:ShutdownDelay"] = "00:00:05" });

        Assert.Equal(TimeSpan.FromSeconds(45), app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
        var error = Assert.ThrowsAny<Exception>(() => wrong.CreateClient());
        Assert.Contains("Cds:ShutdownDelay", StartupTests.Messages(error), StringComparison.Ordinal);
    }

    [Fact]
    public void By_default_a_stop_may_take_30_seconds_and_drains_for_5()
    {
        var defaults = new ShutdownOptions();

        Assert.Equal(TimeSpan.FromSeconds(30), defaults.ShutdownTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), defaults.ShutdownDelay);
    }

    [Fact]
    public async Task With_an_OTLP_endpoint_traces_metrics_and_logs_are_sent_there_under_the_service_name()
    {
        using var collector = WireMockServer.Start();
        collector.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        using var app = new ServiceApp(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Url,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_SERVICE_NAME"] = "pttm-hooks-otlp-test",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "100",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
        });
        using var hook = await app.PostJsonAsync(Support.Http.ServicePath, Support.Http.MinimalRequest());
        Assert.True(hook.IsSuccessStatusCode);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        string[] paths = ["/v1/traces", "/v1/metrics", "/v1/logs"];
        while (!paths.All(p => collector.LogEntries.Any(e => e.RequestMessage.Path == p)))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "received: " + string.Join(", ", collector.LogEntries.Select(e => e.RequestMessage.Path).Distinct()));
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        var traces = collector.LogEntries.First(e => e.RequestMessage.Path == "/v1/traces").RequestMessage;
        Assert.Equal("application/x-protobuf", traces.Headers!["Content-Type"].Single());
        Assert.Contains("pttm-hooks-otlp-test", System.Text.Encoding.UTF8.GetString(traces.BodyAsBytes!), StringComparison.Ordinal);
    }
}
