using System.Globalization;
using System.Text;

namespace PttmHooks.Reading.Text;

/// <summary>
/// The last step of every reader: the one plain-text form that the rule's text matching sees,
/// whatever the content type.
/// </summary>
internal static class PlainText
{
    /// <summary>
    /// Line breaks as <c>\n</c>; a no-break space as a space; other control characters (NUL, form
    /// feed…) and a byte order mark removed, tabs kept; a lone surrogate as U+FFFD; spaces and tabs at
    /// the end of each line removed; blank lines at the start and end removed, a run of blank lines
    /// made one; at most <see cref="AttachmentDecoder.MaxChars"/> characters (then the result says so,
    /// beside the text).
    /// </summary>
    public static DecodedText Finish(ReadOnlySpan<char> text, string? note = null)
    {
        var output = new StringBuilder(Math.Min(text.Length, AttachmentDecoder.MaxChars) + 16);
        var line = new StringBuilder();
        var blank = false;
        var truncated = false;
        for (var i = 0; i <= text.Length && !truncated; i++)
        {
            var c = i < text.Length ? text[i] : '\n';
            if (c is '\r' or '\n')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                var end = line.Length;
                while (end > 0 && line[end - 1] is ' ' or '\t')
                {
                    end--;
                }

                if (end == 0)
                {
                    blank = output.Length > 0;
                }
                else
                {
                    var separator = output.Length == 0 ? 0 : blank ? 2 : 1;
                    var room = AttachmentDecoder.MaxChars - output.Length - separator;
                    if (room < end)
                    {
                        end = Math.Max(0, room);
                        if (end > 0 && char.IsHighSurrogate(line[end - 1]))
                        {
                            end--;
                        }

                        truncated = true;
                    }

                    if (end > 0)
                    {
                        output.Append('\n', separator).Append(line, 0, end);
                    }

                    blank = false;
                }

                line.Clear();
                continue;
            }

            if (c is '\u00A0' or '\u2007' or '\u202F')
            {
                line.Append(' ');
            }
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                line.Append(c).Append(text[++i]);
            }
            else if (char.IsSurrogate(c))
            {
                line.Append('\uFFFD');
            }
            else if (c == '\t' || !(char.IsControl(c) || c == '\uFEFF'))
            {
                line.Append(c);
            }
        }

        if (truncated)
        {
            var cut = string.Format(CultureInfo.InvariantCulture, "only the first {0:N0} characters were read", AttachmentDecoder.MaxChars);
            note = note is null ? cut : note + "; " + cut;
        }

        return new DecodedText(output.ToString(), note);
    }

    /// <summary>The bytes decoded with <paramref name="encoding"/>, then finished.</summary>
    public static DecodedText Decode(ReadOnlySpan<byte> data, Encoding encoding) => Finish(encoding.GetString(data));
}
