using System.Text;
using Hl7.Fhir.Model;
using PttmHooks.Clinical.Assessment;
using Xunit;
using static PttmHooks.Clinical.Tests.Scenarios;

namespace PttmHooks.Clinical.Tests.ReportText;

/// <summary>
/// Report text, wherever the EHR puts it (pttm-criteria.md 1.1; docs/clinical-rule.md readings 28-29):
/// attachments read before the rule, inline text, narrative result Observations, and clinical notes.
/// </summary>
public sealed class ReportTextWhereverTests
{
    /// <summary>Cancer, SpO2 88 % and a coded RVSP of 45 mmHg: the CT decides C4.</summary>
    private static Chart Base() => Cancer().WithSpO2(88, daysAgo: 1).WithEchoRvsp(45, daysAgo: 2);

    [Fact]
    public void A_ctpa_whose_text_is_only_an_attachment_excludes_pe_and_says_where_the_sentence_came_from()
    {
        var chart = Base().WithAttachedReport(Chart.CtpaCode, "CT PULMONARY ANGIOGRAM\nIMPRESSION: No evidence of pulmonary embolism.", daysAgo: 3);
        var report = chart.Last;
        var a = chart.Evaluate();
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Warning);
        var e = Cited(a, CriterionId.C4, report);
        Assert.Equal(EvidenceRole.Decisive, e.Role);
        Assert.Equal("IMPRESSION: No evidence of pulmonary embolism", e.ValueAsWritten);
        Assert.Contains($"from the attached report (Binary/{report["DiagnosticReport/".Length..]}-bin)", e.Note, StringComparison.Ordinal);
        Assert.Empty(a.UnreadTexts);
    }

    [Fact]
    public void A_positive_ctpa_in_an_attachment_silences_the_card()
    {
        var a = Base().WithAttachedReport(Chart.CtpaCode, "Acute pulmonary emboli in both lower lobe arteries.", daysAgo: 3).Evaluate();
        State(a, CriterionId.C4, CriterionState.NotMet);
        Decision(a, Recommendation.None);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void A_ctpa_whose_impression_is_a_narrative_result_observation_counts(bool absolute, bool contained)
    {
        var chart = Base().WithNarrativeReport(Chart.CtpaCode, "No pulmonary embolism.", daysAgo: 3, absolute: absolute, contained: contained);
        var report = chart.Last;
        var a = chart.Evaluate();
        State(a, CriterionId.C4, CriterionState.Met);
        Assert.Contains("from result Observation/", Cited(a, CriterionId.C4, report).Note, StringComparison.Ordinal);
    }

    [Fact]
    public void A_narrative_result_entered_in_error_is_not_read()
    {
        var chart = Base().WithNarrativeReport(Chart.CtpaCode, "No pulmonary embolism.", daysAgo: 3);
        var record = chart.Build();
        record.Observations.Single(o => o.Value is FhirString).Status = ObservationStatus.EnteredInError;
        var a = new PttmRule().Evaluate(record, chart.Now);
        State(a, CriterionId.C4, CriterionState.Unknown);
    }

    [Theory]
    [InlineData("Pulmonary embolism cannot be excluded.")]
    [InlineData("Subsegmental PE cannot be ruled out.")]
    [InlineData("Indeterminate for pulmonary embolism.")]
    [InlineData("Non-diagnostic for PE.")]
    [InlineData("Limited study due to respiratory motion. No central pulmonary embolism.")]
    [InlineData("Suboptimal contrast opacification of the pulmonary arteries. No pulmonary embolism seen.")]
    public void Uncertainty_is_not_negation_in_an_attachment_or_a_narrative_result(string text)
    {
        foreach (var chart in new[]
        {
            Base().WithCtpa(text, daysAgo: 3),
            Base().WithAttachedReport(Chart.CtpaCode, text, daysAgo: 3),
            Base().WithNarrativeReport(Chart.CtpaCode, text, daysAgo: 3),
        })
        {
            var a = chart.Evaluate();
            State(a, CriterionId.C4, CriterionState.Unknown);
            Assert.Contains(a[CriterionId.C4].Evidence, e => e.Finding.Contains("indeterminate", StringComparison.Ordinal));
            Decision(a, Recommendation.LungPerfusionScan, Suspicion.Possible, Indicator.Info);
        }
    }

    [Fact]
    public void An_indeterminate_ct_does_not_undo_another_negative_one()
    {
        var a = Base().WithCtpa(NegativeCtpa, daysAgo: 5).WithAttachedReport(Chart.CtpaCode, "Limited study.", daysAgo: 3).Evaluate();
        State(a, CriterionId.C4, CriterionState.Met);
    }

    [Theory]
    [InlineData("text/plain", "No evidence of pulmonary embolism.")]
    [InlineData("text/html", "<p>Impression:</p><ul><li>No evidence of pulmonary embolism.</li></ul>")]
    [InlineData("text/plain; charset=utf-8", "No evidence of pulmonary embolism.")]
    public void Inline_text_is_still_read_where_the_reading_step_did_not_run(string type, string text)
    {
        var a = Base().WithReport(Chart.CtpaCode, null, daysAgo: 3, presentedText: text, presentedType: type).Evaluate();
        State(a, CriterionId.C4, CriterionState.Met);
        Assert.Empty(a.UnreadTexts);
    }

    [Fact]
    public void The_text_the_reading_step_gave_wins_over_the_inline_data()
    {
        var chart = Base().WithReport(Chart.CtpaCode, null, daysAgo: 3, presentedText: "%PDF-1.7 binary", presentedType: "application/pdf");
        var record = chart.Build();
        var attachment = record.Reports.Single().PresentedForm.Single();
        var a = new PttmRule().Evaluate(
            record.WithAttachmentTexts(new Dictionary<Attachment, AttachmentText>(ReferenceEqualityComparer.Instance) { [attachment] = new("No pulmonary embolism.", null, "inline") }),
            chart.Now);
        State(a, CriterionId.C4, CriterionState.Met);
    }

    [Theory]
    [InlineData("18748-4", "Diagnostic imaging study", "CT pulmonary angiogram. Impression: no pulmonary embolism.")]
    [InlineData("72251-2", "CT Pulmonary arteries for pulmonary embolus", "Impression: no pulmonary embolism.")]
    public void An_imaging_note_counts_as_a_report_of_its_kind(string code, string display, string text)
    {
        var chart = Base().WithNote(Chart.Concept(Chart.Loinc, code, display), text, daysAgo: 3);
        var note = chart.Last;
        var a = chart.Evaluate();
        State(a, CriterionId.C4, CriterionState.Met);
        Assert.Equal("DocumentReference", Cited(a, CriterionId.C4, note).ResourceType);
    }

    [Fact]
    public void A_note_of_a_cardiac_ultrasound_category_is_an_echocardiogram()
    {
        var cus = Chart.Concept("http://terminology.hl7.org/CodeSystem/v2-0074", "CUS", "Cardiac Ultrasound");
        var chart = Cancer().WithSpO2(88, daysAgo: 1).WithCtpa(NegativeCtpa, daysAgo: 3)
            .WithNote(Chart.Concept(Chart.Local, "DOC-991", "Study report"), "Dilated right ventricle with septal flattening.", daysAgo: 2, category: [cus]);
        var a = chart.Evaluate();
        State(a, CriterionId.C3, CriterionState.Met);
        Assert.Equal(EvidenceRole.Decisive, Cited(a, CriterionId.C3, chart.Last).Role);
    }

    [Fact]
    public void A_progress_note_that_mentions_a_ctpa_is_not_a_ctpa_report()
    {
        // Second-hand statements in progress or discharge notes are not studies (reading 29).
        var chart = Base().WithNote(Chart.Concept(Chart.Loinc, "11506-3", "Progress note"), "Admitted for dyspnea. CTPA: acute pulmonary embolism.", daysAgo: 3);
        var a = chart.Evaluate();
        State(a, CriterionId.C4, CriterionState.Unknown);
        NotCited(a, chart.Last);
    }

    [Theory]
    [InlineData(DocumentReferenceStatus.EnteredInError, CompositionStatus.Final)]
    [InlineData(DocumentReferenceStatus.Current, CompositionStatus.EnteredInError)]
    [InlineData(DocumentReferenceStatus.Superseded, CompositionStatus.Final)]
    public void An_erroneous_or_superseded_note_never_counts(DocumentReferenceStatus status, CompositionStatus docStatus)
    {
        var chart = Base().WithNote(Chart.Concept(Chart.Loinc, "72251-2", "CT Pulmonary arteries"), "Acute pulmonary embolism.", daysAgo: 3, status: status, docStatus: docStatus);
        var a = chart.Evaluate();
        State(a, CriterionId.C4, CriterionState.Unknown);
        NotCited(a, chart.Last);
    }

    [Fact]
    public void A_note_without_a_date_is_dated_by_its_context_period()
    {
        var recent = Base().WithNote(Chart.Concept(Chart.Loinc, "72251-2", "CT Pulmonary arteries"), NegativeCtpa, daysAgo: 3, periodOnly: true).Evaluate();
        State(recent, CriterionId.C4, CriterionState.Met);
        var old = Base().WithNote(Chart.Concept(Chart.Loinc, "72251-2", "CT Pulmonary arteries"), NegativeCtpa, daysAgo: 120, periodOnly: true).Evaluate();
        State(old, CriterionId.C4, CriterionState.Unknown);
    }

    [Fact]
    public void A_cytology_note_by_a_pathology_code_establishes_pttm()
    {
        var chart = Suspected().WithNote(Chart.Concept(Chart.Loinc, "11526-1", "Pathology study"),
            "Cytology of wedged pulmonary artery blood: malignant cells consistent with adenocarcinoma.", daysAgo: 1);
        var a = chart.Evaluate();
        State(a, CriterionId.C7, CriterionState.Met);
        Decision(a, Recommendation.None);
    }

    [Fact]
    public void The_conclusion_and_an_attachment_are_read_as_one_text()
    {
        // The attachment adds a positive finding the conclusion does not state: any affirmed mention is positive.
        var chart = Base().WithAttachedReport(Chart.CtpaCode, "Findings: small filling defect in a right lower lobe segmental artery.", daysAgo: 3, conclusion: "See report.");
        State(chart.Evaluate(), CriterionId.C4, CriterionState.NotMet);
    }

    [Fact]
    public void A_sentence_never_reaches_from_one_part_into_the_next()
    {
        // "No" at the end of the conclusion does not negate the attachment's first words.
        var text = new StringBuilder().Append("Pulmonary embolism in the right lower lobe.").ToString();
        var chart = Base().WithAttachedReport(Chart.CtpaCode, text, daysAgo: 3, conclusion: "Compared with prior: no");
        State(chart.Evaluate(), CriterionId.C4, CriterionState.NotMet);
    }
}
