using PttmHooks.Clinical.Assessment;
using Xunit;
using static PttmHooks.Clinical.Tests.Scenarios;

namespace PttmHooks.Clinical.Tests.Criteria;

/// <summary>C2: SpO2 &lt; 90 %, PaO2 &lt; 60 mmHg, a hypoxaemia Condition, a raised A–a gradient, or dyspnea in the window.</summary>
public sealed class C2HypoxaemiaTests
{
    [Theory]
    [InlineData(89.9, CriterionState.Met)]
    [InlineData(90, CriterionState.NotMet)]
    [InlineData(95, CriterionState.NotMet)]
    [InlineData(70, CriterionState.Met)]
    public void Spo2_below_90_percent_meets_c2(double spo2, CriterionState expected)
    {
        var a = Cancer().WithSpO2((decimal)spo2, daysAgo: 1).Evaluate();
        State(a, CriterionId.C2, expected);
    }

    [Theory]
    [InlineData(59.9, CriterionState.Met)]
    [InlineData(60, CriterionState.NotMet)]
    public void Pao2_below_60_mmhg_meets_c2(double pao2, CriterionState expected)
    {
        var a = Cancer().WithPaO2((decimal)pao2, daysAgo: 1).Evaluate();
        State(a, CriterionId.C2, expected);
    }

    [Theory]
    [InlineData(7.99, CriterionState.Met)]
    [InlineData(8.0, CriterionState.NotMet)]
    [InlineData(8.4, CriterionState.NotMet)]
    public void Pao2_in_kpa_is_compared_in_mmhg(double kpa, CriterionState expected)
    {
        var a = Cancer().WithPaO2((decimal)kpa, daysAgo: 1, unit: "kPa").Evaluate();
        State(a, CriterionId.C2, expected);
    }

    [Theory]
    [InlineData(Chart.Loinc, "59408-5", null)]
    [InlineData(Chart.Loinc, "2708-6", null)]
    [InlineData("urn:oid:2.16.840.1.113883.6.1", "59408-5", null)]
    [InlineData(Chart.Local, "VS-SAT", "O2 sat")]
    [InlineData(Chart.Local, "VS-SAT", "SpO2 (finger probe)")]
    public void Spo2_is_recognised_by_loinc_code_or_by_text(string system, string code, string? text)
    {
        var concept = new Hl7.Fhir.Model.CodeableConcept { Coding = [Chart.Coding(system, code)], Text = text };
        var a = Cancer().WithObservation(concept, Chart.Quantity(86, "%"), daysAgo: 1).Evaluate();
        State(a, CriterionId.C2, CriterionState.Met);
    }

    [Fact]
    public void An_unknown_local_code_without_text_is_not_read_as_spo2()
    {
        var a = Cancer().WithObservation(Chart.Coding(Chart.Local, "VS-SAT"), Chart.Quantity(86, "%"), daysAgo: 1).Evaluate();
        State(a, CriterionId.C2, CriterionState.Unknown);
    }

    [Fact]
    public void Spo2_and_pao2_are_both_cited_with_their_values_in_the_rule_unit()
    {
        var chart = Cancer().WithSpO2(85, daysAgo: 1);
        var spo2 = chart.Last;
        chart.WithPaO2(7.5m, daysAgo: 1, unit: "kPa");
        var pao2 = chart.Last;
        var a = chart.Evaluate();

        var s = Cited(a, CriterionId.C2, spo2);
        Assert.Equal("Observation", s.ResourceType);
        Assert.Equal("p1-obs2", s.ResourceId);
        Assert.Equal(Chart.DefaultNow.AddDays(-1), s.EffectiveAt);
        Assert.Equal("85 %", s.ValueAsWritten);
        Assert.StartsWith("SpO2 85 %", s.Finding, StringComparison.Ordinal);
        Assert.False(s.Preliminary);
        Assert.Equal(EvidenceRole.Decisive, s.Role);
        Assert.Equal(85, s.Value);
        Assert.Equal("%", s.Unit);
        var p = Cited(a, CriterionId.C2, pao2);
        Assert.Equal(EvidenceRole.Decisive, p.Role);
        Assert.Equal("7.5 kPa", p.ValueAsWritten);
        Assert.Equal("mm[Hg]", p.Unit);
        Assert.InRange(p.Value!.Value, 56.25, 56.26);
    }

