using System.Text.Json;
using BenchmarkDotNet.Attributes;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Reading.Gathering;

namespace PttmHooks.Benchmarks;

/// <summary>
/// Issue 20: <see cref="PrefetchReader.Read(HookRequest, IReadOnlyList{PrefetchTemplate}, PrefetchParsing)"/>
/// with the Firely SDK against the lean reader, for the seed004 request (13 resources), a typical
/// chart (300) and a large one (5,000): the request's JSON document is parsed once in the setup, as
/// the service has it when it reads the prefetch.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchConfig))]
public class PrefetchReaderBenchmark
{
    private JsonDocument? _document;
    private HookRequest? _request;
    private IReadOnlyList<PrefetchTemplate> _templates = [];

    /// <summary>Resources in the request's prefetch (about; 13 is the seed case alone).</summary>
    [Params(13, Charts.TypicalSize, Charts.LargeSize)]
    public int Prefetched { get; set; }

    /// <summary>Builds the request, parses it, and checks that every value takes the lean path.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var seed = Charts.Load(Charts.SeedCase);
        var body = HookRequests.For(HookRequests.PrefetchChart(seed, Prefetched), TimeProvider.System.GetUtcNow());
        _document = JsonDocument.Parse(body.Body);
        _request = HookRequestParser.Parse(_document.RootElement, "patient-view").Request
            ?? throw new InvalidOperationException("The benchmark's request is not a hook request.");
        _templates = [.. HookRequests.Templates(uncapped: true).Select(t => PrefetchTemplate.Parse(t.Key, t.Value))];
        var values = _request.Prefetch.Values.Where(v => v.ValueKind == JsonValueKind.Object).ToList();
        var lean = values.Count(v => LeanReader.TryRead(v) is not null);
        if (lean != values.Count)
        {
            throw new InvalidOperationException($"Only {lean} of {values.Count} prefetch values take the lean path.");
        }

        Console.WriteLine($"// {body}; {values.Count} prefetch values, all read lean");
    }

    /// <summary>Every value read by the Firely SDK and settled (the path before issue 20).</summary>
    [Benchmark(Baseline = true)]
    public int Firely() => Resources(PrefetchReader.Read(_request!, _templates, PrefetchParsing.Firely).Set);

    /// <summary>Every value read by the lean reader (the default).</summary>
    [Benchmark]
    public int Lean() => Resources(PrefetchReader.Read(_request!, _templates, PrefetchParsing.Lean).Set);

    /// <summary>Frees the request's document.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _document?.Dispose();
        _document = null;
    }

    private static int Resources(PrefetchSet? set) => set?.Keys.Sum(k => k.Resources.Count) ?? throw new InvalidOperationException("The prefetch was refused.");
}
