using PttmHooks.Clinical.Assessment;
using Xunit;
using static PttmHooks.Clinical.Tests.Scenarios;

namespace PttmHooks.Clinical.Tests.DecisionTable;

/// <summary>Each row of the decision table in pttm-criteria.md, "Decision".</summary>
public sealed class DecisionTableTests
{
    private const string Defects = "Multiple small segmental perfusion defects.";

    // Row 1: C1 not Met → no card.
    [Fact]
    public void Without_a_solid_malignancy_there_is_no_card()
    {
        var a = Chart.For("p1").WithSpO2(85, 1).WithEchoRvsp(54, 2).WithCtpa(NegativeCtpa, 3).WithPerfusion(Defects, 1).Evaluate();
        State(a, CriterionId.C1, CriterionState.NotMet);
        Decision(a, Recommendation.None);
        Assert.Single(a.Reasons);
    }

    // Row 2: C7 Met → no card.
    [Fact]
    public void With_pttm_already_established_there_is_no_card()
    {
        var a = Suspected().WithPerfusion(Defects, 1).WithPttmCondition(1).Evaluate();
        Decision(a, Recommendation.None);
        Assert.Equal("pttm-established", a.Reasons[^1].Code);
    }

    // Row 3: C4 NotMet → no card (PE explains it).
    [Fact]
    public void With_pe_shown_there_is_no_card()
    {
        var a = Cancer().WithSpO2(85, 1).WithEchoRvsp(54, 2).WithCtpa("Acute pulmonary embolism.", 3).Evaluate();
        State(a, CriterionId.C4, CriterionState.NotMet);
        Decision(a, Recommendation.None);
        Assert.Equal("pe-explains", a.Reasons[^1].Code);
    }

    // Row 4: C5 normal → no card.
    [Fact]
    public void With_a_normal_perfusion_scan_there_is_no_card()
    {
        var a = Suspected().WithPerfusion("Normal perfusion. No perfusion defects.", 1).Evaluate();
        Assert.Equal(PerfusionFinding.Normal, a.Perfusion);
        Decision(a, Recommendation.None);
        Assert.Equal("perfusion-normal", a.Reasons[^1].Code);
    }

    // Row 5: C2 Met, C3 Met, C4 Met, defects → wedged PA cytology.
    [Fact]
    public void Defects_with_pe_excluded_and_ph_recommend_wedged_pa_cytology()
    {
        var a = Suspected().WithPerfusion(Defects, 1).Evaluate();
        Decision(a, Recommendation.WedgedPaCytology, Suspicion.Suspected, Indicator.Warning);
        Assert.False(a.SuggestEchocardiography);
    }

    // Row 5 with C3 Unknown.
    [Fact]
    public void Defects_with_pe_excluded_and_ph_not_assessed_still_recommend_cytology()
    {
        var a = Cancer().WithSpO2(88, 1).WithCtpa(NegativeCtpa, 3).WithPerfusion(Defects, 1).Evaluate();
        State(a, CriterionId.C3, CriterionState.Unknown);
        Decision(a, Recommendation.WedgedPaCytology, Suspicion.Suspected, Indicator.Warning);
        Assert.Contains(a.Reasons, r => r.Code == "ph-not-assessed");
        Assert.True(a.SuggestEchocardiography);
    }

    // Seed 004: defects read as "suspicious for pulmonary emboli" still count as defects when C4 is Met.
    [Fact]
    public void Defects_read_as_suspicious_for_emboli_still_count_when_ctpa_excluded_pe()
    {
        var a = Suspected().WithPerfusion("Multiple segmental and subsegmental perfusion defects, highly suspicious for multiple pulmonary emboli.", 1).Evaluate();
        Decision(a, Recommendation.WedgedPaCytology, Suspicion.Suspected, Indicator.Warning);
    }

