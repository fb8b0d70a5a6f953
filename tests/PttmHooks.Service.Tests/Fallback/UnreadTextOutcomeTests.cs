using PttmHooks.Clinical;
using PttmHooks.Clinical.Assessment;
using PttmHooks.Reading.Gathering;
using Attachment = Hl7.Fhir.Model.Attachment;

namespace PttmHooks.Service.Tests.Fallback;

/// <summary>
/// What the service does with a text that could not be read: one the decision could depend on is
/// an issue of the 412 naming the attachment (as a missing key is), any other a line of "About the
/// data". The rule names the texts (<see cref="PttmAssessment.UnreadTexts"/>); these tests give it
/// its answer, so that the service's side holds whatever the rule's reading of texts becomes.
/// </summary>
public sealed class UnreadTextOutcomeTests
{
    private static readonly Attachment s_attachment = new() { ContentType = "text/plain", Url = "Binary/9" };

    private static AttachmentReading Reading(string owner = "DiagnosticReport/7") =>
        new(PatientRecord.Empty, [new AttachmentRead(owner, "presentedForm[0]", s_attachment,
            new AttachmentText(null, "Binary/9 could not be fetched: the FHIR server refused the access token (401)", "Binary/9"), "fhir", "unauthorized")]);

    private static PttmAssessment Assessment(params UnreadText[] unread) =>
        new PttmRule().Evaluate(PatientRecord.Empty, new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero)) with { UnreadTexts = unread };

    [Fact]
    public void A_text_that_could_decide_is_an_issue_naming_the_attachment_and_why()
    {
        var (issues, notes) = UnreadTextOutcome.Decide(Assessment(new UnreadText("DiagnosticReport/7", "its text could not be fetched", CouldDecide: true)), Reading(), settled: false);

        var issue = Assert.Single(issues);
        Assert.Equal("DiagnosticReport/7.presentedForm[0]", issue.Expression);
        Assert.Contains("refused the access token (401)", issue.Message, StringComparison.Ordinal);
        Assert.Contains("could depend on it", issue.Message, StringComparison.Ordinal);
        Assert.Empty(notes);
    }

    [Fact]
    public void A_text_that_could_decide_is_a_note_when_the_answer_is_settled_without_it()
    {
        var (issues, notes) = UnreadTextOutcome.Decide(Assessment(new UnreadText("DiagnosticReport/7", "p", CouldDecide: true)), Reading(), settled: true);

        Assert.Empty(issues);
        Assert.Equal("The text of DiagnosticReport/7 could not be read: Binary/9 could not be fetched: the FHIR server refused the access token (401).", Assert.Single(notes));
    }

    [Fact]
    public void A_text_that_cannot_decide_and_one_the_rule_did_not_name_are_notes_once_each()
    {
        var reading = new AttachmentReading(PatientRecord.Empty, [.. Reading().Reads, .. Reading("DocumentReference/n1").Reads]);

        var (issues, notes) = UnreadTextOutcome.Decide(Assessment(new UnreadText("DiagnosticReport/7", "p", CouldDecide: false)), reading, settled: false);

        Assert.Empty(issues);
        Assert.Equal(2, notes.Count);
        Assert.StartsWith("The text of DiagnosticReport/7 ", notes[0], StringComparison.Ordinal);
        Assert.StartsWith("The text of DocumentReference/n1 ", notes[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_text_the_rule_names_without_a_read_is_named_by_its_report()
    {
        var (issues, _) = UnreadTextOutcome.Decide(Assessment(new UnreadText("DiagnosticReport/8", "application/msword is not read", CouldDecide: true)), Reading(), settled: false);

        Assert.Equal("DiagnosticReport/8", Assert.Single(issues).Expression);
    }
}
