using Hl7.Fhir.Model;
using PttmHooks.Clinical.Assessment;
using Xunit;
using static PttmHooks.Clinical.Tests.Scenarios;

namespace PttmHooks.Clinical.Tests.Status;

/// <summary>pttm-criteria.md, Inputs: which resources never count, and how preliminary ones count.</summary>
public sealed class StatusRuleTests
{
    [Theory]
    [InlineData("refuted")]
    [InlineData("entered-in-error")]
    public void Refuted_or_entered_in_error_cancer_does_not_meet_c1(string verification)
    {
        var chart = Chart.For("p1").WithSolidCancer(verificationStatus: verification);
        var a = chart.Evaluate();
        State(a, CriterionId.C1, CriterionState.NotMet);
        NotCited(a, chart.Last);
    }

    [Theory]
    [InlineData("unconfirmed")]
    [InlineData("provisional")]
    [InlineData("confirmed")]
    [InlineData(null)]
    public void Unconfirmed_or_provisional_cancer_counts(string? verification)
    {
        var chart = Chart.For("p1").WithSolidCancer(verificationStatus: verification);
        State(chart.Evaluate(), CriterionId.C1, CriterionState.Met);
    }

    [Fact]
    public void Unconfirmed_condition_is_noted_on_its_evidence()
    {
        var chart = Chart.For("p1").WithSolidCancer(verificationStatus: "unconfirmed");
        Assert.Contains("unconfirmed", Cited(chart.Evaluate(), CriterionId.C1, chart.Last).Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Entered_in_error_pe_condition_does_not_make_c4_not_met()
    {
        var a = Suspected().WithCondition(Chart.Coding(Chart.Icd10Cm, "I26.99"), daysAgo: 1, verificationStatus: "entered-in-error").Evaluate();
        State(a, CriterionId.C4, CriterionState.Met);
    }

    [Theory]
    [InlineData(ObservationStatus.EnteredInError)]
    [InlineData(ObservationStatus.Cancelled)]
    [InlineData(ObservationStatus.Registered)]
    public void Entered_in_error_cancelled_or_registered_observations_never_count(ObservationStatus status)
    {
        var chart = Cancer().WithSpO2(80, daysAgo: 1, status: status);
        var a = chart.Evaluate();
        State(a, CriterionId.C2, CriterionState.Unknown);
        NotCited(a, chart.Last);
    }

    [Theory]
    [InlineData(ObservationStatus.Final)]
    [InlineData(ObservationStatus.Amended)]
    [InlineData(ObservationStatus.Corrected)]
    public void Final_amended_and_corrected_observations_count(ObservationStatus status)
    {
        var chart = Cancer().WithSpO2(80, daysAgo: 1, status: status);
        var a = chart.Evaluate();
        State(a, CriterionId.C2, CriterionState.Met);
        Assert.False(Cited(a, CriterionId.C2, chart.Last).Preliminary);
    }

    [Fact]
    public void Preliminary_observation_counts_and_is_marked_preliminary()
    {
        var chart = Cancer().WithEchoRvsp(54, daysAgo: 1, status: ObservationStatus.Preliminary);
        var a = chart.Evaluate();
        State(a, CriterionId.C3, CriterionState.Met);
        var e = Cited(a, CriterionId.C3, chart.Last);
        Assert.True(e.Preliminary);
        Assert.Equal(EvidenceRole.Decisive, e.Role);
        Assert.True(a.HasPreliminaryEvidence);
    }

    [Fact]
    public void Observation_with_a_data_absent_reason_and_no_value_does_not_count()
    {
        var chart = Cancer().WithObservation(Chart.Coding(Chart.Loinc, "59408-5"), value: null, daysAgo: 1, dataAbsentReason: Chart.DataAbsent("error"));
        var a = chart.Evaluate();
        State(a, CriterionId.C2, CriterionState.Unknown);
        NotCited(a, chart.Last);
    }

    [Fact]
    public void Observation_with_a_data_absent_reason_never_counts_even_with_a_value()
    {
        // Invalid FHIR (obs-6), but seen: the data-absent reason wins.
        var chart = Cancer().WithObservation(Chart.Coding(Chart.Loinc, "59408-5"), Chart.Quantity(80, "%"), daysAgo: 1, dataAbsentReason: Chart.DataAbsent());
        State(chart.Evaluate(), CriterionId.C2, CriterionState.Unknown);
    }

    [Fact]
    public void Component_with_a_data_absent_reason_does_not_count()
    {
        var panel = new Observation.ComponentComponent
        {
            Code = Chart.Concept(Chart.Loinc, "2703-7"),
            DataAbsentReason = Chart.DataAbsent("error"),
            Value = Chart.Quantity(40, "mm[Hg]"),
        };
        var chart = Cancer().WithObservation(Chart.Concept(Chart.Loinc, "24336-0", "Gas panel - Arterial blood"), null, daysAgo: 1, components: [panel]);
        State(chart.Evaluate(), CriterionId.C2, CriterionState.Unknown);
    }

    [Fact]
    public void Blood_gas_panel_components_count()
    {
        var pao2 = new Observation.ComponentComponent { Code = Chart.Concept(Chart.Loinc, "2703-7"), Value = Chart.Quantity(52, "mm[Hg]") };
        var chart = Cancer().WithObservation(Chart.Concept(Chart.Loinc, "24336-0", "Gas panel - Arterial blood"), null, daysAgo: 1, components: [pao2]);
        var a = chart.Evaluate();
        State(a, CriterionId.C2, CriterionState.Met);
        Cited(a, CriterionId.C2, chart.Last);
    }

    [Theory]
    [InlineData(DiagnosticReport.DiagnosticReportStatus.EnteredInError)]
    [InlineData(DiagnosticReport.DiagnosticReportStatus.Cancelled)]
    [InlineData(DiagnosticReport.DiagnosticReportStatus.Registered)]
    public void Entered_in_error_cancelled_or_registered_reports_never_count(DiagnosticReport.DiagnosticReportStatus status)
    {
        var chart = Cancer().WithCtpa(NegativeCtpa, daysAgo: 2, status: status);
        var a = chart.Evaluate();
        State(a, CriterionId.C4, CriterionState.Unknown);
        NotCited(a, chart.Last);
    }

    [Fact]
    public void Entered_in_error_positive_ctpa_does_not_hide_a_negative_one()
    {
        var a = Suspected().WithCtpa("Acute pulmonary embolism.", daysAgo: 1, status: DiagnosticReport.DiagnosticReportStatus.EnteredInError).Evaluate();
        State(a, CriterionId.C4, CriterionState.Met);
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Warning);
    }

    [Theory]
    [InlineData(DiagnosticReport.DiagnosticReportStatus.Preliminary)]
    [InlineData(DiagnosticReport.DiagnosticReportStatus.Partial)]
    public void Preliminary_or_partial_report_counts_and_is_marked_preliminary(DiagnosticReport.DiagnosticReportStatus status)
    {
        var chart = Cancer().WithCtpa(NegativeCtpa, daysAgo: 2, status: status);
        var a = chart.Evaluate();
        State(a, CriterionId.C4, CriterionState.Met);
        Assert.True(Cited(a, CriterionId.C4, chart.Last).Preliminary);
    }

    [Theory]
    [InlineData(DiagnosticReport.DiagnosticReportStatus.Final)]
    [InlineData(DiagnosticReport.DiagnosticReportStatus.Amended)]
    [InlineData(DiagnosticReport.DiagnosticReportStatus.Corrected)]
    [InlineData(DiagnosticReport.DiagnosticReportStatus.Appended)]
    public void Final_and_amended_reports_count_and_are_not_preliminary(DiagnosticReport.DiagnosticReportStatus status)
    {
        var chart = Cancer().WithCtpa(NegativeCtpa, daysAgo: 2, status: status);
        var a = chart.Evaluate();
        State(a, CriterionId.C4, CriterionState.Met);
        Assert.False(Cited(a, CriterionId.C4, chart.Last).Preliminary);
    }
}
