using PttmHooks.Clinical.Assessment;
using Xunit;
using static PttmHooks.Clinical.Tests.Scenarios;

namespace PttmHooks.Clinical.Tests.Criteria;

/// <summary>C5 perfusion imaging, C7 established diagnosis, and the CTEPH differential.</summary>
public sealed class C5C7AndCtephTests
{
    [Theory]
    [InlineData("Multiple small segmental perfusion defects.")]
    [InlineData("Multiple small peripheral perfusion defects in both lungs.")]
    [InlineData("Patchy flow reduction in both lungs.")]
    [InlineData("Multiple segmental and subsegmental perfusion defects in both lungs, highly suspicious for multiple pulmonary emboli.")]
    public void Perfusion_scan_with_defects_reads_as_defects(string conclusion)
    {
        var a = Cancer().WithPerfusion(conclusion, daysAgo: 1).Evaluate();
        Assert.Equal(PerfusionFinding.Defects, a.Perfusion);
        State(a, CriterionId.C5, CriterionState.Met);
    }

    [Theory]
    [InlineData("Normal perfusion. No perfusion defects.")]
    [InlineData("No perfusion defect.")]
    [InlineData("Homogeneous perfusion of both lungs.")]
    public void Perfusion_scan_without_defects_reads_as_normal(string conclusion)
    {
        var a = Cancer().WithPerfusion(conclusion, daysAgo: 1).Evaluate();
        Assert.Equal(PerfusionFinding.Normal, a.Perfusion);
        State(a, CriterionId.C5, CriterionState.NotMet);
    }

    [Fact]
    public void Coded_normal_vq_conclusion_reads_as_normal()
    {
        var a = Cancer().WithReport(
            new Hl7.Fhir.Model.CodeableConcept { Coding = [Chart.Coding(Chart.Local, "NM-LUNG-VQ", "NM lung ventilation and perfusion scan")] },
            conclusion: null,
            daysAgo: 1,
            conclusionCodes: [Chart.Concept(Chart.Snomed, "313177006", "Ventilation-Perfusion scan normal")]).Evaluate();
        Assert.Equal(PerfusionFinding.Normal, a.Perfusion);
    }

    [Fact]
    public void A_scan_with_defects_outweighs_a_normal_one()
    {
        var a = Cancer().WithPerfusion("Normal perfusion.", daysAgo: 1).WithPerfusion("Multiple small segmental perfusion defects.", daysAgo: 20, ventilation: true).Evaluate();
        Assert.Equal(PerfusionFinding.Defects, a.Perfusion);
    }

    [Fact]
    public void Unclassifiable_perfusion_text_is_context_and_reads_as_none()
    {
        var chart = Cancer().WithPerfusion("See scanned document.", daysAgo: 1);
        var a = chart.Evaluate();
        Assert.Equal(PerfusionFinding.None, a.Perfusion);
        Assert.Equal(EvidenceRole.Context, Cited(a, CriterionId.C5, chart.Last).Role);
    }

    [Fact]
    public void Perfusion_scan_before_the_window_reads_as_none()
    {
        var a = Cancer().WithPerfusion("Multiple small segmental perfusion defects.", daysAgo: 100).Evaluate();
        Assert.Equal(PerfusionFinding.None, a.Perfusion);
    }

    // ---------------------------------------------------------------- C7

    [Theory]
    [InlineData("No malignant cells.")]
    [InlineData("Wedged pulmonary arterial blood: no malignant cells identified.")]
    public void Cytology_without_malignant_cells_does_not_meet_c7(string conclusion)
    {
        var chart = Suspected().WithCytology(conclusion, daysAgo: 1);
        var a = chart.Evaluate();
        State(a, CriterionId.C7, CriterionState.NotMet);
        Assert.Equal(EvidenceRole.Against, Cited(a, CriterionId.C7, chart.Last).Role);
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Warning);
    }

    [Fact]
    public void Cytology_with_malignant_cells_meets_c7_and_silences_the_card()
    {
        var a = Suspected().WithCytology("Clusters of malignant cells, consistent with adenocarcinoma.", daysAgo: 1).Evaluate();
        State(a, CriterionId.C7, CriterionState.Met);
        Decision(a, Recommendation.None);
        Assert.Contains(a.Reasons, r => r.Code == "pttm-established");
    }

    [Fact]
    public void Cytology_counts_at_any_age_of_record()
    {
        State(Suspected().WithCytology("Malignant cells present.", daysAgo: 400).Evaluate(), CriterionId.C7, CriterionState.Met);
    }

    [Theory]
    [InlineData("Pulmonary tumor thrombotic microangiopathy")]
    [InlineData("PTTM")]
    [InlineData("Pulmonary tumour embolism")]
    public void Condition_naming_pttm_or_tumour_embolism_meets_c7(string text)
    {
        var a = Suspected().WithCondition(text, daysAgo: 2).Evaluate();
        State(a, CriterionId.C7, CriterionState.Met);
        Decision(a, Recommendation.None);
    }

    [Fact]
    public void Snomed_pulmonary_tumour_embolism_meets_c7()
    {
        var a = Suspected().WithCondition(Chart.Coding(Chart.Snomed, "233940007", "Pulmonary tumor embolism"), daysAgo: 2).Evaluate();
        State(a, CriterionId.C7, CriterionState.Met);
    }

    // ---------------------------------------------------------------- CTEPH

    [Fact]
    public void Active_cteph_diagnosis_silences_the_card()
    {
        var a = Suspected().WithCtephCondition(daysAgo: 200).Evaluate();
        State(a, CriterionId.Cteph, CriterionState.Met);
        Decision(a, Recommendation.None);
        Assert.Contains(a.Reasons, r => r.Code == "cteph-diagnosed");
    }

    [Fact]
    public void Resolved_cteph_does_not_silence_the_card()
    {
        var a = Suspected().WithCtephCondition(daysAgo: 800, clinicalStatus: "resolved").Evaluate();
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Warning);
    }

    [Fact]
    public void Dyspnea_documented_for_more_than_6_months_with_ph_names_cteph_as_the_differential()
    {
        var a = Suspected().WithDyspnea(daysAgo: 200).Evaluate();
        State(a, CriterionId.Cteph, CriterionState.Met);
        Assert.Contains(a.Differentials, d => d.Contains("CTEPH", StringComparison.Ordinal));
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Warning);
    }

    [Fact]
    public void Dyspnea_of_5_months_is_not_a_chronic_course()
    {
        var a = Suspected().WithDyspnea(daysAgo: 150).Evaluate();
        State(a, CriterionId.Cteph, CriterionState.NotMet);
        Assert.Empty(a.Differentials);
    }
}
