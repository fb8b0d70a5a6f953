using Hl7.Fhir.Model;
using PttmHooks.Clinical.Assessment;
using Xunit;
using static PttmHooks.Clinical.Tests.Scenarios;

namespace PttmHooks.Clinical.Tests.Criteria;

/// <summary>C6: D-dimer ≥ 0.5 mg/L FEU or ≥ 0.25 mg/L DDU, platelets &lt; 150 × 10^3/µL, and the rest; never required.</summary>
public sealed class C6SupportingTests
{
    [Theory]
    [InlineData(0.49, "mg/L", CriterionState.NotMet)]
    [InlineData(0.5, "mg/L", CriterionState.Met)]
    [InlineData(0.49, "ug/mL", CriterionState.NotMet)]
    [InlineData(0.5, "ug/mL", CriterionState.Met)]
    [InlineData(490, "ng/mL", CriterionState.NotMet)]
    [InlineData(500, "ng/mL", CriterionState.Met)]
    [InlineData(490, "ug/L", CriterionState.NotMet)]
    [InlineData(500, "ug/L", CriterionState.Met)]
    public void D_dimer_feu_at_or_above_0_5_mg_per_l_is_raised(double value, string unit, CriterionState expected)
    {
        var a = Cancer().WithDDimer((decimal)value, daysAgo: 2, unit: unit).Evaluate();
        State(a, CriterionId.C6, expected);
    }

    [Theory]
    [InlineData(0.24, "mg/L", CriterionState.NotMet)]
    [InlineData(0.25, "mg/L", CriterionState.Met)]
    [InlineData(240, "ng/mL", CriterionState.NotMet)]
    [InlineData(250, "ng/mL", CriterionState.Met)]
    public void D_dimer_ddu_at_or_above_0_25_mg_per_l_is_raised(double value, string unit, CriterionState expected)
    {
        var a = Cancer().WithDDimer((decimal)value, daysAgo: 2, unit: unit, ddu: true).Evaluate();
        State(a, CriterionId.C6, expected);
    }

    [Theory]
    [InlineData("mg/L DDU", CriterionState.Met)] // 0.3 mg/L DDU ≈ 0.6 FEU
    [InlineData("mg/L FEU", CriterionState.NotMet)]
    public void D_dimer_unit_annotation_is_trusted_before_the_loinc_code(string unitText, CriterionState expected)
    {
        // Coded as FEU (48065-7) but the unit says which it is.
        var a = Cancer().WithDDimer(0.3m, daysAgo: 2, unit: "mg/L", unitText: unitText).Evaluate();
        State(a, CriterionId.C6, expected);
    }

    [Theory]
    [InlineData("Positive", CriterionState.Met)]
    [InlineData("Negative", CriterionState.NotMet)]
    public void Qualitative_d_dimer_counts(string result, CriterionState expected)
    {
        var a = Cancer().WithObservation(Chart.Coding(Chart.Loinc, "48065-7", "Fibrin D-dimer FEU"), new FhirString(result), daysAgo: 2).Evaluate();
        State(a, CriterionId.C6, expected);
    }

    [Theory]
    [InlineData(149, "10*3/uL", CriterionState.Met)]
    [InlineData(150, "10*3/uL", CriterionState.NotMet)]
    [InlineData(149, "10*9/L", CriterionState.Met)]
    [InlineData(150, "10*9/L", CriterionState.NotMet)]
    [InlineData(149000, "/mm3", CriterionState.Met)]
    [InlineData(150000, "/mm3", CriterionState.NotMet)]
    public void Platelets_below_150_are_a_supporting_finding(double value, string unit, CriterionState expected)
    {
        var a = Cancer().WithPlatelets((decimal)value, daysAgo: 2, unit: unit).Evaluate();
        State(a, CriterionId.C6, expected);
    }

    [Fact]
    public void Platelets_per_mm3_are_cited_in_thousands_per_microlitre()
    {
        var chart = Cancer().WithPlatelets(217000, daysAgo: 2, unit: "/mm3");
        var e = Cited(chart.Evaluate(), CriterionId.C6, chart.Last);
        Assert.Equal(217, e.Value);
        Assert.Equal("10*3/uL", e.Unit);
        Assert.Equal(EvidenceRole.Against, e.Role);
    }

    [Fact]
    public void No_supporting_test_leaves_c6_unknown()
    {
        State(Cancer().Evaluate(), CriterionId.C6, CriterionState.Unknown);
    }

    [Fact]
    public void Supporting_findings_are_never_required()
    {
        var a = Suspected().WithPlatelets(250, daysAgo: 1).WithDDimer(0.2m, daysAgo: 1).Evaluate();
        State(a, CriterionId.C6, CriterionState.NotMet);
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Warning);
    }
}
