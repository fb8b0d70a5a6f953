using PttmHooks.Clinical.Assessment;
using Xunit;
using static PttmHooks.Clinical.Tests.Scenarios;

namespace PttmHooks.Clinical.Tests.Units;

/// <summary>Values in any accepted unit decide as their equivalent in the rule's unit; unconvertible ones decide nothing.</summary>
public sealed class UnitsInTheRuleTests
{
    [Fact]
    public void Spo2_written_as_a_fraction_is_read_in_percent()
    {
        var chart = Cancer().WithSpO2(0.85m, daysAgo: 1, unit: "1");
        var a = chart.Evaluate();
        State(a, CriterionId.C2, CriterionState.Met);
        var e = Cited(a, CriterionId.C2, chart.Last);
        Assert.Equal(85, e.Value);
        Assert.Equal("%", e.Unit);
    }

    [Fact]
    public void Spo2_fraction_of_0_849_is_critical_and_0_85_is_not()
    {
        var critical = Suspected().WithSpO2(0.849m, daysAgo: 1, unit: "1").Evaluate();
        Decision(critical, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Critical);
        var warning = Suspected().WithSpO2(0.85m, daysAgo: 1, unit: "1").Evaluate();
        Decision(warning, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Warning);
    }

    [Fact]
    public void Spo2_in_an_unconvertible_unit_is_context_and_decides_nothing()
    {
        var chart = Cancer().WithSpO2(85, daysAgo: 1, unit: "mg");
        var a = chart.Evaluate();
        State(a, CriterionId.C2, CriterionState.Unknown);
        var e = Cited(a, CriterionId.C2, chart.Last);
        Assert.Equal(EvidenceRole.Context, e.Role);
        Assert.Null(e.Value);
        Assert.Equal("85 mg", e.ValueAsWritten);
        Assert.Contains("decides nothing", e.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Unconvertible_value_does_not_hide_a_convertible_one()
    {
        var a = Cancer().WithSpO2(85, daysAgo: 1, unit: "mg").WithSpO2(96, daysAgo: 1).Evaluate();
        State(a, CriterionId.C2, CriterionState.NotMet);
    }

    [Fact]
    public void Rvsp_in_an_unconvertible_unit_is_context_for_c3()
    {
        var chart = Cancer().WithEchoRvsp(54, daysAgo: 2, unit: "m/s");
        var a = chart.Evaluate();
        State(a, CriterionId.C3, CriterionState.Unknown);
        Assert.Equal(EvidenceRole.Context, Cited(a, CriterionId.C3, chart.Last).Role);
    }

    [Fact]
    public void Platelets_in_an_unconvertible_unit_are_context_for_c6()
    {
        var chart = Cancer().WithPlatelets(90, daysAgo: 2, unit: "mg");
        var a = chart.Evaluate();
        State(a, CriterionId.C6, CriterionState.Unknown);
        Assert.Equal(EvidenceRole.Context, Cited(a, CriterionId.C6, chart.Last).Role);
    }

    [Theory]
    [InlineData(6.6, "kPa", Indicator.Critical)] // 49.5 mmHg
    [InlineData(6.7, "kPa", Indicator.Warning)] // 50.3 mmHg
    [InlineData(49.9, "mm[Hg]", Indicator.Critical)]
    [InlineData(50, "mm[Hg]", Indicator.Warning)]
    public void Pao2_in_kpa_decides_the_indicator_like_its_mmhg_equivalent(double value, string unit, Indicator expected)
    {
        var a = Suspected().WithPaO2((decimal)value, daysAgo: 1, unit: unit).Evaluate();
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, expected);
    }
}
