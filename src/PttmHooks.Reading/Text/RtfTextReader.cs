using System.Text;

namespace PttmHooks.Reading.Text;

/// <summary>
/// text/rtf and application/rtf: the text of an RTF document, the one reader written here (no RTF
/// library is to be had). Groups are followed, control words dropped, destinations that are not body
/// text skipped (<c>{\*\…}</c>, the font, colour and style tables, info, pictures, headers and
/// footers, field instructions…); <c>\par</c>, <c>\line</c>, <c>\row</c> are line breaks, <c>\tab</c>
/// and <c>\cell</c> tabs; <c>\'hh</c> is decoded by the document's <c>\ansicpg</c> code page (1252 by
/// default), <c>\uN</c> as UTF-16 with its <c>\ucN</c> fallback skipped; <c>\{ \} \\</c>,
/// <c>\~</c>, <c>\emdash</c> and the quote words are their characters.
/// </summary>
/// <remarks>
/// One pass over the bytes, each step moving on by at least one byte, without recursion, so that any
/// input (unbalanced braces, a document cut short, a million nested groups) ends with the text read so
/// far, never an exception or a loop. Per-font charsets (<c>\fcharset</c>) are not followed: the
/// document's code page decodes every <c>\'hh</c>.
/// </remarks>
internal static class RtfTextReader
{
    /// <summary>Groups deeper than this are counted, not kept (they inherit the state at this depth).</summary>
    private const int MaxDepth = 512;

    /// <summary>Destinations whose text is not the document's body.</summary>
    private static readonly HashSet<string> IgnoredDestinations = new(StringComparer.Ordinal)
    {
        "fonttbl", "colortbl", "stylesheet", "info", "pict", "nonshppict", "shppict", "object", "objdata",
        "objclass", "result", "header", "headerl", "headerr", "headerf", "footer", "footerl", "footerr", "footerf",
        "listtable", "listoverridetable", "revtbl", "rsidtbl", "generator", "xmlnstbl", "themedata",
        "colorschememapping", "datastore", "latentstyles", "fldinst", "filetbl", "pgdsctbl", "mmathPr",
        "wgrffmtfilter", "bkmkstart", "bkmkend", "xe", "tc", "txe", "rxe", "private", "userprops", "docvar",
        "pnseclvl", "shpinst", "sp", "sn", "sv", "atnid", "atnauthor", "annotation", "atrfstart", "atrfend",
        "ftnsep", "ftnsepc", "ftncn", "aftnsep", "aftnsepc", "aftncn", "do", "template", "passwordhash",
        "protusertbl", "blipuid", "author", "operator", "title", "subject", "keywords", "comment", "doccomm",
        "company", "category", "manager", "hlinkbase", "falt", "panose", "fontemb", "fontfile", "listname",
        "leveltext", "levelnumbers", "txfieldtext", "formfield", "datafield", "ffdeftext", "ffformat",
        "ffhelptext", "ffstattext", "ffentrymcr", "ffexitmcr", "ffname", "fname", "picprop",
    };

