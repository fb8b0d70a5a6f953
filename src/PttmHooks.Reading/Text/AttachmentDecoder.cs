using System.Globalization;

namespace PttmHooks.Reading.Text;

/// <summary>
/// The text of one attachment, or why there is none. <see cref="Text"/> is null exactly when the
/// attachment could not be read; <see cref="Problem"/> then says why, in words a clinician can read
/// on the card ("application/msword is not read", "a scanned PDF without a text layer"). Beside a
/// text, <see cref="Problem"/> says what of the attachment was left unread, if anything ("only the
/// first 50 of 120 pages were read").
/// </summary>
/// <param name="Text">The plain text, markup removed, or null.</param>
/// <param name="Problem">Why there is no text; beside a text, what of it was left unread; else null.</param>
public readonly record struct DecodedText(string? Text, string? Problem)
{
    /// <summary>True when the attachment was read.</summary>
    public bool Ok => Text is not null;

    /// <summary>A text that was read.</summary>
    public static DecodedText Of(string text) => new(text, null);

    /// <summary>An attachment that could not be read, and why.</summary>
    public static DecodedText Unreadable(string problem) => new(null, problem);
}

/// <summary>
/// Turns an attachment's bytes into plain text by its content type (pttm-criteria.md 1.1, "Report
/// text, wherever the EHR puts it"): text/plain (and Markdown as plain text), text/html and
/// application/xhtml+xml, text/rtf and application/rtf, and application/pdf. Anything else is named as
/// unreadable, never guessed at. Never throws for bad content.
/// </summary>
/// <remarks>
/// Each content type has its reader (<c>PlainTextReader</c>, <c>HtmlTextReader</c>,
/// <c>RtfTextReader</c>, <c>PdfTextReader</c>); all of them end in the same plain-text form: lines
/// separated by <c>\n</c>, no trailing spaces, at most one blank line in a row, no-break spaces as
/// spaces. Attachments over <see cref="MaxBytes"/> are not read; texts are cut at
/// <see cref="MaxChars"/> characters, and the result says so.
/// </remarks>
public static class AttachmentDecoder
{
    /// <summary>The largest attachment read, in bytes (8 MiB).</summary>
    public const int MaxBytes = 8 * 1024 * 1024;

    /// <summary>The most characters of text kept from one attachment (1 Mi).</summary>
    public const int MaxChars = 1024 * 1024;

    /// <summary>True when <paramref name="contentType"/> is one this decoder reads.</summary>
    public static bool CanDecode(string? contentType) => Kind(ContentType.MediaType(contentType)) is not Reader.None;

    /// <summary>The text of <paramref name="data"/>, read as <paramref name="contentType"/>.</summary>
    public static DecodedText Decode(string? contentType, ReadOnlySpan<byte> data)
    {
        var mediaType = ContentType.MediaType(contentType);
        var reader = Kind(mediaType);
        if (reader is Reader.None)
        {
            return DecodedText.Unreadable(mediaType is null ? "the attachment has no content type" : Printable(mediaType) + " is not read");
        }

        if (data.Length > MaxBytes)
        {
            return DecodedText.Unreadable(string.Format(CultureInfo.InvariantCulture,
                "the attachment ({0:0.0} MiB) is larger than the {1} MiB read", data.Length / 1048576.0, MaxBytes / 1048576));
        }

        if (data.IsEmpty)
        {
            return DecodedText.Unreadable("the attachment is empty");
        }

        var charset = ContentType.Charset(contentType);
        try
        {
            return reader switch
            {
                Reader.Plain => PlainTextReader.Read(data, charset),
                Reader.Html => HtmlTextReader.Read(data, charset),
                Reader.Rtf => RtfTextReader.Read(data, charset),
                _ => PdfTextReader.Read(data),
            };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The readers catch what their content can cause; this is the last guard of the promise
            // that bad content never throws out of the decoder.
            return DecodedText.Unreadable(mediaType + " that could not be read");
        }
    }

    /// <summary>The media type of a Content-Type value, lower case, without its parameters.</summary>
    internal static string? MediaType(string? contentType) => ContentType.MediaType(contentType);

    private enum Reader { None, Plain, Html, Rtf, Pdf }

    private static Reader Kind(string? mediaType) => mediaType switch
    {
        "text/plain" or "text/markdown" or "text/x-markdown" => Reader.Plain,
        "text/html" or "application/xhtml+xml" => Reader.Html,
        "text/rtf" or "application/rtf" => Reader.Rtf,
        "application/pdf" => Reader.Pdf,
        _ => Reader.None,
    };

    /// <summary>A media type as it can be shown on a card: at most 100 printable characters.</summary>
    private static string Printable(string mediaType)
    {
        var printable = new string([.. mediaType.Where(c => !char.IsControl(c)).Take(100)]);
        return printable.Length == 0 ? "an unnamed content type" : printable;
    }
}
