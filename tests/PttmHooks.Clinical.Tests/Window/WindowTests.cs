using PttmHooks.Clinical.Assessment;
using Xunit;
using static PttmHooks.Clinical.Tests.Scenarios;

namespace PttmHooks.Clinical.Tests.Window;

/// <summary>The 90-day look-back window for presentation findings (a malignancy counts at any age).</summary>
public sealed class WindowTests
{
    private static readonly TimeSpan NinetyDays = TimeSpan.FromDays(90);

    [Fact]
    public void Finding_exactly_90_days_before_now_counts()
    {
        var a = Cancer().WithSpO2(85, daysAgo: NinetyDays).Evaluate();
        State(a, CriterionId.C2, CriterionState.Met);
    }

    [Fact]
    public void Finding_90_days_and_a_minute_before_now_does_not_count()
    {
        var a = Cancer().WithSpO2(85, daysAgo: NinetyDays + TimeSpan.FromMinutes(1)).Evaluate();
        State(a, CriterionId.C2, CriterionState.Unknown);
    }

    [Fact]
    public void Pulmonary_hypertension_measured_exactly_90_days_before_now_counts()
    {
        State(Cancer().WithEchoRvsp(54, daysAgo: NinetyDays).Evaluate(), CriterionId.C3, CriterionState.Met);
        State(Cancer().WithEchoRvsp(54, daysAgo: NinetyDays + TimeSpan.FromMinutes(1)).Evaluate(), CriterionId.C3, CriterionState.Unknown);
    }

    [Fact]
    public void Dyspnea_with_onset_exactly_90_days_before_now_counts()
    {
        State(Cancer().WithDyspnea(daysAgo: NinetyDays).Evaluate(), CriterionId.C2, CriterionState.Met);
        State(Cancer().WithDyspnea(daysAgo: NinetyDays + TimeSpan.FromMinutes(1)).Evaluate(), CriterionId.C2, CriterionState.Unknown);
    }

    [Fact]
    public void A_malignancy_counts_at_any_age_of_record()
    {
        State(Chart.For("p1").WithSolidCancer(daysAgo: 30 * 365).Evaluate(), CriterionId.C1, CriterionState.Met);
    }

    [Fact]
    public void The_window_is_configurable()
    {
        var options = new PttmRuleOptions { LookBack = TimeSpan.FromDays(120) };
        State(Cancer().WithSpO2(85, daysAgo: 100).Evaluate(options), CriterionId.C2, CriterionState.Met);
        State(Cancer().WithSpO2(85, daysAgo: 100).Evaluate(), CriterionId.C2, CriterionState.Unknown);
    }

    [Fact]
    public void A_result_dated_up_to_a_day_after_now_still_counts()
    {
        State(Cancer().WithSpO2(85, daysAgo: -1).Evaluate(), CriterionId.C2, CriterionState.Met);
    }

    [Fact]
    public void A_result_dated_more_than_a_day_after_now_is_ignored()
    {
        State(Cancer().WithSpO2(85, daysAgo: -1.01).Evaluate(), CriterionId.C2, CriterionState.Unknown);
    }

    [Fact]
    public void Evaluated_at_and_window_start_are_reported()
    {
        var a = Cancer().Evaluate();
        Assert.Equal(Chart.DefaultNow, a.EvaluatedAt);
        Assert.Equal(Chart.DefaultNow - NinetyDays, a.WindowStart);
    }

    [Fact]
    public void A_day_precision_date_counts_if_any_part_of_the_day_is_in_the_window()
    {
        // "2026-08-22" spans the whole day; the window starts on 2026-08-22 at 12:00.
        var chart = Cancer();
        var observation = new Hl7.Fhir.Model.Observation
        {
            Id = "p1-day",
            Status = Hl7.Fhir.Model.ObservationStatus.Final,
            Code = Chart.Concept(Chart.Loinc, "59408-5"),
            Effective = new Hl7.Fhir.Model.FhirDateTime("2026-08-22"),
            Value = Chart.Quantity(85, "%"),
        };
        State(chart.With(observation).Evaluate(), CriterionId.C2, CriterionState.Met);
    }
}
