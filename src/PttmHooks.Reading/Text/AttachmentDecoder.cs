using System.Text;
using System.Text.RegularExpressions;

namespace PttmHooks.Reading.Text;

/// <summary>
/// The text of one attachment, or why there is none. <see cref="Text"/> is null exactly when the
/// attachment could not be read; <see cref="Problem"/> then says why, in words a clinician can read
/// on the card ("application/msword is not read", "a scanned PDF without a text layer").
/// </summary>
/// <param name="Text">The plain text, markup removed, or null.</param>
/// <param name="Problem">Why there is no text, or null.</param>
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
/// text, wherever the EHR puts it"): text/plain, text/html, text/rtf and application/pdf. Anything
/// else is named as unreadable, never guessed at. Never throws for bad content.
/// </summary>
/// <remarks>
/// Contract for the report-text work (issue 18). This first version reads text/plain (UTF-8) and
/// strips tags from text/html; the full readers replace its insides behind the same two methods.
/// </remarks>
public static partial class AttachmentDecoder
{
    /// <summary>True when <paramref name="contentType"/> is one this decoder reads.</summary>
    public static bool CanDecode(string? contentType) => MediaType(contentType) is "text/plain" or "text/html";

    /// <summary>The text of <paramref name="data"/>, read as <paramref name="contentType"/>.</summary>
    public static DecodedText Decode(string? contentType, ReadOnlySpan<byte> data)
    {
        switch (MediaType(contentType))
        {
            case "text/plain":
                return DecodedText.Of(Encoding.UTF8.GetString(data));
            case "text/html":
                return DecodedText.Of(Tags().Replace(Encoding.UTF8.GetString(data), " "));
            case null:
                return DecodedText.Unreadable("the attachment has no content type");
            case var other:
                return DecodedText.Unreadable(other + " is not read");
        }
    }

    /// <summary>The media type of a Content-Type value, lower case, without its parameters.</summary>
    internal static string? MediaType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
    }

    [GeneratedRegex("<[^>]*>", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 200)]
    private static partial Regex Tags();
}
