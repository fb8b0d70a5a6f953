using System.Globalization;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using PttmHooks.Clinical;
using PttmHooks.Clinical.Assessment;
using PttmHooks.SampleData;

namespace PttmHooks.Benchmarks;

/// <summary>A chart ready to evaluate: the Bundle, the record read from it, "now", and what the rule must recommend.</summary>
public sealed record Chart(string Name, Bundle Bundle, PatientRecord Record, DateTimeOffset Now, Recommendation Expected, string PatientId)
{
    /// <summary>Resources in the chart (Bundle entries).</summary>
    public int ResourceCount => Bundle.Entry.Count;

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({ResourceCount} resources)";
}

/// <summary>
/// The charts the benchmarks evaluate: the shared test patients of <c>samples/cases</c> (copied to
/// <c>cases/</c> beside the binary), and larger, realistic charts generated from one of them by adding years
/// of unrelated data that must not change the rule's answer.
/// </summary>
public static class Charts
{
    /// <summary>The case the large charts grow from.</summary>
    public const string SeedCase = "seed004-breast-history-hypoxaemia-vq";

    /// <summary>The number of shared cases (a constant so that it can be an OperationsPerInvoke).</summary>
    public const int SharedCaseCount = 18;

    /// <summary>A typical chart: about 300 resources.</summary>
    public const int TypicalSize = 300;

    /// <summary>A large chart: about 5,000 resources.</summary>
    public const int LargeSize = 5_000;

    /// <summary>The noise of a real chart: mostly vital signs, then labs, reports and a problem list (<see cref="NoiseMix.Realistic"/>).</summary>
    public static IReadOnlyList<(NoiseKind Kind, int Weight)> RealisticMix => NoiseMix.Realistic;

