using BenchmarkDotNet.Attributes;
using PttmHooks.Clinical;
using PttmHooks.Clinical.Assessment;

namespace PttmHooks.Benchmarks;

/// <summary>
/// <see cref="PttmRule.Evaluate(PatientRecord, DateTimeOffset)"/> on the shared cases (all 18 in a loop,
/// reported per case), on a typical chart (~300 resources) and on a large one (~5,000). Records and
/// "now" are built in <see cref="Setup"/>: only Evaluate is measured.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchConfig))]
public class EvaluateBenchmark
{
    private readonly PttmRule _rule = new();
    private Chart[] _cases = [];
    private Chart _typical = null!;
    private Chart _large = null!;

    [GlobalSetup]
    public void Setup()
    {
        _cases = [.. Charts.LoadAll()];
        foreach (var chart in _cases)
        {
            Charts.AssertExpected(_rule, chart);
        }

        var seed = _cases.Single(c => c.Name == Charts.SeedCase);
        _typical = Charts.Grow(seed, Charts.TypicalSize);
        _large = Charts.Grow(seed, Charts.LargeSize);
        Charts.AssertSameAnswer(_rule, seed, _typical);
        Charts.AssertSameAnswer(_rule, seed, _large);
        Console.WriteLine($"// Charts: {_cases.Length} shared cases ({_cases.Min(c => c.ResourceCount)}–{_cases.Max(c => c.ResourceCount)} resources); typical {_typical}; large {_large}");
    }

    /// <summary>All shared cases, one after the other; the time and allocations reported are per case.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Charts.SharedCaseCount)]
    public int SharedCases_PerCase()
    {
        var cards = 0;
        foreach (var chart in _cases)
        {
            cards += _rule.Evaluate(chart.Record, chart.Now).Recommendation == Recommendation.None ? 0 : 1;
        }

        return cards;
    }

    /// <summary>seed004 grown to ~300 resources: the target chart (≤ 100 µs, ≤ 100 KB).</summary>
    [Benchmark]
    public PttmAssessment TypicalChart_300() => _rule.Evaluate(_typical.Record, _typical.Now);

    /// <summary>seed004 grown to ~5,000 resources.</summary>
    [Benchmark]
    public PttmAssessment LargeChart_5000() => _rule.Evaluate(_large.Record, _large.Now);
}

/// <summary>Evaluate on each shared case alone.</summary>
[MemoryDiagnoser]
[Config(typeof(BenchConfig))]
public class SharedCaseBenchmark
{
    private readonly PttmRule _rule = new();
    private Chart _chart = null!;

    /// <summary>The case folder names.</summary>
    public static IEnumerable<string> CaseNames => Charts.CaseNames();

    [ParamsSource(nameof(CaseNames))]
    public string Case { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _chart = Charts.Load(Case);
        Charts.AssertExpected(_rule, _chart);
    }

    [Benchmark]
    public PttmAssessment Evaluate() => _rule.Evaluate(_chart.Record, _chart.Now);
}
