using PttmHooks.Clinical.Assessment;
using Xunit;
using static PttmHooks.Clinical.Tests.Scenarios;

namespace PttmHooks.Clinical.Tests.DecisionTable;

/// <summary>
/// The card's indicator: "possible" is always info; "suspected" is critical with SpO2 &lt; 85 %, PaO2 &lt; 50 mmHg,
/// mPAP ≥ 40, RVSP ≥ 60, right heart failure or rapid progression, otherwise warning.
/// </summary>
public sealed class IndicatorAndProgressionTests
{
    [Theory]
    [InlineData(84.9, Indicator.Critical)]
    [InlineData(85, Indicator.Warning)]
    public void Spo2_below_85_percent_is_critical(double spo2, Indicator expected)
    {
        var a = Suspected().WithSpO2((decimal)spo2, daysAgo: 1).Evaluate();
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, expected);
        Assert.Equal(expected == Indicator.Critical, a.IndicatorReasons.Any(r => r.Code == "spo2-critical"));
    }

    [Theory]
    [InlineData(49.9, Indicator.Critical)]
    [InlineData(50, Indicator.Warning)]
    public void Pao2_below_50_mmhg_is_critical(double pao2, Indicator expected)
    {
        var a = Suspected().WithPaO2((decimal)pao2, daysAgo: 1).Evaluate();
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, expected);
    }

    [Theory]
    [InlineData(39.9, Indicator.Warning)]
    [InlineData(40, Indicator.Critical)]
    public void Mean_pa_pressure_of_40_mmhg_or_more_is_critical(double mpap, Indicator expected)
    {
        var a = Suspected().WithMpap((decimal)mpap, daysAgo: 2).Evaluate();
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, expected);
    }

    [Theory]
    [InlineData(59.9, Indicator.Warning)]
    [InlineData(60, Indicator.Critical)]
    public void Rvsp_of_60_mmhg_or_more_is_critical(double rvsp, Indicator expected)
    {
        var a = Suspected().WithEchoRvsp((decimal)rvsp, daysAgo: 2).Evaluate();
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, expected);
    }

    [Fact]
    public void Right_heart_failure_is_critical()
    {
        var a = Suspected().WithRightHeartFailure(daysAgo: 3).Evaluate();
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Critical);
        Assert.Contains(a.IndicatorReasons, r => r.Code == "right-heart-failure");
    }

    [Fact]
    public void A_possible_card_is_info_even_with_critical_values()
    {
        var a = Cancer().WithSpO2(70, 1).WithEchoRvsp(90, 2).WithRightHeartFailure(2).Evaluate();
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Possible, Indicator.Info);
        Assert.Empty(a.IndicatorReasons);
    }

    [Fact]
    public void A_cytology_card_is_critical_by_the_same_signs()
    {
        var a = Suspected().WithSpO2(80, 1).WithPerfusion("Multiple small segmental perfusion defects.", 1).Evaluate();
        Decision(a, Recommendation.WedgedPaCytology, Suspicion.Suspected, Indicator.Critical);
    }

    // ---------------------------------------------------------------- rapid progression

    [Fact]
    public void Spo2_falling_by_4_points_within_14_days_is_rapid_progression_and_critical()
    {
        var a = Suspected().WithSpO2(92, daysAgo: 10).Evaluate(); // 92 → 88 in 9 days
        Assert.True(a.RapidProgression);
        Assert.Equal(2, a.ProgressionEvidence.Count);
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Critical);
        Assert.Contains(a.IndicatorReasons, r => r.Code == "rapid-progression");
    }

    [Fact]
    public void Spo2_falling_by_3_points_is_not_rapid_progression()
    {
        var a = Suspected().WithSpO2(91, daysAgo: 10).Evaluate();
        Assert.False(a.RapidProgression);
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Warning);
    }

    [Fact]
    public void Spo2_fall_spread_over_15_days_is_not_rapid_progression()
    {
        var a = Suspected().WithSpO2(92, daysAgo: 16).Evaluate(); // 92 → 88 over 15 days
        Assert.False(a.RapidProgression);
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Warning);
    }

    [Fact]
    public void Spo2_fall_over_exactly_14_days_is_rapid_progression()
    {
        Assert.True(Suspected().WithSpO2(92, daysAgo: 15).Evaluate().RapidProgression);
    }

    [Fact]
    public void A_rising_spo2_is_not_rapid_progression()
    {
        Assert.False(Suspected().WithSpO2(80, daysAgo: 10).WithSpO2(88, daysAgo: 0.5).Evaluate().RapidProgression);
    }

    [Fact]
    public void Exertional_spo2_is_not_compared_with_resting_spo2()
    {
        // Seed 004: 94 % at rest and 82 % after walking, two hours apart, is not a trend.
        var a = Cancer().WithEchoRvsp(45, daysAgo: 2).WithCtpa(NegativeCtpa, daysAgo: 3)
            .WithSpO2(94, daysAgo: 3).WithSpO2(86, daysAgo: 2.9, method: "After walking 30 m").Evaluate();
        State(a, CriterionId.C2, CriterionState.Met);
        Assert.False(a.RapidProgression);
    }

    [Theory]
    [InlineData(70, 60, true)]
    [InlineData(69, 60, false)]
    public void Pao2_falling_by_10_mmhg_within_14_days_is_rapid_progression(double before, double after, bool rapid)
    {
        var a = Suspected().WithPaO2((decimal)before, daysAgo: 8).WithPaO2((decimal)after, daysAgo: 1).Evaluate();
        Assert.Equal(rapid, a.RapidProgression);
    }

    [Theory]
    [InlineData(30, true)]
    [InlineData(31, false)]
    public void Dyspnea_with_onset_within_30_days_is_rapid_progression(double onsetDaysAgo, bool rapid)
    {
        var a = Suspected().WithDyspnea(onsetDaysAgo).Evaluate();
        Assert.Equal(rapid, a.RapidProgression);
        Assert.Equal(rapid ? Indicator.Critical : Indicator.Warning, a.Indicator);
    }

    [Fact]
    public void Dyspnea_documented_as_rapidly_progressing_is_rapid_progression()
    {
        var a = Suspected().WithDyspnea(60, text: "Exertional dyspnea, rapidly worsening").Evaluate();
        Assert.True(a.RapidProgression);
    }
}