    [Fact]
    public void Normal_spo2_is_cited_against_c2()
    {
        var chart = Cancer().WithSpO2(97, daysAgo: 1);
        var a = chart.Evaluate();
        State(a, CriterionId.C2, CriterionState.NotMet);
        Assert.Equal(EvidenceRole.Against, Cited(a, CriterionId.C2, chart.Last).Role);
    }

    [Fact]
    public void No_oxygenation_and_no_dyspnea_leaves_c2_unknown()
    {
        var a = Cancer().Evaluate();
        State(a, CriterionId.C2, CriterionState.Unknown);
        Assert.Contains(a.Missing, m => m.Contains("SpO2", StringComparison.Ordinal));
    }

    [Fact]
    public void Hypoxaemia_condition_r09_02_in_the_window_meets_c2()
    {
        var a = Cancer().WithHypoxaemia(daysAgo: 5).Evaluate();
        State(a, CriterionId.C2, CriterionState.Met);
    }

    [Theory]
    [InlineData("267036007", Chart.Snomed)]
    [InlineData("R06.00", Chart.Icd10Cm)]
    [InlineData("R06.02", Chart.Icd10Cm)]
    [InlineData("R06.09", Chart.Icd10Cm)]
    [InlineData("R0603", Chart.Icd10Cm)]
    public void Dyspnea_condition_in_the_window_meets_c2(string code, string system)
    {
        var a = Cancer().WithDyspnea(daysAgo: 20, code: code, system: system).Evaluate();
        State(a, CriterionId.C2, CriterionState.Met);
    }

    [Fact]
    public void Dyspnea_with_onset_before_the_window_does_not_meet_c2()
    {
        var a = Cancer().WithDyspnea(daysAgo: 120).Evaluate();
        State(a, CriterionId.C2, CriterionState.Unknown);
    }

    [Fact]
    public void Dyspnea_named_only_in_text_meets_c2()
    {
        var a = Cancer().WithCondition("Shortness of breath on exertion", daysAgo: 10).Evaluate();
        State(a, CriterionId.C2, CriterionState.Met);
    }

    [Fact]
    public void Exertional_spo2_counts_and_is_noted_as_on_exertion()
    {
        var chart = Cancer().WithSpO2(84, daysAgo: 1, method: "After walking 30 m on room air");
        var a = chart.Evaluate();
        State(a, CriterionId.C2, CriterionState.Met);
        Assert.Contains("exertion", Cited(a, CriterionId.C2, chart.Last).Note, StringComparison.Ordinal);
    }

    // ---------------------------------------------------------------- A–a gradient

    // Born 1 January 1970, evaluated on 20 November 2026: aged 56, upper limit 56 / 4 + 4 = 18 mmHg.
    [Theory]
    [InlineData(18, CriterionState.NotMet)]
    [InlineData(18.1, CriterionState.Met)]
    [InlineData(30, CriterionState.Met)]
    public void Measured_aa_gradient_above_age_over_4_plus_4_meets_c2(double gradient, CriterionState expected)
    {
        var a = Cancer(born: 1970).WithAaGradient((decimal)gradient, daysAgo: 1).Evaluate();
        State(a, CriterionId.C2, expected);
    }

    [Theory]
    [InlineData(1990, 12, CriterionState.NotMet)] // aged 36: limit 13
    [InlineData(1990, 13.5, CriterionState.Met)]
    [InlineData(1930, 28, CriterionState.NotMet)] // aged 96: limit 28
    [InlineData(1930, 28.5, CriterionState.Met)]
    public void Aa_gradient_limit_follows_the_patients_age(int born, double gradient, CriterionState expected)
    {
        var a = Cancer(born: born).WithAaGradient((decimal)gradient, daysAgo: 1).Evaluate();
        State(a, CriterionId.C2, expected);
    }

