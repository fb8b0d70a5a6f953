using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace PttmHooks.Benchmarks;

/// <summary>
/// The FHIR fallback's parallelism: a hook call with no prefetch against a FHIR server (WireMock.Net
/// on loopback) that answers every query after <see cref="FhirDelayMs"/>. The service asks its ten
/// queries (nine searches and the Patient read) at once, so a call should take about one delay plus
/// the service's own time, not ten delays; <see cref="AttachmentCall"/> adds three reports whose text
/// is behind Binary urls, read after the searches, all three at once. In process (the service through WebApplicationFactory's
/// in-memory server, the FHIR server over real HTTP), Monitoring strategy: each call is hundreds of ms.
/// </summary>
[Config(typeof(FallbackBenchmark.Settings))]
public class FallbackBenchmark
{
    /// <summary>
    /// In process (WebApplicationFactory finds the service's content root from this binary), one
    /// call per iteration.
    /// </summary>
    public sealed class Settings : BenchConfig
    {
        /// <summary>Creates the settings.</summary>
        public Settings() => AddJob(Job.Default
            .WithStrategy(RunStrategy.Monitoring)
            .WithWarmupCount(3)
            .WithIterationCount(20)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .WithToolchain(InProcessEmitToolchain.Instance));
    }

    private WireMockServer _fhir = null!;
    private WebApplicationFactory<global::Program> _service = null!;
    private HttpClient _client = null!;
    private string _body = null!;
    private string _attachmentBody = null!;

    /// <summary>How long the FHIR server takes to answer each query.</summary>
    [Params(0, 200)]
    public int FhirDelayMs { get; set; }

    /// <summary>Starts the FHIR server and the service.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _fhir = WireMockServer.Start();
        var answer = Response.Create()
            .WithStatusCode(200)
            .WithHeader("Content-Type", "application/fhir+json")
            .WithBody("""{"resourceType":"Bundle","type":"searchset","total":0}""");
        _fhir.Given(Request.Create().UsingGet()).AtPriority(100).RespondWith(FhirDelayMs > 0 ? answer.WithDelay(TimeSpan.FromMilliseconds(FhirDelayMs)) : answer);

        // For AttachmentCall: three reports whose text is behind Binary urls, and the Binaries.
        var reports = new JsonArray();
        for (var i = 1; i <= 3; i++)
        {
            reports.Add(new JsonObject
            {
                ["resource"] = new JsonObject
                {
                    ["resourceType"] = "DiagnosticReport",
                    ["id"] = $"bench-report-{i}",
                    ["status"] = "final",
                    ["code"] = new JsonObject { ["text"] = "CT angiography chest" },
                    ["subject"] = new JsonObject { ["reference"] = "Patient/bench-attachments" },
                    ["presentedForm"] = new JsonArray(new JsonObject { ["contentType"] = "text/plain", ["url"] = $"Binary/bench-{i}" }),
                },
            });
        }

        var withReports = Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/fhir+json")
            .WithBody(new JsonObject { ["resourceType"] = "Bundle", ["type"] = "searchset", ["entry"] = reports }.ToJsonString());
        _fhir.Given(Request.Create().UsingGet().WithPath("/fhir/DiagnosticReport").WithParam("patient", "bench-attachments")).AtPriority(10)
            .RespondWith(FhirDelayMs > 0 ? withReports.WithDelay(TimeSpan.FromMilliseconds(FhirDelayMs)) : withReports);
        var text = Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/plain").WithBody("CT pulmonary angiogram: no pulmonary embolism.");
        _fhir.Given(Request.Create().UsingGet().WithPath(new WireMock.Matchers.WildcardMatcher("/fhir/Binary/*"))).AtPriority(10)
            .RespondWith(FhirDelayMs > 0 ? text.WithDelay(TimeSpan.FromMilliseconds(FhirDelayMs)) : text);
        var fhirBase = _fhir.Url + "/fhir";
        _service = new WebApplicationFactory<global::Program>().WithWebHostBuilder(web =>
        {
            web.UseSolutionRelativeContentRoot("src/PttmHooks.Service");
            web.UseEnvironment("Development");
            web.UseSetting("Cds:FhirServers:0", fhirBase);
            web.UseSetting("Logging:LogLevel:Default", "Warning");
        });
        _client = _service.CreateClient();
        _body = new JsonObject
        {
            ["hookInstance"] = Guid.NewGuid().ToString("D"),
            ["hook"] = "patient-view",
            ["fhirServer"] = fhirBase,
            ["fhirAuthorization"] = new JsonObject
            {
                ["access_token"] = "bench-token",
                ["token_type"] = "Bearer",
                ["expires_in"] = 300,
                ["scope"] = "patient/*.read",
                ["subject"] = "pttm-hooks",
            },
            ["context"] = new JsonObject { ["userId"] = "Practitioner/bench", ["patientId"] = "bench-patient" },
        }.ToJsonString();
        _attachmentBody = _body.Replace("bench-patient", "bench-attachments", StringComparison.Ordinal);
        if (NoPrefetchCall() != "{\"cards\":[]}")
        {
            throw new InvalidOperationException("the fallback call did not answer {\"cards\":[]}");
        }
    }

    /// <summary>Stops both.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _service.Dispose();
        _fhir.Stop();
        _fhir.Dispose();
    }

    /// <summary>One patient-view call with no prefetch: every key fetched from the FHIR server.</summary>
    [Benchmark]
    public string NoPrefetchCall() => Post(_body);

    /// <summary>
    /// One call with no prefetch whose three reports have their text behind Binary urls: the
    /// searches, then the three attachments at once (about two delays, not four).
    /// </summary>
    [Benchmark]
    public string AttachmentCall() => Post(_attachmentBody);

    private string Post(string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = _client.PostAsync(new Uri("/cds-services/pttm-screening", UriKind.Relative), content).GetAwaiter().GetResult();
        var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        return response.StatusCode == HttpStatusCode.OK ? text : throw new InvalidOperationException($"{(int)response.StatusCode}: {text}");
    }
}
