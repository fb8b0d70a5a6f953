using PttmHooks.Clinical.Assessment;
using PttmHooks.Reading.CdsHooks;
using static Hl7.Fhir.Model.OperationOutcome;

namespace PttmHooks.Reading.Gathering;

/// <summary>
/// What the service does with report and note texts that could not be read (pttm-criteria.md 1.1,
/// "Report text, wherever the EHR puts it"): a text the decision could depend on counts as missing
/// data (an issue of the 412, naming the attachment and why), any other is a line of the card's
/// "About the data".
/// </summary>
internal static class UnreadTextOutcome
{
    /// <summary>
    /// The 412's issues for the texts that could decide (empty when none could), and the card's
    /// notes for the others. <paramref name="settled"/> is true when the answer cannot depend on
    /// missing data at all (<c>MissingData.SettledWithout</c>): every unread text is then a note.
    /// </summary>
    public static (IReadOnlyList<RequestIssue> Issues, IReadOnlyList<string> Notes) Decide(
        PttmAssessment assessment, AttachmentReading reading, bool settled)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        ArgumentNullException.ThrowIfNull(reading);
        var unread = reading.Unread.ToList();
        var issues = new List<RequestIssue>();
        var notes = new List<string>();
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var text in assessment.UnreadTexts)
        {
            if (!named.Add(text.Reference))
            {
                continue;
            }

            var reads = unread.Where(r => r.Owner == text.Reference).ToList();
            if (text.CouldDecide && !settled)
            {
                issues.AddRange(reads.Count == 0
                    ? [Issue(text.Reference, text.Reference, text.Problem)]
                    : reads.Select(r => Issue(text.Reference, r.Expression, r.Text.Problem ?? text.Problem)));
            }
            else
            {
                notes.Add(AttachmentReading.Note(text.Reference, reads.Count == 0 ? [text.Problem] : reads.Select(r => r.Text.Problem ?? text.Problem)));
            }
        }

        // Texts the rule did not name (it names only those of the kinds it reads): a note each, so
        // that no text that could not be read goes unmentioned.
        foreach (var owner in unread.GroupBy(r => r.Owner, StringComparer.Ordinal))
        {
            if (named.Add(owner.Key))
            {
                notes.Add(AttachmentReading.Note(owner.Key, owner.Select(r => r.Text.Problem ?? "it could not be read")));
            }
        }

        return (issues, notes);
    }

    private static RequestIssue Issue(string reference, string expression, string problem) => new(
        expression,
        $"The text of {reference} ({expression}) could not be read: {problem}. The decision could depend on it, and the service gives no card built on missing data.",
        IssueType.Incomplete);
}