    [Theory]
    [InlineData(28.9, CriterionState.NotMet)]
    [InlineData(29.1, CriterionState.Met)]
    public void Aa_gradient_without_a_birth_date_uses_the_limit_for_age_100(double gradient, CriterionState expected)
    {
        var a = Cancer(born: null).WithAaGradient((decimal)gradient, daysAgo: 1).Evaluate();
        State(a, CriterionId.C2, expected);
    }

    // Room air: PAO2 = 0.21 × 713 − 40 / 0.8 = 99.73 mmHg; gradient = 99.73 − PaO2; limit 18 at 56.
    [Theory]
    [InlineData(82, CriterionState.NotMet)] // 17.73
    [InlineData(81, CriterionState.Met)] // 18.73
    public void Aa_gradient_is_computed_from_pao2_and_paco2_with_room_air_assumed(double pao2, CriterionState expected)
    {
        var chart = Cancer(born: 1970).WithPaO2((decimal)pao2, daysAgo: 1);
        var o2 = chart.Last;
        chart.WithPaCO2(40, daysAgo: 1);
        var a = chart.Evaluate();

        State(a, CriterionId.C2, expected);
        var e = Cited(a, CriterionId.C2, o2);
        Assert.Contains("computed", e.Finding, StringComparison.Ordinal);
        Assert.Contains("room air (21 %) assumed", e.Note, StringComparison.Ordinal);
        Assert.Equal(expected == CriterionState.Met ? EvidenceRole.Decisive : EvidenceRole.Against, e.Role);
    }

    [Fact]
    public void Aa_gradient_is_computed_with_a_recorded_fio2()
    {
        // FiO2 40 %: PAO2 = 0.40 × 713 − 50 = 235.2; PaO2 150 gives a gradient of 85.2 mmHg.
        var a = Cancer(born: 1970).WithPaO2(150, daysAgo: 1).WithPaCO2(40, daysAgo: 1).WithFiO2(40, daysAgo: 1).Evaluate();
        State(a, CriterionId.C2, CriterionState.Met);
        Assert.Contains(a[CriterionId.C2].Evidence, e => e.Finding.StartsWith("A–a gradient 85.2 mmHg computed", StringComparison.Ordinal));
    }

    [Fact]
    public void Aa_gradient_is_not_computed_on_oxygen_without_a_recorded_fio2()
    {
        var a = Cancer(born: 1970).WithPaO2(81, daysAgo: 1).WithPaCO2(40, daysAgo: 1).WithOxygenFlow(2, daysAgo: 1).Evaluate();
        Assert.DoesNotContain(a[CriterionId.C2].Evidence, e => e.Finding.Contains("computed", StringComparison.Ordinal));
    }

    [Fact]
    public void Aa_gradient_is_not_computed_from_a_paco2_taken_hours_apart()
    {
        var a = Cancer(born: 1970).WithPaO2(81, daysAgo: 1).WithPaCO2(40, daysAgo: 1.5).Evaluate();
        Assert.DoesNotContain(a[CriterionId.C2].Evidence, e => e.Finding.Contains("computed", StringComparison.Ordinal));
        State(a, CriterionId.C2, CriterionState.NotMet);
    }

    [Fact]
    public void Aa_gradient_is_computed_from_a_blood_gas_in_kpa()
    {
        // Seed 004: PaO2 8.4 kPa (63 mmHg), PaCO2 3.7 kPa (27.8 mmHg): gradient ≈ 52 mmHg, far above the limit.
        var a = Cancer(born: 1992).WithPaO2(8.4m, daysAgo: 1, unit: "kPa").WithPaCO2(3.7m, daysAgo: 1, unit: "kPa").Evaluate();
        State(a, CriterionId.C2, CriterionState.Met);
    }
}
