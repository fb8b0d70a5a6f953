using PttmHooks.Clinical.Assessment;
using Xunit;
using static PttmHooks.Clinical.Tests.Scenarios;

namespace PttmHooks.Clinical.Tests.Criteria;

/// <summary>C3: RVSP ≥ 40, TRV &gt; 2.8 m/s, mPAP &gt; 20, PVR &gt; 2 WU, TAPSE &lt; 18 mm, PH or RV failure Conditions, echo text.</summary>
public sealed class C3PulmonaryHypertensionTests
{
    [Theory]
    [InlineData(39.9, CriterionState.NotMet)]
    [InlineData(40, CriterionState.Met)]
    [InlineData(54, CriterionState.Met)]
    public void Rvsp_at_or_above_40_mmhg_meets_c3(double rvsp, CriterionState expected)
    {
        var a = Cancer().WithEchoRvsp((decimal)rvsp, daysAgo: 2).Evaluate();
        State(a, CriterionId.C3, expected);
    }

    [Theory]
    [InlineData("399023006", Chart.Snomed)]
    [InlineData("8440-0", Chart.Loinc)]
    [InlineData("8432-7", Chart.Loinc)]
    public void Rvsp_is_recognised_under_each_standard_code(string code, string system)
    {
        var a = Cancer().WithObservation(Chart.Coding(system, code), 54, "mm[Hg]", daysAgo: 2).Evaluate();
        State(a, CriterionId.C3, CriterionState.Met);
    }

    [Fact]
    public void Rvsp_under_a_local_code_is_recognised_by_its_text()
    {
        var a = Cancer().WithObservation(new Hl7.Fhir.Model.CodeableConcept { Coding = [Chart.Coding(Chart.Local, "X123")], Text = "PASP (echo)" }, Chart.Quantity(50, "mm[Hg]"), daysAgo: 2).Evaluate();
        State(a, CriterionId.C3, CriterionState.Met);
    }

    [Theory]
    [InlineData(2.8, CriterionState.NotMet)]
    [InlineData(2.81, CriterionState.Met)]
    public void Tr_velocity_above_2_8_m_per_s_meets_c3(double trv, CriterionState expected)
    {
        var a = Cancer().WithTrVelocity((decimal)trv, daysAgo: 2).Evaluate();
        State(a, CriterionId.C3, expected);
    }

    [Theory]
    [InlineData(280, CriterionState.NotMet)]
    [InlineData(281, CriterionState.Met)]
    public void Tr_velocity_in_cm_per_s_is_converted_to_m_per_s(double trv, CriterionState expected)
    {
        var a = Cancer().WithTrVelocity((decimal)trv, daysAgo: 2, unit: "cm/s").Evaluate();
        State(a, CriterionId.C3, expected);
    }

    [Theory]
    [InlineData(20, CriterionState.NotMet)]
    [InlineData(20.1, CriterionState.Met)]
    public void Mean_pa_pressure_above_20_mmhg_meets_c3(double mpap, CriterionState expected)
    {
        var a = Cancer().WithMpap((decimal)mpap, daysAgo: 2).Evaluate();
        State(a, CriterionId.C3, expected);
    }

    [Theory]
    [InlineData(2, "[wood'U]", CriterionState.NotMet)]
    [InlineData(2.01, "[wood'U]", CriterionState.Met)]
    [InlineData(160, "dyn.s.cm-5", CriterionState.NotMet)]
    [InlineData(161, "dyn.s.cm-5", CriterionState.Met)]
    public void Pvr_above_2_wood_units_or_160_dyn_s_cm5_meets_c3(double pvr, string unit, CriterionState expected)
    {
        var a = Cancer().WithPvr((decimal)pvr, daysAgo: 2, unit: unit).Evaluate();
        State(a, CriterionId.C3, expected);
    }

    [Theory]
    [InlineData(17.9, "mm", CriterionState.Met)]
    [InlineData(18, "mm", CriterionState.NotMet)]
    [InlineData(1.79, "cm", CriterionState.Met)]
    [InlineData(1.8, "cm", CriterionState.NotMet)]
    public void Tapse_below_18_mm_meets_c3(double tapse, string unit, CriterionState expected)
    {
        var a = Cancer().WithTapse((decimal)tapse, daysAgo: 2, unit: unit).Evaluate();
        State(a, CriterionId.C3, expected);
    }