    // Row 6: C3 Met, C4 Met, no perfusion scan → lung perfusion scan, suspected.
    [Fact]
    public void Complete_pattern_without_a_perfusion_scan_recommends_one_with_pttm_suspected()
    {
        var a = Suspected().Evaluate();
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Warning);
        Assert.Equal("pattern-complete", a.Reasons[^1].Code);
    }

    // Row 7: C3 Met, C4 Unknown, none → lung perfusion scan, possible (PE not yet excluded).
    [Fact]
    public void Without_a_ctpa_pttm_is_possible_and_the_card_is_info()
    {
        var a = Cancer().WithSpO2(80, 1).WithEchoRvsp(70, 2).Evaluate();
        State(a, CriterionId.C4, CriterionState.Unknown);
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Possible, Indicator.Info);
        Assert.Equal("pe-not-excluded", a.Reasons[^1].Code);
        Assert.False(a.SuggestEchocardiography);
    }

    // Row 8: C3 Unknown, C4 Met, none → lung perfusion scan, possible, suggest echocardiography.
    [Fact]
    public void Without_a_ph_assessment_pttm_is_possible_and_echocardiography_is_suggested()
    {
        var a = Cancer().WithPaO2(45, 1).WithCtpa(NegativeCtpa, 2).Evaluate();
        State(a, CriterionId.C3, CriterionState.Unknown);
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Possible, Indicator.Info);
        Assert.True(a.SuggestEchocardiography);
        Assert.Equal("ph-not-assessed", a.Reasons[^1].Code);
    }

    // Row 9: defects with C4 Unknown → no card (PE and PTTM both fit: CTPA first).
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Defects_without_a_recent_ctpa_give_no_card_because_ctpa_comes_first(bool phMeasured)
    {
        var chart = Cancer().WithSpO2(85, 1).WithPerfusion(Defects, 1);
        if (phMeasured)
        {
            chart.WithEchoRvsp(54, 2);
        }

        var a = chart.Evaluate();
        State(a, CriterionId.C4, CriterionState.Unknown);
        Decision(a, Recommendation.None);
        Assert.Equal("ctpa-first", a.Reasons[^1].Code);
    }

    [Fact]
    public void Defects_with_only_an_old_negative_ctpa_give_no_card()
    {
        var a = Cancer().WithSpO2(85, 1).WithEchoRvsp(54, 2).WithCtpa(NegativeCtpa, 45).WithPerfusion(Defects, 1).Evaluate();
        Decision(a, Recommendation.None);
        Assert.Equal("ctpa-first", a.Reasons[^1].Code);
    }

    // Otherwise → no card.
    [Fact]
    public void Without_hypoxaemia_or_dyspnea_there_is_no_card()
    {
        var a = Cancer().WithSpO2(96, 1).WithEchoRvsp(54, 2).WithCtpa(NegativeCtpa, 3).Evaluate();
        State(a, CriterionId.C2, CriterionState.NotMet);
        Decision(a, Recommendation.None);
        Assert.Equal("no-hypoxaemia-or-dyspnea", a.Reasons[^1].Code);
    }

    [Fact]
    public void With_ph_assessed_and_absent_there_is_no_card()
    {
        var a = Cancer().WithSpO2(85, 1).WithEchoRvsp(30, 2).WithCtpa(NegativeCtpa, 3).Evaluate();
        State(a, CriterionId.C3, CriterionState.NotMet);
        Decision(a, Recommendation.None);
        Assert.Equal("ph-not-met", a.Reasons[^1].Code);
    }

    [Fact]
    public void Defects_with_ph_assessed_and_absent_give_no_card()
    {
        var a = Cancer().WithSpO2(85, 1).WithEcho("No pulmonary hypertension.", 2).WithCtpa(NegativeCtpa, 3).WithPerfusion(Defects, 1).Evaluate();
        Decision(a, Recommendation.None);
        Assert.Equal("ph-not-met", a.Reasons[^1].Code);
    }

    [Fact]
    public void With_neither_ph_nor_pe_assessed_there_is_no_card()
    {
        var a = Cancer().WithSpO2(85, 1).Evaluate();
        Decision(a, Recommendation.None);
        Assert.Equal("pe-and-ph-unknown", a.Reasons[^1].Code);
    }

    [Fact]
    public void Dyspnea_alone_meets_c2_for_the_card()
    {
        var a = Cancer().WithDyspnea(45).WithEchoRvsp(45, 2).WithCtpa(NegativeCtpa, 3).Evaluate();
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Warning);
    }

    [Fact]
    public void No_card_means_no_suspicion_no_indicator_and_no_echo_suggestion()
    {
        var a = Cancer().Evaluate();
        Decision(a, Recommendation.None);
        Assert.False(a.SuggestEchocardiography);
        Assert.Empty(a.IndicatorReasons);
    }
}
