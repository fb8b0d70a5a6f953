using System.Text;

namespace PttmHooks.Reading.Text;

/// <summary>
/// Character sets of attachments: a byte order mark, a <c>charset</c> label, the UTF-16 byte order
/// of text without a mark. Every encoding returned decodes bad bytes to replacement characters; none
/// throws.
/// </summary>
internal static class Charsets
{
    /// <summary>UTF-8 without a mark, bad sequences decoded as U+FFFD.</summary>
    public static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>Windows-1252, from the code pages the framework carries (not registered globally).</summary>
    public static readonly Encoding Windows1252 = CodePagesEncodingProvider.Instance.GetEncoding(1252)!;

    /// <summary>UTF-16 little-endian.</summary>
    public static readonly Encoding Utf16Le = new UnicodeEncoding(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: false);

    /// <summary>UTF-16 big-endian.</summary>
    public static readonly Encoding Utf16Be = new UnicodeEncoding(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: false);

    /// <summary>
    /// The encoding a byte order mark at the start of <paramref name="data"/> names, and the mark's
    /// length; null without one. UTF-8, UTF-16 LE and BE (UTF-32 marks are not looked for: FF FE 00 00
    /// is also UTF-16 LE starting with a NUL).
    /// </summary>
    public static (Encoding Encoding, int Length)? FromBom(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            return (Utf8, 3);
        }

        if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
        {
            return (Utf16Le, 2);
        }

        if (data.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            return (Utf16Be, 2);
        }

        return null;
    }

    /// <summary>
    /// The encoding a charset label names, or null for a label this reader does not know (the caller
    /// decides what then). <c>utf-16</c> without an order is resolved against <paramref name="data"/>.
    /// </summary>
    /// <remarks>
    /// As browsers do (the WHATWG Encoding standard), us-ascii and iso-8859-1 are read as windows-1252,
    /// their superset: text labelled so is, in practice, often windows-1252 (curly quotes, the en dash),
    /// and the bytes 0x80–0x9F mean nothing else in either.
    /// </remarks>
    public static Encoding? FromLabel(string? label, ReadOnlySpan<byte> data)
    {
        if (string.IsNullOrWhiteSpace(label))
        {
            return null;
        }

        switch (label.Trim().Trim('"', '\'').Trim().ToLowerInvariant())
        {
            case "utf-8" or "utf8" or "unicode-1-1-utf-8":
                return Utf8;
            case "us-ascii" or "ascii" or "iso-8859-1" or "iso8859-1" or "iso_8859-1" or "latin1" or "latin-1" or "l1"
                or "windows-1252" or "cp1252" or "x-cp1252":
                return Windows1252;
            case "utf-16le" or "unicodefffe" or "ucs-2le":
                return Utf16Le;
            case "utf-16be" or "ucs-2be":
                return Utf16Be;
            case "utf-16" or "utf16" or "ucs-2" or "unicode":
                return Utf16Order(data);
            case var other:
                return Known(other);
        }
    }

    /// <summary>
    /// Which UTF-16 order text without a mark is in: the one whose high bytes are zero more often
    /// (report text is mostly Latin). Little-endian, as Windows writes it, when neither is.
    /// </summary>
    public static Encoding Utf16Order(ReadOnlySpan<byte> data)
    {
        var evenZeros = 0;
        var oddZeros = 0;
        var length = Math.Min(data.Length, 4096) & ~1;
        for (var i = 0; i < length; i += 2)
        {
            evenZeros += data[i] == 0 ? 1 : 0;
            oddZeros += data[i + 1] == 0 ? 1 : 0;
        }

        return evenZeros > oddZeros ? Utf16Be : Utf16Le;
    }

    /// <summary>A Windows code page by number (RTF's <c>\ansicpg</c>), or null.</summary>
    public static Encoding? CodePage(int codePage)
    {
        if (codePage == 1252)
        {
            return Windows1252;
        }

        if (codePage is 65001)
        {
            return Utf8;
        }

        try
        {
            return CodePagesEncodingProvider.Instance.GetEncoding(codePage) ?? Encoding.GetEncoding(codePage);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Any other label the framework or its code pages know (windows-1250, iso-8859-2, shift_jis…).</summary>
    private static Encoding? Known(string label)
    {
        if (label.Length > 40)
        {
            return null;
        }

        try
        {
            return CodePagesEncodingProvider.Instance.GetEncoding(label) ?? Encoding.GetEncoding(label);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            return null;
        }
    }
}