    [Fact]
    public void Tapse_in_cm_is_cited_in_mm()
    {
        var chart = Cancer().WithTapse(1.5m, daysAgo: 2, unit: "cm");
        var e = Cited(chart.Evaluate(), CriterionId.C3, chart.Last);
        Assert.Equal(15, e.Value!.Value, 6);
        Assert.Equal("mm", e.Unit);
        Assert.Equal("1.5 cm", e.ValueAsWritten);
    }

    [Fact]
    public void The_worst_value_decides_c3()
    {
        var chart = Cancer().WithEchoRvsp(35, daysAgo: 20).WithEchoRvsp(48, daysAgo: 10);
        var a = chart.Evaluate();
        State(a, CriterionId.C3, CriterionState.Met);
        Assert.Equal(48, Cited(a, CriterionId.C3, chart.Last).Value);
    }

    [Theory]
    [InlineData("I27.20")]
    [InlineData("I27.0")]
    [InlineData("I27.23")]
    [InlineData("I27.81")]
    public void Pulmonary_hypertension_condition_meets_c3(string code)
    {
        var a = Cancer().WithPulmonaryHypertension(daysAgo: 10, icd10cm: code).Evaluate();
        State(a, CriterionId.C3, CriterionState.Met);
    }

    [Fact]
    public void Cteph_code_i27_24_is_not_a_pulmonary_hypertension_condition_for_c3()
    {
        var a = Cancer().WithPulmonaryHypertension(daysAgo: 10, icd10cm: "I27.24").Evaluate();
        State(a, CriterionId.C3, CriterionState.Unknown);
        State(a, CriterionId.Cteph, CriterionState.Met);
    }

    [Fact]
    public void Right_heart_failure_condition_meets_c3()
    {
        var a = Cancer().WithRightHeartFailure(daysAgo: 10).Evaluate();
        State(a, CriterionId.C3, CriterionState.Met);
    }

    [Fact]
    public void Pulmonary_hypertension_recorded_before_the_window_is_context_only()
    {
        var chart = Cancer().WithPulmonaryHypertension(daysAgo: 200);
        var a = chart.Evaluate();
        State(a, CriterionId.C3, CriterionState.Unknown);
        Assert.Equal(EvidenceRole.Context, Cited(a, CriterionId.C3, chart.Last).Role);
    }

    [Theory]
    [InlineData("RV enlargement with decreased RV contractile function. D-shaped left ventricle.")]
    [InlineData("Pulmonary hypertension with impaired right ventricular function.")]
    [InlineData("Septal flattening.")]
    [InlineData("Dilated right ventricle.")]
    public void Echo_report_stating_ph_or_rv_strain_meets_c3(string conclusion)
    {
        var chart = Cancer().WithEcho(conclusion, daysAgo: 5);
        var a = chart.Evaluate();
        State(a, CriterionId.C3, CriterionState.Met);
        Assert.Equal(EvidenceRole.Decisive, Cited(a, CriterionId.C3, chart.Last).Role);
    }

    [Theory]
    [InlineData("No pulmonary hypertension.")]
    [InlineData("Normal RV size and function.")]
    [InlineData("No RV dilatation. No evidence of pulmonary hypertension.")]
    public void Echo_report_without_ph_does_not_meet_c3(string conclusion)
    {
        var chart = Cancer().WithEcho(conclusion, daysAgo: 5);
        var a = chart.Evaluate();
        State(a, CriterionId.C3, CriterionState.NotMet);
        Assert.Equal(EvidenceRole.Against, Cited(a, CriterionId.C3, chart.Last).Role);
    }

    [Fact]
    public void Echo_report_silent_on_the_rv_leaves_c3_unknown()
    {
        var chart = Cancer().WithEcho("Normal LV systolic function. Mild mitral regurgitation.", daysAgo: 5);
        var a = chart.Evaluate();
        State(a, CriterionId.C3, CriterionState.Unknown);
        Assert.Equal(EvidenceRole.Context, Cited(a, CriterionId.C3, chart.Last).Role);
    }

    [Fact]
    public void A_measurement_below_every_threshold_does_not_meet_c3_even_beside_a_silent_echo()
    {
        var a = Cancer().WithEchoRvsp(30, daysAgo: 3).WithEcho("Normal LV systolic function.", daysAgo: 3).Evaluate();
        State(a, CriterionId.C3, CriterionState.NotMet);
    }

    [Fact]
    public void Nothing_about_the_rv_leaves_c3_unknown()
    {
        var a = Cancer().Evaluate();
        State(a, CriterionId.C3, CriterionState.Unknown);
    }
}
