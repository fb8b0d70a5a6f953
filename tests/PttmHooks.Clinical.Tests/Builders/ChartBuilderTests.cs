using Hl7.Fhir.Model;
using PttmHooks.Clinical.Assessment;
using Xunit;

// In the root test namespace, not ".Builders": inside PttmHooks.Clinical.Tests.*, the name "Chart" would
// otherwise resolve to the library's namespace PttmHooks.Clinical.Chart.
namespace PttmHooks.Clinical.Tests;

public sealed class ChartBuilderTests
{
    [Fact]
    public void Builder_creates_identified_coded_dated_resources()
    {
        var chart = Chart.For("p1", born: 1970).WithSolidCancer("C50.912").WithSpO2(85, daysAgo: 1)
            .WithCtpa("No evidence of pulmonary embolism.", daysAgo: 3).WithEchoRvsp(54, daysAgo: 2)
            .WithPerfusion("Multiple small segmental perfusion defects.", daysAgo: 1);
        var record = chart.Build();

        Assert.Equal("1970-01-01", record.Patient!.BirthDate);
        var cancer = Assert.Single(record.Conditions);
        Assert.Equal("p1-cond1", cancer.Id);
        Assert.Equal("C50.912", cancer.Code!.Coding[0].Code);
        Assert.Equal("Patient/p1", cancer.Subject!.Reference);
        Assert.Equal(2, record.Observations.Count);
        Assert.All(record.Observations, o => Assert.Equal(ObservationStatus.Final, o.Status));
        var spo2 = record.Observations[0];
        Assert.Equal("59408-5", spo2.Code!.Coding[0].Code);
        Assert.Equal(85m, Assert.IsType<Quantity>(spo2.Value).Value);
        Assert.Equal(Chart.DefaultNow.AddDays(-1), Assert.IsType<FhirDateTime>(spo2.Effective).ToDateTimeOffset(TimeSpan.Zero));
        Assert.Equal(2, record.Reports.Count);
        Assert.Equal("DiagnosticReport/p1-rep5", chart.Last);
    }

    [Fact]
    public void Suspected_scenario_is_a_warning_card_for_a_perfusion_scan()
    {
        var a = Scenarios.Suspected().Evaluate();
        Scenarios.Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Warning);
    }

    [Fact]
    public void Dates_count_back_from_the_time_set_with_at()
    {
        var now = new DateTimeOffset(2030, 3, 1, 8, 0, 0, TimeSpan.Zero);
        var chart = Chart.For("p2").At(now).WithSolidCancer().WithSpO2(85, daysAgo: TimeSpan.FromHours(6));
        var spo2 = chart.Build().Observations.Single();
        Assert.Equal(now.AddHours(-6), Assert.IsType<FhirDateTime>(spo2.Effective).ToDateTimeOffset(TimeSpan.Zero));
        Assert.Equal(CriterionState.Met, chart.Evaluate()[CriterionId.C2].State);
        Assert.Equal(CriterionState.Unknown, new PttmRule().Evaluate(chart.Build(), now.AddDays(100))[CriterionId.C2].State);
    }
}
