using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;

namespace PttmHooks.Clinical.Chart;

/// <summary>A report's or note's whole text, the parts it is made of, and the attachments that could not be read.</summary>
internal sealed record GatheredText(string Text, IReadOnlyList<TextPart> Parts, IReadOnlyList<UnreadPart> Unread, IReadOnlyList<Observation> Results);

/// <summary>
/// One notion of a report's text (pttm-criteria.md 1.1, "Report text, wherever the EHR puts it";
/// docs/clinical-rule.md reading 28): the conclusion; every attachment, as the reading library read it
/// (<see cref="PatientRecord.AttachmentTexts"/>) or, where it was not given to the rule, inline
/// <c>text/*</c> data read here; the narrative result Observations the report references
/// (<c>valueString</c>); for a note, its description and its attachments. Parts are joined by line
/// breaks, so no sentence (and no negation) reaches from one part into the next.
/// </summary>
internal static class ReportTexts
{
    private static readonly Regex Tags = new("<[^>]*>", RegexOptions.None, TimeSpan.FromMilliseconds(200));

    public static GatheredText OfReport(DiagnosticReport report, PatientRecord record, Func<string, Observation?> observation)
    {
        var builder = new Builder();
        builder.Add(report.Conclusion, null);
        foreach (var form in report.PresentedForm)
        {
            builder.Attachment(form, record);
        }

        var results = new List<Observation>();
        foreach (var reference in report.Result)
        {
            var target = Resolve(reference.Reference, report, observation);
            if (target is null || target.Status is ObservationStatus.EnteredInError or ObservationStatus.Cancelled or ObservationStatus.Registered)
            {
                continue;
            }

            results.Add(target);
            if (target.Value is FhirString { Value: { Length: > 0 } narrative })
            {
                builder.Add(narrative, "from result Observation/" + (target.Id ?? "(no id)"));
            }
        }

        return builder.Build(results);
    }

    public static GatheredText OfNote(DocumentReference note, PatientRecord record)
    {
        var builder = new Builder();
        builder.Add(note.Description, "from the note's description");
        foreach (var content in note.Content)
        {
            if (content.Attachment is { } attachment)
            {
                builder.Attachment(attachment, record);
            }
        }

        return builder.Build([]);
    }

    /// <summary>The text of one attachment: from the reading library, else inline text/* data; or why there is none.</summary>
    public static AttachmentText? Read(Attachment attachment, PatientRecord record)
    {
        if (record.AttachmentTexts.TryGetValue(attachment, out var given))
        {
            return given;
        }

        var type = attachment.ContentType;
        if (attachment.Data is { Length: > 0 } data)
        {
            if (type is null || !type.StartsWith("text/", StringComparison.OrdinalIgnoreCase))
            {
                return new AttachmentText(null, $"{type ?? "an attachment without a content type"} is not read by the rule itself", "inline");
            }

            var text = Decode(data, type);
            if (type.StartsWith("text/html", StringComparison.OrdinalIgnoreCase))
            {
                try
                {
                    text = WebUtility.HtmlDecode(Tags.Replace(text, " "));
                }
                catch (RegexMatchTimeoutException)
                {
                    return new AttachmentText(null, "text/html could not be read in time", "inline");
                }
            }

            return new AttachmentText(text, null, "inline");
        }

        if (attachment.Url is { Length: > 0 } url)
        {
            return new AttachmentText(null, "its text (at " + url + ") was not read", url);
        }

        return null; // An attachment with neither data nor url holds no text.
    }

    private static string Decode(byte[] data, string type)
    {
        var charset = type.Split(';').Skip(1).Select(p => p.Trim()).FirstOrDefault(p => p.StartsWith("charset=", StringComparison.OrdinalIgnoreCase))?[8..].Trim('"');
        var latin = charset is not null && (charset.Equals("iso-8859-1", StringComparison.OrdinalIgnoreCase) || charset.Equals("latin1", StringComparison.OrdinalIgnoreCase)
            || charset.Equals("windows-1252", StringComparison.OrdinalIgnoreCase));
        return latin ? Encoding.Latin1.GetString(data) : Encoding.UTF8.GetString(data);
    }

    /// <summary>
    /// A result reference: "Observation/id", an absolute URL ending so (history suffix ignored), or a
    /// contained "#id".
    /// </summary>
    internal static Observation? Resolve(string? reference, DomainResource owner, Func<string, Observation?> observation)
    {
        if (string.IsNullOrEmpty(reference))
        {
            return null;
        }

        if (reference[0] == '#')
        {
            var id = reference[1..];
            return owner.Contained.OfType<Observation>().FirstOrDefault(o => o.Id == id);
        }

        var history = reference.IndexOf("/_history/", StringComparison.Ordinal);
        var path = history >= 0 ? reference[..history] : reference;
        var parts = path.Split('/');
        return parts.Length >= 2 && parts[^2] == "Observation" && parts[^1].Length > 0 ? observation(parts[^1]) : null;
    }

    private sealed class Builder
    {
        private readonly StringBuilder _text = new();
        private readonly List<TextPart> _parts = [];
        private readonly List<UnreadPart> _unread = [];

        public void Add(string? text, string? source)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                return;
            }

            if (_text.Length > 0)
            {
                _text.Append('\n');
            }

            _parts.Add(new TextPart(_text.Length, text.Length, source));
            _text.Append(text);
        }

        public void Attachment(Attachment attachment, PatientRecord record)
        {
            switch (Read(attachment, record))
            {
                case { Ok: true } read:
                    Add(read.Text, "from the attached report (" + read.Origin + ")");
                    break;
                case { } failed:
                    _unread.Add(new UnreadPart(failed.Origin, failed.Problem ?? "could not be read"));
                    break;
            }
        }

        public GatheredText Build(IReadOnlyList<Observation> results) => new(_text.ToString(), _parts, _unread, results);
    }
}