    /// <summary>The Firely System.Text.Json options for FHIR R4.</summary>
    public static JsonSerializerOptions FhirOptions { get; } = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector);

    /// <summary>The folder the shared cases are copied to.</summary>
    public static string Root => Path.Combine(AppContext.BaseDirectory, "cases");

    /// <summary>The names of the shared cases, sorted.</summary>
    public static IReadOnlyList<string> CaseNames() =>
        [.. Directory.GetDirectories(Root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    /// <summary>Every shared case; throws unless there are <see cref="SharedCaseCount"/> of them.</summary>
    public static IReadOnlyList<Chart> LoadAll()
    {
        var charts = CaseNames().Select(Load).ToList();
        if (charts.Count != SharedCaseCount)
        {
            throw new InvalidOperationException($"Expected {SharedCaseCount} shared cases in {Root}, found {charts.Count}: update Charts.SharedCaseCount.");
        }

        return charts;
    }

    /// <summary>Loads one shared case: bundle.json as a Bundle and a PatientRecord, case.json for "now" and the expected recommendation.</summary>
    public static Chart Load(string name)
    {
        var folder = Path.Combine(Root, name);
        using var caseJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "case.json")));
        var root = caseJson.RootElement;
        var now = root.GetProperty("evaluatedAt").GetDateTimeOffset();
        var expected = ParseRecommendation(root.GetProperty("expected").GetProperty("recommendation").GetString());
        var patientId = root.GetProperty("context").GetProperty("patientId").GetString()
            ?? throw new InvalidOperationException($"{name}: case.json has no context.patientId.");
        var bundle = ParseBundle(File.ReadAllText(Path.Combine(folder, "bundle.json")));
        return new Chart(name, bundle, PatientRecord.FromBundle(bundle), now, expected, patientId);
    }

    /// <summary>Parses a FHIR JSON Bundle.</summary>
    public static Bundle ParseBundle(string json) =>
        JsonSerializer.Deserialize<Bundle>(json, FhirOptions) ?? throw new InvalidOperationException("The bundle is empty.");

    /// <summary>Serialises a Bundle to FHIR JSON.</summary>
    public static string ToJson(Bundle bundle) => JsonSerializer.Serialize(bundle, FhirOptions);

    /// <summary>The seed case grown to about <paramref name="size"/> resources with the <see cref="RealisticMix"/>.</summary>
    public static Chart Grow(Chart seed, int size, int randomSeed = 42)
    {
        ArgumentNullException.ThrowIfNull(seed);
        return WithNoise(seed, size - seed.ResourceCount, RealisticMix, $"{seed.Name}+noise", randomSeed);
    }

    /// <summary>
    /// The seed case with <paramref name="count"/> unrelated resources added by <see cref="NoiseGenerator"/>,
    /// split between the kinds by <paramref name="mix"/> weights. Every resource has a unique id and refers to
    /// the patient; dates are relative to the case's "now": spread over the 3 years before it, a fifth of them
    /// in the last 90 days (the rule's look-back window). Deterministic for a given <paramref name="randomSeed"/>.
    /// With <paramref name="datedTexts"/> each Condition and report text names its date, so nearly every text is new.
    /// </summary>
    public static Chart WithNoise(Chart seed, int count, IReadOnlyList<(NoiseKind Kind, int Weight)> mix, string name, int randomSeed = 42, bool datedTexts = false)
    {
        ArgumentNullException.ThrowIfNull(seed);
        ArgumentNullException.ThrowIfNull(mix);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(randomSeed);
        var generator = new NoiseGenerator(random, seed.Now, seed.PatientId, datedTexts);
        var bundle = (Bundle)seed.Bundle.DeepCopy();
        foreach (var (kind, n) in NoiseMix.Split(count, mix))
        {
            for (var i = 0; i < n; i++)
            {
                var resource = generator.Next(kind);
                bundle.Entry.Add(new Bundle.EntryComponent
                {
                    FullUrl = "urn:uuid:" + generator.NewGuid().ToString("D", CultureInfo.InvariantCulture),
                    Resource = resource,
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"{resource.TypeName}/{resource.Id}" },
                });
            }
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var resource in bundle.Entry.Select(e => e.Resource).OfType<Resource>())
        {
            var reference = $"{resource.TypeName}/{resource.Id}";
            if (!ids.Add(reference))
            {
                throw new InvalidOperationException($"{name}: duplicate resource {reference}.");
            }
        }

        return seed with { Name = name, Bundle = bundle, Record = PatientRecord.FromBundle(bundle) };
    }

    /// <summary>
    /// Evaluates both charts and throws unless the generated one gets the original's recommendation,
    /// suspicion and indicator: the noise must be noise.
    /// </summary>
    public static void AssertSameAnswer(PttmRule rule, Chart original, Chart generated)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(generated);
        var expected = rule.Evaluate(original.Record, original.Now);
        var actual = rule.Evaluate(generated.Record, generated.Now);
        if (expected.Recommendation != original.Expected)
        {
            throw new InvalidOperationException($"{original.Name}: the rule recommends {expected.Recommendation}, case.json expects {original.Expected}.");
        }

        if (actual.Recommendation != expected.Recommendation || actual.Suspicion != expected.Suspicion || actual.Indicator != expected.Indicator)
        {
            throw new InvalidOperationException(
                $"{generated}: the rule answers {actual.Recommendation}/{actual.Suspicion}/{actual.Indicator}, " +
                $"the original {original.Name} {expected.Recommendation}/{expected.Suspicion}/{expected.Indicator}: the generated noise changed the answer.");
        }
    }

    /// <summary>Evaluates a shared case and throws unless the rule gives the recommendation case.json expects.</summary>
    public static void AssertExpected(PttmRule rule, Chart chart)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(chart);
        var actual = rule.Evaluate(chart.Record, chart.Now).Recommendation;
        if (actual != chart.Expected)
        {
            throw new InvalidOperationException($"{chart.Name}: the rule recommends {actual}, case.json expects {chart.Expected}.");
        }
    }

    private static Recommendation ParseRecommendation(string? text) => text switch
    {
        "wedged-pa-cytology" => Recommendation.WedgedPaCytology,
        "lung-perfusion-scan" => Recommendation.LungPerfusionScan,
        "none" => Recommendation.None,
        _ => throw new InvalidOperationException($"Unknown recommendation '{text}' in case.json."),
    };
}
