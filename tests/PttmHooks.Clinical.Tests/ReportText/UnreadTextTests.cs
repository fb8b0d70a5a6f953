using Hl7.Fhir.Model;
using PttmHooks.Clinical.Assessment;
using Xunit;
using static PttmHooks.Clinical.Tests.Scenarios;

namespace PttmHooks.Clinical.Tests.ReportText;

/// <summary>
/// Texts that could not be read (pttm-criteria.md 1.1; docs/clinical-rule.md readings 34-35): which
/// attachments the rule asks for, and which unread ones the decision could depend on.
/// </summary>
public sealed class UnreadTextTests
{
    private static readonly PttmRule Rule = new();

    private static Chart Base() => Cancer().WithSpO2(88, daysAgo: 1).WithEchoRvsp(45, daysAgo: 2);

    private static UnreadText Unread(PttmAssessment a, string reference) =>
        a.UnreadTexts.FirstOrDefault(u => u.Reference == reference)
        ?? throw new Xunit.Sdk.XunitException($"{reference} is not named as unread: [{string.Join(", ", a.UnreadTexts)}]");

    [Fact]
    public void An_unreadable_ctpa_without_another_could_decide()
    {
        var chart = Base().WithAttachedReport(Chart.CtpaCode, null, daysAgo: 3, problem: "Binary/x timed out");
        var report = chart.Last;
        var a = chart.Evaluate();
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Possible, Indicator.Info);
        var u = Unread(a, report);
        Assert.True(u.CouldDecide);
        Assert.Contains("timed out", u.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_ctpa_beside_a_negative_one_could_still_show_pe()
    {
        var chart = Base().WithCtpa(NegativeCtpa, daysAgo: 4).WithAttachedReport(Chart.CtpaCode, null, daysAgo: 2, problem: "Binary/x: 503");
        var a = chart.Evaluate();
        State(a, CriterionId.C4, CriterionState.Met);
        Assert.True(Unread(a, chart.Last).CouldDecide);
    }

    [Fact]
    public void An_unreadable_ctpa_cannot_undo_a_recorded_pulmonary_embolism()
    {
        var chart = Base().WithPeCondition(daysAgo: 5).WithAttachedReport(Chart.CtpaCode, null, daysAgo: 2, problem: "Binary/x: 503");
        var a = chart.Evaluate();
        Decision(a, Recommendation.None);
        Assert.False(Unread(a, chart.Last).CouldDecide);
    }

    [Fact]
    public void Without_a_solid_malignancy_nothing_unread_could_decide()
    {
        var chart = Chart.For("p1").WithSpO2(85, daysAgo: 1).WithAttachedReport(Chart.CtpaCode, null, daysAgo: 2, problem: "Binary/x: 503");
        Assert.False(Unread(chart.Evaluate(), chart.Last).CouldDecide);
    }

    [Fact]
    public void An_unreadable_ctpa_older_than_the_window_is_neither_asked_for_nor_named()
    {
        var chart = Base().WithAttachedReport(Chart.CtpaCode, null, daysAgo: 120, problem: "Binary/x: 503");
        var report = chart.Last;
        var a = chart.Evaluate();
        Assert.DoesNotContain(a.UnreadTexts, u => u.Reference == report);

        var unread = Base().WithReport(Chart.CtpaCode, null, daysAgo: 120);
        var record = unread.Build();
        record.Reports.Single().PresentedForm.Add(new Attachment { ContentType = "application/pdf", Url = "Binary/old" });
        Assert.Empty(Rule.AttachmentsToRead(record, unread.Now));
    }

    [Fact]
    public void An_unreadable_echo_when_ph_is_met_and_the_card_critical_cannot_change_the_decision()
    {
        var chart = Cancer().WithSpO2(80, daysAgo: 1).WithEchoRvsp(45, daysAgo: 2).WithCtpa(NegativeCtpa, daysAgo: 3)
            .WithAttachedReport(Chart.EchoCode, null, daysAgo: 2, problem: "Binary/e: 404", category: "CUS");
        var a = chart.Evaluate();
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Critical);
        Assert.False(Unread(a, chart.Last).CouldDecide);
    }

    [Fact]
    public void An_unreadable_echo_when_the_card_is_a_warning_could_raise_it_to_critical()
    {
        var chart = Base().WithCtpa(NegativeCtpa, daysAgo: 3).WithAttachedReport(Chart.EchoCode, null, daysAgo: 2, problem: "Binary/e: 404", category: "CUS");
        var a = chart.Evaluate();
        Decision(a, Recommendation.LungPerfusionScan, Suspicion.Suspected, Indicator.Warning);
        Assert.True(Unread(a, chart.Last).CouldDecide);
    }

    [Fact]
    public void An_unreadable_imaging_note_of_unknown_kind_is_named_and_could_decide()
    {
        var chart = Base().WithNote(Chart.Concept(Chart.Loinc, "18748-4", "Diagnostic imaging study"), null, daysAgo: 2, problem: "application/msword is not read");
        var a = chart.Evaluate();
        var u = Unread(a, chart.Last);
        Assert.StartsWith("DocumentReference/", u.Reference, StringComparison.Ordinal);
        Assert.True(u.CouldDecide);
    }

    [Fact]
    public void Only_attachments_of_the_kinds_the_rule_reads_are_asked_for()
    {
        var chart = Base()
            .WithReport(Chart.Concept(Chart.Loinc, "58410-2", "CBC panel - Blood by Automated count"), null, daysAgo: 1, category: "LAB")
            .WithReport(Chart.CtpaCode, null, daysAgo: 3)
            .WithNote(Chart.Concept(Chart.Loinc, "11506-3", "Progress note"), "Doing well.", daysAgo: 1, byUrl: true)
            .WithReport(Chart.Concept(Chart.Local, "PATH-CYTO-PAWEDGE", "Cytology, pulmonary artery wedge blood"), null, daysAgo: 400, category: "CP");
        var record = chart.Build();
        foreach (var report in record.Reports)
        {
            report.PresentedForm.Add(new Attachment { ContentType = "application/pdf", Url = "Binary/" + report.Id });
        }

        // A note already read is not asked for again; the progress note is not of a kind the rule reads.
        var wanted = Rule.AttachmentsToRead(record, chart.Now).Select(w => w.Owner.Id).ToList();
        Assert.Equal(["p1-rep5", "p1-rep7"], wanted);

        var given = new Dictionary<Attachment, AttachmentText>(ReferenceEqualityComparer.Instance)
        {
            [record.Reports.Single(r => r.Id == "p1-rep5").PresentedForm[0]] = new("No pulmonary embolism.", null, "Binary/p1-rep5"),
        };
        Assert.Equal(["p1-rep7"], Rule.AttachmentsToRead(record.WithAttachmentTexts(given), chart.Now).Select(w => w.Owner.Id));
    }

    [Fact]
    public void An_unreadable_cytology_could_withdraw_a_card_but_not_make_one()
    {
        var cytology = Chart.Concept(Chart.Local, "PATH-CYTO-PAWEDGE", "Cytology, pulmonary artery wedge blood");
        var card = Scenarios.Suspected().WithAttachedReport(cytology, null, daysAgo: 1, problem: "Binary/c: 404", category: "CP");
        Assert.True(Unread(card.Evaluate(), card.Last).CouldDecide);
        var none = Cancer().WithAttachedReport(cytology, null, daysAgo: 1, problem: "Binary/c: 404", category: "CP");
        Assert.False(Unread(none.Evaluate(), none.Last).CouldDecide);
    }
}
