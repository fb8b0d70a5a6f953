using Hl7.Fhir.Model;
using PttmHooks.Clinical.Assessment;
using Evidence = PttmHooks.Clinical.Assessment.Evidence;
using Xunit;
using static PttmHooks.Clinical.Tests.Scenarios;

namespace PttmHooks.Clinical.Tests.ReportText;

/// <summary>
/// Numbers in report text (pttm-criteria.md 1.1; docs/clinical-rule.md readings 30-33): the measures an
/// echocardiography or catheterisation report states in words count as measurements, with the report as
/// their evidence and the sentence quoted.
/// </summary>
public sealed class NumbersInTextTests
{
    /// <summary>Cancer, SpO2 88 % and a negative CTPA: only the echo decides C3.</summary>
    private static Chart Base() => Cancer().WithSpO2(88, daysAgo: 1).WithCtpa(NegativeCtpa, daysAgo: 3);

    private static Evidence Measured(PttmAssessment a, string reference) =>
        a[CriterionId.C3].Evidence.FirstOrDefault(e => e.Reference == reference && e.Value is not null)
        ?? throw new Xunit.Sdk.XunitException($"C3 has no value from {reference}\n{Cases.SharedCaseTests.Explain(a)}");

    [Theory]
    [InlineData("Mild TR. Estimated RVSP 54 mmHg.", 54, "mm[Hg]", true)]
    [InlineData("PASP of 72 mmHg.", 72, "mm[Hg]", true)]
    [InlineData("PA systolic pressure is 72 mmHg.", 72, "mm[Hg]", true)]
    [InlineData("RV systolic pressure estimated at 38 mm Hg.", 38, "mm[Hg]", false)]
    [InlineData("TR jet velocity 3.4 m/s.", 3.4, "m/s", true)]
    [InlineData("TR Vmax: 3.4 m/sec", 3.4, "m/s", true)]
    [InlineData("Peak TR velocity of 340 cm/s.", 3.4, "m/s", true)]
    [InlineData("TR Vmax 2.5 m/s.", 2.5, "m/s", false)]
    [InlineData("mPAP 35", 35, "mm[Hg]", true)]
    [InlineData("Mean PA pressure 35 mmHg.", 35, "mm[Hg]", true)]
    [InlineData("Mean pulmonary arterial pressure 18 mmHg.", 18, "mm[Hg]", false)]
    [InlineData("PVR 4.5 WU.", 4.5, "[wood'U]", true)]
    [InlineData("PVR 360 dyn·s/cm5.", 4.5, "[wood'U]", true)]
    [InlineData("PVR 120 dyn.s.cm-5.", 1.5, "[wood'U]", false)]
    [InlineData("Pulmonary vascular resistance 3 Wood units.", 3, "[wood'U]", true)]
    [InlineData("TAPSE 14 mm.", 14, "mm", true)]
    [InlineData("TAPSE 1.4 cm.", 14, "mm", true)]
    [InlineData("TAPSE 22 mm.", 22, "mm", false)]
    public void A_number_in_the_echo_text_is_a_measurement(string text, double value, string unit, bool met)
    {
        var chart = Base().WithEcho(text, daysAgo: 2);
        var report = chart.Last;
        var a = chart.Evaluate();
        var e = Measured(a, report);
        Assert.Equal(value, e.Value!.Value, 6);
        Assert.Equal(unit, e.Unit);
        // The sentence that states it, quoted as written.
        Assert.NotNull(e.ValueAsWritten);
        Assert.Contains(e.ValueAsWritten, text, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", e.ValueAsWritten, StringComparison.Ordinal);
        Assert.Contains("read from the report's text", e.Note, StringComparison.Ordinal);
        State(a, CriterionId.C3, met ? CriterionState.Met : CriterionState.NotMet);
    }

    [Fact]
    public void A_long_run_of_blanks_is_read_in_time_and_the_other_sentences_count()
    {
        // Before the comparator was read atomically, a run of n blanks between a name and what is not
        // a number cost n² steps (60,000 blanks took 0.1 s; these would have taken some 10 s, past the
        // reader's 1 s limit). Now it is linear: nothing is given up on.
        var blanks = new string(' ', 600_000);
        var chart = Base().WithEcho($"Estimated RVSP 54 mmHg. TR jet velocity{blanks}x 5 m/s. TR Vmax{blanks}3.4 m/s.", daysAgo: 2);
        var report = chart.Last;

        var a = chart.Evaluate();

        Assert.DoesNotContain(a.UnreadTexts, u => u.Reference == report);
        var values = a[CriterionId.C3].Evidence.Where(e => e.Reference == report && e.Value is not null).Select(e => e.Value!.Value).ToList();
        Assert.Contains(54, values);
        Assert.Contains(3.4, values);
        State(a, CriterionId.C3, CriterionState.Met);
    }

    [Fact]
    public void A_sentence_given_up_on_is_named_as_unread_and_nothing_of_it_counts()
    {
        // A reader limited to a tick per match gives up on every sentence, on any machine.
        var hurried = new PttmRule(null, Terminology.Knowledge.Instance.WithMeasureTimeout(TimeSpan.FromTicks(1)));
        var chart = Base().WithEcho("Estimated RVSP 54 mmHg. Normal LV function.", daysAgo: 2);

        var a = hurried.Evaluate(chart.Build(), chart.Now);

        Assert.DoesNotContain(a[CriterionId.C3].Evidence, e => e.Reference == chart.Last && e.Value is not null);
        State(a, CriterionId.C3, CriterionState.Unknown);
        var unread = Assert.Single(a.UnreadTexts, u => u.Reference == chart.Last);
        Assert.Contains("the report's text: a sentence of 23 characters took too long to read for numbers (it begins \"Estimated RVSP 54 mmHg.\")", unread.Problem, StringComparison.Ordinal);
        // The only echo's number could decide C3.
        Assert.True(unread.CouldDecide);
    }

    [Theory]
    [InlineData("RVSP 35-40 mmHg.", 40, true)]
    [InlineData("RVSP 35 to 40 mmHg.", 40, true)]
    [InlineData("RVSP 30–35 mmHg.", 35, false)]
    public void A_range_counts_by_its_upper_value(string text, double value, bool met)
    {
        var chart = Base().WithEcho(text, daysAgo: 2);
        var a = chart.Evaluate();
        var e = Measured(a, chart.Last);
        Assert.Equal(value, e.Value);
        Assert.Contains("range", e.Note, StringComparison.Ordinal);
        State(a, CriterionId.C3, met ? CriterionState.Met : CriterionState.NotMet);
    }

    [Fact]
    public void A_tapse_range_counts_by_its_more_abnormal_lower_end()
    {
        var chart = Base().WithEcho("TAPSE 16-20 mm.", daysAgo: 2);
        var a = chart.Evaluate();
        Assert.Equal(16, Measured(a, chart.Last).Value);
        State(a, CriterionId.C3, CriterionState.Met);
    }

    [Theory]
    [InlineData("RVSP 45.", 45, "mm[Hg]")]
    [InlineData("mPAP 25", 25, "mm[Hg]")]
    [InlineData("TR Vmax 3.1.", 3.1, "m/s")]
    [InlineData("TAPSE 1.5.", 15, "mm")]
    [InlineData("TAPSE 15.", 15, "mm")]
    [InlineData("PVR 3.5.", 3.5, "[wood'U]")]
    [InlineData("PVR 400.", 5, "[wood'U]")]
    public void A_number_without_a_unit_takes_the_measures_usual_unit_where_unambiguous(string text, double value, string unit)
    {
        var chart = Base().WithEcho(text, daysAgo: 2);
        var a = chart.Evaluate();
        var e = Measured(a, chart.Last);
        Assert.Equal(value, e.Value!.Value, 6);
        Assert.Equal(unit, e.Unit);
        Assert.Contains("no unit written", e.Note, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("TR Vmax 30.")]
    [InlineData("PVR 35.")]
    public void An_ambiguous_bare_number_is_shown_and_decides_nothing(string text)
    {
        var chart = Base().WithEcho(text, daysAgo: 2);
        var a = chart.Evaluate();
        State(a, CriterionId.C3, CriterionState.Unknown);
        Assert.Contains(a[CriterionId.C3].Evidence, e => e.Reference == chart.Last && e.Role == EvidenceRole.Context && e.Finding.Contains("unknown unit", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("RVSP could not be estimated.")]
    [InlineData("Unable to estimate RVSP 2/2 insufficient TR jet.")]
    [InlineData("Insufficient TR jet to estimate pulmonary pressures.")]
    [InlineData("TAPSE not measured.")]
    public void A_value_that_could_not_be_measured_is_no_measurement(string text)
    {
        var chart = Base().WithEcho(text, daysAgo: 2);
        var a = chart.Evaluate();
        State(a, CriterionId.C3, CriterionState.Unknown);
        Assert.DoesNotContain(a[CriterionId.C3].Evidence, e => e.Value is not null);
        Assert.Contains(a[CriterionId.C3].Evidence, e => e.Reference == chart.Last && e.Finding.Contains("not measured", StringComparison.Ordinal));
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Possible, Indicator.Info);
    }

    [Fact]
    public void Numbers_in_the_text_of_a_ct_report_are_not_read()
    {
        // Only echocardiography and catheterisation reports state these measures (pttm-criteria.md 1.1).
        var a = Base().WithCtpa("No pulmonary embolism. Estimated PASP 72 mmHg on the prior echo.", daysAgo: 2).Evaluate();
        State(a, CriterionId.C3, CriterionState.Unknown);
    }

    [Fact]
    public void Pasp_72_only_in_the_text_is_critical_as_a_coded_one_is()
    {
        var text = Base().WithEcho("Normal LV function. PASP of 72 mmHg.", daysAgo: 2).Evaluate();
        var coded = Base().WithObservation(Chart.Coding(Chart.Loinc, "8440-0", "Pulmonary artery Systolic blood pressure"), 72, "mm[Hg]", daysAgo: 2).Evaluate();
        Decision(text, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Critical);
        Decision(coded, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Critical);
        Assert.Contains(text.IndicatorReasons, r => r.Code == "rvsp-critical");
    }

    [Fact]
    public void Mpap_in_a_catheterisation_report_text_counts_and_can_be_critical()
    {
        var a = Base().WithReport(Chart.RhcCode, "Right heart catheterisation: mPAP 42 mmHg, PVR 6.1 WU.", daysAgo: 2, category: "CTH").Evaluate();
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Critical);
        Assert.Contains(a.IndicatorReasons, r => r.Code == "mpap-critical");
    }

    [Fact]
    public void An_echo_note_with_estimated_rvsp_54_makes_c3_met()
    {
        var chart = Base().WithEchoNote("Transthoracic echocardiogram. Estimated RVSP 54 mmHg.", daysAgo: 2);
        var note = chart.Last;
        var a = chart.Evaluate();
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Warning);
        var e = Measured(a, note);
        Assert.StartsWith("DocumentReference/", e.Reference, StringComparison.Ordinal);
        Assert.Equal(EvidenceRole.Decisive, e.Role);
        Assert.Equal("Estimated RVSP 54 mmHg.", e.ValueAsWritten);
    }

    [Fact]
    public void The_seed000_picture_with_its_echo_only_as_a_note_becomes_suspected()
    {
        var file = Cases.CaseFile.Load("cases", "seed000-breast-before-perfusion-scan");
        var record = file.Record();
        // Without the coded RVSP and the echo report: PH not assessed, PTTM only possible.
        var observations = record.Observations.Where(o => o.Id != "seed000a-obs5").ToList();
        var reports = record.Reports.Where(r => r.Id != "seed000a-rep11").ToList();
        var without = new PttmRule().Evaluate(new PatientRecord(record.Patient, record.Conditions, observations, reports), file.EvaluatedAt);
        Decision(without, Recommendation.LungPerfusionScan, Suspicion.Possible, Indicator.Info);

        var note = new DocumentReference
        {
            Id = "seed000a-note1",
            Status = DocumentReferenceStatus.Current,
            Type = Chart.Concept(Chart.Loinc, "42148-7", "US Heart"),
            DateElement = new Instant(file.EvaluatedAt.AddDays(-3)),
            Content = [new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "application/pdf", Url = "Binary/echo-1" } }],
        };
        var texts = new Dictionary<Attachment, AttachmentText>(ReferenceEqualityComparer.Instance)
        {
            [note.Content[0].Attachment] = new("Mild tricuspid regurgitation, estimated RVSP 54 mmHg.", null, "Binary/echo-1"),
        };
        var with = new PttmRule().Evaluate(new PatientRecord(record.Patient, record.Conditions, observations, reports, [note], texts), file.EvaluatedAt);
        Decision(with, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Critical);
        var e = Measured(with, "DocumentReference/seed000a-note1");
        Assert.Contains("from the attached report (Binary/echo-1)", e.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void A_coded_observation_of_the_same_value_from_the_same_study_is_not_counted_twice()
    {
        var chart = Base().WithEchoRvsp(54, daysAgo: 2);
        var observation = chart.Last;
        var a = chart.WithEcho("Estimated RVSP 54 mmHg.", daysAgo: 2).Evaluate();
        var values = a[CriterionId.C3].Evidence.Where(e => e.Value is not null).ToList();
        Assert.Equal(observation, Assert.Single(values).Reference);
    }

    [Fact]
    public void A_text_value_that_differs_from_the_coded_one_counts_and_the_more_abnormal_decides()
    {
        var chart = Base().WithEchoRvsp(45, daysAgo: 2).WithEcho("Estimated RVSP 65 mmHg.", daysAgo: 2);
        var report = chart.Last;
        var a = chart.Evaluate();
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Critical);
        Assert.Equal(report, a[CriterionId.C3].Evidence.Single(e => e.Value is not null).Reference);
    }

    [Fact]
    public void A_preliminary_echo_note_counts_and_is_marked()
    {
        var chart = Base().WithNote(Chart.Concept(Chart.Loinc, "42148-7", "US Heart"), "RVSP 50 mmHg.", daysAgo: 2, docStatus: CompositionStatus.Preliminary);
        var a = chart.Evaluate();
        Assert.True(Measured(a, chart.Last).Preliminary);
        State(a, CriterionId.C3, CriterionState.Met);
    }

    [Fact]
    public void The_reader_never_throws_and_gives_up_on_pathological_text()
    {
        var hostile = "RVSP " + string.Concat(Enumerable.Repeat("of is was at about ", 20_000)) + "54";
        var (measures, _, unread) = Terminology.Knowledge.Instance.Measures.Read(hostile);
        // Either the number was read in time, or the sentence is returned as unread: never both, never neither.
        Assert.Equal(1, measures.Count + unread.Count);
    }
}
