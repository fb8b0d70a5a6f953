using Hl7.Fhir.Model;
using PttmHooks.Clinical.Assessment;
using PttmHooks.SampleData;
using Xunit;

namespace PttmHooks.Clinical.Tests.Cases;

/// <summary>
/// The unrelated data of <see cref="NoiseGenerator"/> (PttmHooks.SampleData: the benchmarks' large charts and
/// <c>samples export</c>) is noise to the rule: the noise a case copy carries never changes any case's answer,
/// and the generator is deterministic for a seed.
/// </summary>
public sealed class NoiseTests
{
    private static readonly PttmRule Rule = new();

    public static TheoryData<string, string> AllCases() =>
        new([.. CaseFile.Names("cases").Select(n => ("cases", n)), .. CaseFile.Names("own-cases").Select(n => ("own-cases", n))]);

    [Theory]
    [MemberData(nameof(AllCases))]
    public void The_noise_of_a_case_copy_leaves_the_answer_as_it_was(string set, string name)
    {
        var file = CaseFile.Load(set, name);
        var bundle = file.Bundle();
        var before = Rule.Evaluate(PatientRecord.FromBundle(bundle), file.EvaluatedAt);
        for (var seed = 1; seed <= 3; seed++)
        {
            var noisy = (Bundle)bundle.DeepCopy();
            var noise = new NoiseGenerator(new Random(seed), file.EvaluatedAt, file.Context.PatientId).ForCaseCopy().ToList();
            Assert.True(noise.Count >= 10, $"{noise.Count} resources of noise");
            noisy.Entry.AddRange(noise.Select(r => new Bundle.EntryComponent { Resource = r }));
            var after = Rule.Evaluate(PatientRecord.FromBundle(noisy), file.EvaluatedAt);

            Assert.Equal((before.Recommendation, before.Suspicion, before.Indicator, before.Perfusion), (after.Recommendation, after.Suspicion, after.Indicator, after.Perfusion));
            Assert.Equal(before.Criteria.Select(c => (c.Id, c.State)), after.Criteria.Select(c => (c.Id, c.State)));
            Assert.Equal(before.EvidenceReferences().Order(StringComparer.Ordinal), after.EvidenceReferences().Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void A_chart_grown_with_the_realistic_mix_keeps_the_answer_of_the_benchmarks_seed_case()
    {
        var file = CaseFile.Load("cases", "seed004-breast-history-hypoxaemia-vq");
        var bundle = file.Bundle();
        var generator = new NoiseGenerator(new Random(42), file.EvaluatedAt, file.Context.PatientId);
        foreach (var (kind, count) in NoiseMix.Split(1_000, NoiseMix.Realistic))
        {
            bundle.Entry.AddRange(Enumerable.Range(0, count).Select(_ => new Bundle.EntryComponent { Resource = generator.Next(kind) }));
        }

        var before = Rule.Evaluate(file.Record(), file.EvaluatedAt);
        var after = Rule.Evaluate(PatientRecord.FromBundle(bundle), file.EvaluatedAt);
        Assert.Equal(Recommendation.WedgedPaCytology, before.Recommendation);
        Assert.Equal((before.Recommendation, before.Suspicion, before.Indicator), (after.Recommendation, after.Suspicion, after.Indicator));
        Assert.Equal(1_000 + file.Bundle().Entry.Count, bundle.Entry.Count);
    }

    [Fact]
    public void A_noise_patient_with_a_malignancy_meets_C1_and_one_without_does_not()
    {
        var now = new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
        var random = new Random(5);
        for (var i = 0; i < 20; i++)
        {
            var malignancy = i % 2 == 0;
            var chart = new NoiseGenerator(random, now, $"pt-{i}").Chart(malignancy).ToList();
            Assert.IsType<Patient>(chart[0]);
            Assert.All(chart.Skip(1), r => Assert.Equal($"Patient/pt-{i}", SubjectOf(r)));
            var assessment = Rule.Evaluate(PatientRecord.FromResources(chart), now);
            Assert.Equal(malignancy ? CriterionState.Met : CriterionState.NotMet, assessment[CriterionId.C1].State);
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_resources_and_every_id_is_unique()
    {
        static List<string> Make(int seed)
        {
            var generator = new NoiseGenerator(new Random(seed), new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), "p1", datedTexts: true);
            var resources = Enum.GetValues<NoiseKind>().SelectMany(k => Enumerable.Range(0, 30).Select(_ => generator.Next(k))).ToList();
            return [.. resources.Select(r => System.Text.Json.JsonSerializer.Serialize(r, CaseFile.FhirOptions))];
        }

        var first = Make(11);
        Assert.Equal(first, Make(11));
        Assert.NotEqual(first, Make(12));
        var ids = first.Select(j => System.Text.Json.JsonDocument.Parse(j).RootElement.GetProperty("id").GetString()).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    private static string? SubjectOf(Resource resource) => resource switch
    {
        Observation o => o.Subject?.Reference,
        Condition c => c.Subject?.Reference,
        DiagnosticReport d => d.Subject?.Reference,
        _ => null,
    };
}
