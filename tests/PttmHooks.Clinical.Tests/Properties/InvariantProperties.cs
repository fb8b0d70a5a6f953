using FsCheck.Xunit;
using Hl7.Fhir.Model;
using Xunit;

namespace PttmHooks.Clinical.Tests.Properties;

/// <summary>Invariants of the rule over the shared cases (samples/cases), with FsCheck.</summary>
public sealed class InvariantProperties
{
    [Property(Arbitrary = [typeof(ChartArbitraries)], MaxTest = 150)]
    public void Entered_in_error_resources_never_change_the_result(WithErrors c)
    {
        var before = Outcome.Evaluate(c.Chart.Record(), c.Chart.Now);
        var record = c.Chart.Record();
        var after = Outcome.Evaluate(PatientRecord.FromResources(record.Resources().Concat(c.Errors)), c.Chart.Now);

        Assert.Equal(Outcome.Decision(before), Outcome.Decision(after));
        Assert.Equal(Outcome.Evidence(before), Outcome.Evidence(after));
        var cited = after.EvidenceReferences();
        foreach (var error in c.Errors)
        {
            Assert.DoesNotContain(error.TypeName + "/" + error.Id, cited);
        }
    }

    [Property(Arbitrary = [typeof(ChartArbitraries)], MaxTest = 150)]
    public void Writing_a_value_in_another_unit_never_changes_the_result(Reexpressed c)
    {
        var baseline = Reexpress.WithProbes(c.Chart.Record(), c.Probes, c.Chart.Now);
        var rewritten = Reexpress.Apply(Reexpress.WithProbes(c.Chart.Record(), c.Probes, c.Chart.Now), c.Plan);
        var before = Outcome.Evaluate(baseline, c.Chart.Now);
        var after = Outcome.Evaluate(rewritten, c.Chart.Now);

        Assert.Equal(Outcome.Decision(before), Outcome.Decision(after));
        Assert.Equal(Outcome.Evidence(before), Outcome.Evidence(after));
    }

    [Property(Arbitrary = [typeof(ChartArbitraries)], MaxTest = 60)]
    public void Evaluation_is_deterministic(Shuffled c)
    {
        var first = Outcome.Evaluate(c.Chart.Record(), c.Chart.Now);
        var second = Outcome.Evaluate(c.Chart.Record(), c.Chart.Now);
        Assert.Equal(Outcome.Full(first), Outcome.Full(second));
    }

    [Property(Arbitrary = [typeof(ChartArbitraries)], MaxTest = 150)]
    public void The_order_of_resources_in_the_record_does_not_matter(Shuffled c)
    {
        var random = new Random(c.Seed);
        var record = c.Chart.Record();
        var resources = record.Resources().ToArray();
        random.Shuffle(resources);
        var shuffled = PatientRecord.FromResources(resources);

        var before = Outcome.Evaluate(c.Chart.Record(), c.Chart.Now);
        var after = Outcome.Evaluate(shuffled, c.Chart.Now);
        Assert.Equal(Outcome.Unordered(before), Outcome.Unordered(after));
    }

    [Fact]
    public void Unit_rewrites_really_change_the_chart()
    {
        // Guards the property above against a rewrite that silently does nothing.
        var chart = SharedChart.All.Single(c => c.Name == "seed004-breast-history-hypoxaemia-vq");
        var record = Reexpress.Apply(chart.Record(), new UnitPlan("fraction", "mm[Hg]", "/mm3", "ng/mL", "mmHg text"));
        var spo2 = record.Observations.Where(o => o.Code!.Coding[0].Code == "59408-5").Select(o => Assert.IsType<Quantity>(o.Value)).ToList();
        Assert.All(spo2, q => Assert.Equal("1", q.Code));
        Assert.Contains(spo2, q => q.Value == 0.82m);
        var pao2 = Assert.IsType<Quantity>(record.Observations.Single(o => o.Code!.Coding[0].Code == "2703-7").Value);
        Assert.Equal("mm[Hg]", pao2.Code);
        Assert.InRange(pao2.Value!.Value, 63.0m, 63.01m);
    }
}
