using BenchmarkDotNet.Attributes;
using Hl7.Fhir.Model;
using PttmHooks.Clinical;
using PttmHooks.Clinical.Assessment;
using PttmHooks.SampleData;

namespace PttmHooks.Benchmarks;

/// <summary>
/// Where the typical chart's time goes. The seed case (13 resources) is the baseline; each variant adds 300
/// resources of one kind, so (variant − baseline) / 300 is the cost of one such resource. Beside them: the
/// rule's fixed cost (an empty record), the cost of building the record (FromBundle) and of parsing the
/// chart's JSON, and the typical chart once the rule's text cache is full (the steady state of a long-running
/// service that has seen more than the cache's limit of distinct texts).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchConfig))]
public class BreakdownBenchmark
{
    private const int Added = 300;

    private readonly PttmRule _rule = new();
    private Chart _seed = null!;
    private Chart _typical = null!;
    private string _typicalJson = "";
    private Chart _spo2 = null!;
    private Chart _otherVitals = null!;
    private Chart _labs = null!;
    private Chart _conditions = null!;
    private Chart _reports = null!;
    private Chart _datedTexts = null!;

    [GlobalSetup]
    public void Setup()
    {
        _seed = Charts.Load(Charts.SeedCase);
        Charts.AssertExpected(_rule, _seed);
        _typical = Charts.Grow(_seed, Charts.TypicalSize);
        _typicalJson = Charts.ToJson(_typical.Bundle);
        _spo2 = Only(NoiseKind.SpO2);
        _otherVitals = Only(NoiseKind.HeartRate, NoiseKind.RespiratoryRate);
        _labs = Only(NoiseKind.Sodium, NoiseKind.Creatinine);
        _conditions = Only(NoiseKind.Condition);
        _reports = Only(NoiseKind.Report);
        _datedTexts = Charts.WithNoise(_seed, Charts.TypicalSize - _seed.ResourceCount, Charts.RealisticMix, "seed004+dated-texts", datedTexts: true);
        foreach (var chart in new[] { _typical, _spo2, _otherVitals, _labs, _conditions, _reports, _datedTexts })
        {
            Charts.AssertSameAnswer(_rule, _seed, chart);
        }
    }

    /// <summary>
    /// Fills the rule's text cache (before any chart is read) with texts no chart uses, so that every text of
    /// every chart is classified afresh on each evaluation.
    /// </summary>
    [GlobalSetup(Target = nameof(DatedTexts_TextCacheFull))]
    public void SetupFullCache()
    {
        const int Fill = 20_000; // above Knowledge's TextCacheLimit (16,384)
        var fillers = new List<Resource>(Fill);
        for (var i = 0; i < Fill; i++)
        {
            fillers.Add(new Condition { Id = $"filler-{i}", Code = new CodeableConcept { Text = $"Unrelated finding number {i}" } });
        }

        _rule.Evaluate(PatientRecord.FromResources(fillers), DateTimeOffset.UnixEpoch);
        Setup();
    }

    [Benchmark(Baseline = true)]
    public PttmAssessment Seed004_13Resources() => _rule.Evaluate(_seed.Record, _seed.Now);

    [Benchmark]
    public PttmAssessment EmptyRecord() => _rule.Evaluate(PatientRecord.Empty, _seed.Now);

    [Benchmark]
    public PttmAssessment Plus300_SpO2() => _rule.Evaluate(_spo2.Record, _spo2.Now);

    [Benchmark]
    public PttmAssessment Plus300_HeartAndRespRate() => _rule.Evaluate(_otherVitals.Record, _otherVitals.Now);

    [Benchmark]
    public PttmAssessment Plus300_SodiumCreatinine() => _rule.Evaluate(_labs.Record, _labs.Now);

    [Benchmark]
    public PttmAssessment Plus300_Conditions() => _rule.Evaluate(_conditions.Record, _conditions.Now);

    [Benchmark]
    public PttmAssessment Plus300_Reports() => _rule.Evaluate(_reports.Record, _reports.Now);

    [Benchmark]
    public PttmAssessment Typical_Evaluate() => _rule.Evaluate(_typical.Record, _typical.Now);

    /// <summary>The typical chart with dated (distinct) texts, the rule's text cache full: nothing is cached.</summary>
    [Benchmark]
    public PttmAssessment DatedTexts_TextCacheFull() => _rule.Evaluate(_datedTexts.Record, _datedTexts.Now);

    [Benchmark]
    public PatientRecord Typical_FromBundle() => PatientRecord.FromBundle(_typical.Bundle);

    [Benchmark]
    public Bundle Typical_ParseJson() => Charts.ParseBundle(_typicalJson);

    private Chart Only(params NoiseKind[] kinds) =>
        Charts.WithNoise(_seed, Added, [.. kinds.Select(k => (k, 1))], $"seed004+{Added} {string.Join('+', kinds)}");
}
