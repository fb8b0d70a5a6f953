using System.Net;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using PttmHooks.Clinical;
using PttmHooks.Clinical.Assessment;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Reading.Gathering;
using PttmHooks.Service.Cards;
using PttmHooks.Service.CdsHooks;

namespace PttmHooks.Benchmarks;

/// <summary>
/// One <c>patient-view</c> call, stage by stage, for hook requests whose prefetch holds 50, 300 and
/// 5,000 resources (seed004 grown with <see cref="HookRequests.PrefetchMix"/>, templates uncapped):
/// <list type="bullet">
/// <item><see cref="Parse"/>: the body's bytes to the <see cref="PatientRecord"/>: JSON document, hook
/// request checks, each prefetch value read by the Firely SDK and checked against its template and the
/// patient, the keys gathered.</item>
/// <item><see cref="Evaluate"/>: the rule on that record.</item>
/// <item><see cref="Compose"/>: the card, serialised to the response's JSON.</item>
/// <item><see cref="EndToEnd"/>: the request body posted to the service in process (ASP.NET Core's
/// TestServer: routing, endpoint, the whole handler, no sockets), the response body read back.</item>
/// </list>
/// Every stage's input is made in <see cref="Setup"/>; the dates are moved to the time of the run so
/// the service's real clock evaluates them as the case's.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchConfig))]
public class HookPipelineBenchmark
{
    private readonly PttmRule _rule = new();
    private WebApplicationFactory<global::Program> _service = null!;
    private HttpClient _client = null!;
    private CatalogEntry _entry = null!;
    private CardComposer _composer = null!;
    private RecordGatherer _gatherer = null!;
    private HookRequestBody _request = null!;
    private PatientRecord _record = null!;
    private PttmAssessment _assessment = null!;
    private DateTimeOffset _now;

    /// <summary>Resources in the request's prefetch (about).</summary>
    [Params(50, 300, 5_000)]
    public int Prefetched { get; set; }

    /// <summary>Builds the request, the service, and each stage's input; checks the card.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _now = TimeProvider.System.GetUtcNow();
        var seed = Charts.Load(Charts.SeedCase);
        var chart = HookRequests.PrefetchChart(seed, Prefetched);
        Charts.AssertSameAnswer(_rule, seed, chart);
        _request = HookRequests.For(chart, _now);
        Console.WriteLine($"// {_request}");

        _service = new WebApplicationFactory<global::Program>().WithWebHostBuilder(web =>
        {
            web.UseSolutionRelativeContentRoot("src/PttmHooks.Service");
            web.UseEnvironment("Development");
            web.UseSetting("Logging:LogLevel:Default", "Warning");
        });
        _client = _service.CreateClient();
        var services = _service.Services;
        services.GetRequiredService<CdsCatalog>().TryGet("pttm-screening", out _entry, out _);
        _composer = services.GetRequiredService<CardComposer>();
        _gatherer = services.GetRequiredService<RecordGatherer>();

        _record = Parse();
        _assessment = Evaluate();
        if (_assessment.Recommendation != seed.Expected)
        {
            throw new InvalidOperationException($"{chart.Name} through prefetch: {_assessment.Recommendation}, expected {seed.Expected}.");
        }

        var answer = EndToEnd();
        if (!answer.Contains("wedged pulmonary artery cytology", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{chart.Name} end to end: no cytology card in {answer[..Math.Min(answer.Length, 300)]}");
        }
    }

    /// <summary>Stops the service.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _service.Dispose();
    }

    /// <summary>Request bytes to the patient's record.</summary>
    [Benchmark]
    public PatientRecord Parse()
    {
        using var document = JsonDocument.Parse(_request.Body);
        var (request, issues) = HookRequestParser.Parse(document.RootElement, "patient-view");
        if (request is null)
        {
            throw new InvalidOperationException(issues[0].Message);
        }

        var (prefetch, prefetchIssues) = PrefetchReader.Read(request, _entry.Templates);
        if (prefetch is null)
        {
            throw new InvalidOperationException(prefetchIssues[0].Message);
        }

        var gathered = _gatherer.GatherAsync(request, prefetch, CancellationToken.None).GetAwaiter().GetResult();
        return PatientRecord.FromResources(gathered.Resources);
    }

    /// <summary>The rule on the record.</summary>
    [Benchmark]
    public PttmAssessment Evaluate() => _rule.Evaluate(_record, _now);

    /// <summary>The card and the response JSON.</summary>
    [Benchmark]
    public byte[] Compose()
    {
        var cards = _composer.Compose(_assessment, new CardContext(_request.PatientId, null, new Uri("https://cds.example.org/docs/pttm-criteria.md"), []));
        return JsonSerializer.SerializeToUtf8Bytes(new CdsResponse(cards), CdsJson.Wire);
    }

    /// <summary>The request through the service in process.</summary>
    [Benchmark]
    public string EndToEnd()
    {
        using var content = new ByteArrayContent(_request.Body);
        content.Headers.ContentType = new("application/json");
        using var response = _client.PostAsync(new Uri("/cds-services/pttm-screening", UriKind.Relative), content).GetAwaiter().GetResult();
        var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        return response.StatusCode == HttpStatusCode.OK ? text : throw new InvalidOperationException($"{(int)response.StatusCode}: {text}");
    }
}
