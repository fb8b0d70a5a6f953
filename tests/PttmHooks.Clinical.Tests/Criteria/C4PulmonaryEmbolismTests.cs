using Hl7.Fhir.Model;
using PttmHooks.Clinical.Assessment;
using Xunit;
using static PttmHooks.Clinical.Tests.Scenarios;

namespace PttmHooks.Clinical.Tests.Criteria;

/// <summary>C4: PE excluded by a recent negative CTPA; NotMet with PE shown or recorded; Unknown otherwise.</summary>
public sealed class C4PulmonaryEmbolismTests
{
    private static PttmAssessment Ctpa(string conclusion, double daysAgo = 3) => Cancer().WithCtpa(conclusion, daysAgo).Evaluate();

    [Theory]
    [InlineData("No evidence of pulmonary embolism.")]
    [InlineData("Negative for PE.")]
    [InlineData("No filling defect.")]
    [InlineData("Study without PE.")]
    [InlineData("PE excluded.")]
    [InlineData("Pulmonary embolism is ruled out.")]
    [InlineData("No significant pulmonary thromboembolism.")]
    [InlineData("No pulmonary emboli or pulmonary arteriovenous malformation.")]
    [InlineData("PE protocol CT: no pulmonary embolism.")]
    [InlineData("CT pulmonary angiogram: no filling defect to suggest pulmonary embolism.")]
    public void Ctpa_negating_every_mention_of_embolism_excludes_pe(string conclusion)
    {
        var a = Ctpa(conclusion);
        State(a, CriterionId.C4, CriterionState.Met);
        Assert.Equal(EvidenceRole.Decisive, a[CriterionId.C4].Evidence.Single().Role);
    }

    [Theory]
    [InlineData("Acute bilateral pulmonary emboli in the segmental arteries.")]
    [InlineData("No pleural effusion but a large pulmonary embolus.")]
    [InlineData("No pleural effusion. Saddle embolus.")]
    [InlineData("Filling defect in the right lower lobe artery.")]
    public void Ctpa_with_a_mention_of_embolism_that_is_not_negated_is_positive(string conclusion)
    {
        var a = Ctpa(conclusion);
        State(a, CriterionId.C4, CriterionState.NotMet);
        Decision(a, Recommendation.None);
    }

    [Fact]
    public void Negation_is_scoped_to_its_sentence_so_chronic_thromboembolic_changes_are_not_negative()
    {
        var a = Ctpa("No PE. Chronic thromboembolic changes.");
        Assert.NotEqual(CriterionState.Met, a[CriterionId.C4].State);
        // The rule reads the affirmed "thromboembolic" finding as a positive report (C4 NotMet) and names CTEPH.
        State(a, CriterionId.C4, CriterionState.NotMet);
        State(a, CriterionId.Cteph, CriterionState.Met);
    }

    [Theory]
    [InlineData("PE cannot be excluded.")]
    [InlineData("Suboptimal contrast bolus; pulmonary embolism cannot be ruled out.")]
    [InlineData("Indeterminate for pulmonary embolism.")]
    public void Ctpa_that_cannot_exclude_pe_is_indeterminate_and_leaves_c4_unknown(string conclusion)
    {
        var a = Ctpa(conclusion);
        State(a, CriterionId.C4, CriterionState.Unknown);
        Assert.Contains("indeterminate", a[CriterionId.C4].Evidence.Single().Finding, StringComparison.Ordinal);
    }

    [Fact]
    public void Ctpa_silent_on_embolism_leaves_c4_unknown()
    {
        var a = Ctpa("Emphysema. Small bilateral pleural effusions.");
        State(a, CriterionId.C4, CriterionState.Unknown);
        Assert.Equal(EvidenceRole.Context, a[CriterionId.C4].Evidence.Single().Role);
    }

    [Fact]
    public void Tumour_emboli_are_not_a_mention_of_pulmonary_embolism()
    {
        var a = Ctpa("No pulmonary embolism. Findings could reflect tumour emboli.");
        State(a, CriterionId.C4, CriterionState.Met);
    }

    [Fact]
    public void Negative_ctpa_exactly_30_days_old_excludes_pe()
    {
        State(Cancer().WithCtpa(NegativeCtpa, daysAgo: 30).Evaluate(), CriterionId.C4, CriterionState.Met);
    }

    [Fact]
    public void Negative_ctpa_older_than_30_days_does_not_exclude_pe()
    {
        var chart = Cancer().WithCtpa(NegativeCtpa, daysAgo: 31);
        var a = chart.Evaluate();
        State(a, CriterionId.C4, CriterionState.Unknown);
        Assert.Equal(EvidenceRole.Context, Cited(a, CriterionId.C4, chart.Last).Role);
        Assert.Contains(a.Missing, m => m.Contains("CT pulmonary angiogram", StringComparison.Ordinal));
    }