    /// <summary>The text of the RTF in <paramref name="data"/>; text that is not RTF is read as plain text.</summary>
    public static DecodedText Read(ReadOnlySpan<byte> data, string? charset)
    {
        var start = data.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        while (start < data.Length && data[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            start++;
        }

        // An attachment labelled RTF that is not (plain text, as some EHRs label every note) is read
        // as the plain text it is: its words are the report, and dropping its line breaks as RTF
        // does would run the sentences together.
        if (!data[start..].StartsWith("{\\rtf"u8))
        {
            return PlainTextReader.Read(data, charset);
        }

        return PlainText.Finish(new Parser().Run(data[start..]));
    }

    /// <summary>The state of a group: whether its text is skipped, and its <c>\uc</c> value.</summary>
    private record struct Group(bool Skip, int Uc);

    private sealed class Parser
    {
        private readonly StringBuilder _text = new();
        private readonly List<Group> _groups = [new Group(false, 1)];
        private readonly List<byte> _bytes = [];
        private Encoding _codePage = Charsets.Windows1252;
        private int _beyondMaxDepth;
        private int _fallbackToSkip;
        private bool _groupStart;

        private Group Current
        {
            get => _groups[^1];
            set => _groups[^1] = value;
        }

        public string Run(ReadOnlySpan<byte> rtf)
        {
            var i = 0;
            while (i < rtf.Length)
            {
                var b = rtf[i];
                switch (b)
                {
                    case (byte)'{':
                        Flush();
                        Open();
                        _groupStart = true;
                        i++;
                        continue;
                    case (byte)'}':
                        Flush();
                        Close();
                        _groupStart = false;
                        i++;
                        continue;
                    case (byte)'\\':
                        i = Control(rtf, i);
                        continue;
                    case (byte)'\r' or (byte)'\n' or 0:
                        i++;
                        continue;
                }

                _groupStart = false;
                if (b < 0x80)
                {
                    Char((char)b);
                }
                else
                {
                    Byte(b);
                }

                i++;
            }

            Flush();
            return _text.ToString();
        }

        private void Open()
        {
            _fallbackToSkip = 0;
            if (_groups.Count >= MaxDepth)
            {
                _beyondMaxDepth++;
                return;
            }

            _groups.Add(Current);
        }

        private void Close()
        {
            _fallbackToSkip = 0;
            if (_beyondMaxDepth > 0)
            {
                _beyondMaxDepth--;
            }
            else if (_groups.Count > 1)
            {
                _groups.RemoveAt(_groups.Count - 1);
            }
        }

        /// <summary>The control word or symbol at <paramref name="i"/> (a backslash); where the next token starts.</summary>
        private int Control(ReadOnlySpan<byte> rtf, int i)
        {
            if (i + 1 >= rtf.Length)
            {
                return rtf.Length;
            }

            var next = rtf[i + 1];
            if (IsLetter(next))
            {
                return Word(rtf, i + 1);
            }

            var groupStart = _groupStart;
            _groupStart = false;
            switch (next)
            {
                case (byte)'\'':
                    var end = i + 2;
                    var value = 0;
                    while (end < rtf.Length && end < i + 4 && HexValue(rtf[end]) is var digit and >= 0)
                    {
                        value = (value * 16) + digit;
                        end++;
                    }

                    if (end == i + 4)
                    {
                        Byte((byte)value);
                    }

                    return end;
                case (byte)'*':
                    if (groupStart)
                    {
                        Current = Current with { Skip = true };
                    }

                    break;
                case (byte)'{' or (byte)'}' or (byte)'\\':
                    Char((char)next);
                    break;
                case (byte)'~':
                    Char('\u00A0');
                    break;
                case (byte)'_':
                    Char('-');
                    break;
                case (byte)'\r' or (byte)'\n':
                    Break('\n');
                    break;
            }

            // \- (optional hyphen), \: (index subentry), \| and any other symbol: nothing.
            return i + 2;
        }

        /// <summary>A control word starting at <paramref name="i"/> (its first letter); where the next token starts.</summary>
        private int Word(ReadOnlySpan<byte> rtf, int i)
        {
            var start = i;
            while (i < rtf.Length && IsLetter(rtf[i]))
            {
                i++;
            }

            var name = Encoding.ASCII.GetString(rtf[start..Math.Min(i, start + 32)]);
            var negative = false;
            if (i < rtf.Length && rtf[i] == (byte)'-' && i + 1 < rtf.Length && IsDigit(rtf[i + 1]))
            {
                negative = true;
                i++;
            }

            long parameter = 0;
            var hasParameter = false;
            while (i < rtf.Length && IsDigit(rtf[i]))
            {
                parameter = Math.Min((parameter * 10) + (rtf[i] - '0'), int.MaxValue);
                hasParameter = true;
                i++;
            }

            if (i < rtf.Length && rtf[i] == (byte)' ')
            {
                i++;
            }

            var value = (int)(negative ? -parameter : parameter);
            var groupStart = _groupStart;
            _groupStart = false;

            if (name == "bin")
            {
                // Binary data: that many bytes that are not RTF, whatever the group.
                return (int)Math.Min(rtf.Length, (long)i + Math.Max(0, value));
            }

            // A destination is the first word of its group (Word, WordPad and EHR writers all put it
            // there); the same name later in a group is not taken as one, so that a stray word can
            // never hide the rest of the document.
            if (groupStart && IgnoredDestinations.Contains(name))
            {
                Current = Current with { Skip = true };
                return i;
            }

            Act(name, value, hasParameter);
            return i;
        }

        private void Act(string name, int value, bool hasParameter)
        {
            switch (name)
            {
                case "par" or "line" or "sect" or "page" or "row" or "nestrow" or "softline":
                    Break('\n');
                    break;
                case "tab" or "cell" or "nestcell":
                    Break('\t');
                    break;
                case "emdash":
                    Char('\u2014');
                    break;
                case "endash":
                    Char('\u2013');
                    break;
                case "emspace" or "enspace" or "qmspace":
                    Char(' ');
                    break;
                case "bullet":
                    Char('\u2022');
                    break;
                case "lquote":
                    Char('\u2018');
                    break;
                case "rquote":
                    Char('\u2019');
                    break;
                case "ldblquote":
                    Char('\u201C');
                    break;
                case "rdblquote":
                    Char('\u201D');
                    break;
                case "u" when hasParameter:
                    // A signed 16-bit value: \u-3913 is U+F0B7. Its fallback (\ucN characters) follows.
                    var unit = value < 0 ? value + 65536 : value;
                    _fallbackToSkip = 0;
                    Char((char)Math.Clamp(unit, 0, 0xFFFF));
                    _fallbackToSkip = Current.Uc;
                    break;
                case "uc" when hasParameter:
                    Current = Current with { Uc = Math.Clamp(value, 0, 16) };
                    break;
                case "ansicpg" when hasParameter:
                    _codePage = Charsets.CodePage(value) ?? Charsets.Windows1252;
                    break;
                case "pc":
                    _codePage = Charsets.CodePage(437) ?? _codePage;
                    break;
                case "pca":
                    _codePage = Charsets.CodePage(850) ?? _codePage;
                    break;
                case "mac":
                    _codePage = Charsets.CodePage(10000) ?? _codePage;
                    break;
            }

            // Any other word (\pard, \plain, \f0, \fs20, \b…) is formatting: nothing.
        }

        /// <summary>A line break or tab: never eaten as a \u fallback, always kept.</summary>
        private void Break(char c)
        {
            _fallbackToSkip = 0;
            Char(c);
        }

        private void Char(char c)
        {
            if (_fallbackToSkip > 0)
            {
                _fallbackToSkip--;
                return;
            }

            if (Current.Skip)
            {
                return;
            }

            Flush();
            _text.Append(c);
        }

        /// <summary>A byte of the code page (from \'hh or a raw 8-bit byte); kept until the run ends.</summary>
        private void Byte(byte b)
        {
            if (_fallbackToSkip > 0)
            {
                _fallbackToSkip--;
                return;
            }

            if (!Current.Skip)
            {
                _bytes.Add(b);
            }
        }

        /// <summary>The bytes of a run decoded together (a double-byte code page needs both).</summary>
        private void Flush()
        {
            if (_bytes.Count == 0)
            {
                return;
            }

            _text.Append(_codePage.GetString([.. _bytes]));
            _bytes.Clear();
        }

        private static bool IsLetter(byte b) => b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z';

        private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

        private static int HexValue(byte b) => b switch
        {
            >= (byte)'0' and <= (byte)'9' => b - '0',
            >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
            _ => -1,
        };
    }
}
