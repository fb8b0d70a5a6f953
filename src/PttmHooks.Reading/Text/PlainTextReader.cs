namespace PttmHooks.Reading.Text;

/// <summary>
/// text/plain, and Markdown read as the plain text it is (text/markdown, text/x-markdown): the bytes
/// decoded by their byte order mark, else their <c>charset</c> parameter, else as UTF-8.
/// </summary>
internal static class PlainTextReader
{
    /// <summary>The text of <paramref name="data"/>, with the Content-Type's charset label, if any.</summary>
    public static DecodedText Read(ReadOnlySpan<byte> data, string? charset)
    {
        // A byte order mark wins over the label: it is in the bytes themselves, the label is only
        // what the sender believed.
        if (Charsets.FromBom(data) is var (bomEncoding, bomLength))
        {
            return PlainText.Decode(data[bomLength..], bomEncoding);
        }

        // An unknown label (or none) is read as UTF-8, bad sequences as U+FFFD, rather than named as
        // unreadable: report text is mostly ASCII, which every charset a sender would use shares, so
        // the text is still readable where it matters (the numbers, the findings), and reading it is
        // the safer side for a screening rule.
        var encoding = Charsets.FromLabel(charset, data) ?? Charsets.Utf8;
        return PlainText.Decode(data, encoding);
    }
}