    [Fact]
    public void Negative_ctpa_30_days_and_a_minute_old_does_not_exclude_pe()
    {
        var a = Cancer().WithCtpa(NegativeCtpa, daysAgo: TimeSpan.FromDays(30) + TimeSpan.FromMinutes(1)).Evaluate();
        State(a, CriterionId.C4, CriterionState.Unknown);
    }

    [Fact]
    public void The_ctpa_age_limit_is_configurable()
    {
        var a = Cancer().WithCtpa(NegativeCtpa, daysAgo: 40).Evaluate(new PttmRuleOptions { CtpaMaxAge = TimeSpan.FromDays(45) });
        State(a, CriterionId.C4, CriterionState.Met);
    }

    [Fact]
    public void A_positive_ctpa_outweighs_a_later_negative_one_in_the_window()
    {
        var chart = Cancer().WithCtpa("Acute pulmonary embolism in the right lower lobe.", daysAgo: 20).WithCtpa(NegativeCtpa, daysAgo: 2);
        var a = chart.Evaluate();
        State(a, CriterionId.C4, CriterionState.NotMet);
        Assert.Equal(EvidenceRole.Context, Cited(a, CriterionId.C4, chart.Last).Role);
    }

    [Fact]
    public void Active_pe_condition_in_the_window_is_not_met_even_after_a_negative_ctpa()
    {
        var a = Cancer().WithCtpa(NegativeCtpa, daysAgo: 5).WithPeCondition(daysAgo: 3).Evaluate();
        State(a, CriterionId.C4, CriterionState.NotMet);
        Assert.Contains(a.Reasons, r => r.Code == "pe-explains");
    }

    [Fact]
    public void Resolved_or_old_pe_condition_does_not_make_c4_not_met()
    {
        var a = Cancer().WithCtpa(NegativeCtpa, daysAgo: 5).WithPeCondition(daysAgo: 3, clinicalStatus: "resolved").WithPeCondition(daysAgo: 400).Evaluate();
        State(a, CriterionId.C4, CriterionState.Met);
    }

    [Fact]
    public void Contrast_chest_ct_that_comments_on_the_pulmonary_arteries_excludes_pe()
    {
        var a = Cancer().WithContrastChestCt("No thrombus in the pulmonary arteries. Mediastinal lymphadenopathy.", daysAgo: 4).Evaluate();
        State(a, CriterionId.C4, CriterionState.Met);
        State(a, CriterionId.C6, CriterionState.Met); // mediastinal lymphadenopathy
    }

    [Theory]
    [InlineData("2667000", CriterionState.Met)]
    [InlineData("52101004", CriterionState.NotMet)]
    public void Coded_conclusion_pe_absent_or_present_decides_c4(string qualifier, CriterionState expected)
    {
        var codes = new[] { Chart.Concept(Chart.Snomed, "59282003", "Pulmonary embolism"), Chart.Concept(Chart.Snomed, qualifier) };
        var a = Cancer().WithLoincCtpa(null, daysAgo: 2, conclusionCodes: codes).Evaluate();
        State(a, CriterionId.C4, expected);
    }

    [Fact]
    public void Post_coordinated_snomed_expression_pe_absent_excludes_pe()
    {
        var codes = new[] { Chart.Concept(Chart.Snomed, "59282003 |Pulmonary embolism| : 408729009 = 2667000 |Absent|") };
        var a = Cancer().WithLoincCtpa(null, daysAgo: 2, conclusionCodes: codes).Evaluate();
        State(a, CriterionId.C4, CriterionState.Met);
    }

    [Fact]
    public void Text_presented_form_is_read_when_there_is_no_conclusion()
    {
        var a = Cancer().WithReport(
            new CodeableConcept { Coding = [Chart.Coding(Chart.Loinc, "72251-2")] },
            conclusion: null,
            daysAgo: 2,
            presentedText: "<p>IMPRESSION: <b>No evidence of pulmonary embolism.</b></p>",
            presentedType: "text/html").Evaluate();
        State(a, CriterionId.C4, CriterionState.Met);
    }

    [Fact]
    public void Report_with_only_a_local_code_is_classified_by_its_conclusion()
    {
        var a = Cancer().WithReport(Chart.Coding(Chart.Local, "RAD-991"), "Enhanced CT: no pulmonary embolism.", daysAgo: 2).Evaluate();
        State(a, CriterionId.C4, CriterionState.Met);
    }

    [Fact]
    public void No_ct_leaves_c4_unknown()
    {
        State(Cancer().Evaluate(), CriterionId.C4, CriterionState.Unknown);
    }
}
