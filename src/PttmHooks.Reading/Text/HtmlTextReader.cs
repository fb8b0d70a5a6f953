using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace PttmHooks.Reading.Text;

/// <summary>
/// text/html and application/xhtml+xml: the document parsed as a browser parses it (AngleSharp's
/// HTML5 parser), then the text of its body as a reader sees it. Entities are decoded by the parser;
/// the head (title included), scripts, styles and templates are left out; block elements (p, div,
/// headings, list items, table rows, br…) are line breaks, table cells are separated by a tab;
/// whitespace is collapsed, except inside pre. No markup remains.
/// </summary>
internal static partial class HtmlTextReader
{
    /// <summary>Elements whose content is not text a reader sees.</summary>
    private static readonly HashSet<string> Skipped = new(StringComparer.OrdinalIgnoreCase)
    {
        "head", "title", "script", "style", "template", "noscript", "noframes", "iframe", "object",
        "embed", "svg", "math", "canvas", "select", "datalist", "button",
    };

    /// <summary>Elements that start and end a line.</summary>
    private static readonly HashSet<string> Blocks = new(StringComparer.OrdinalIgnoreCase)
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
        "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li",
        "listing", "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody",
        "tfoot", "thead", "tr", "ul", "xmp", "plaintext",
    };

    /// <summary>The text of <paramref name="data"/>, with the Content-Type's charset label, if any.</summary>
    public static DecodedText Read(ReadOnlySpan<byte> data, string? charset)
    {
        var html = Decode(data, charset);
        var document = new HtmlParser().ParseDocument(html);
        var text = new TextWriter();
        Walk(document.DocumentElement, text);
        return PlainText.Finish(text.ToString());
    }

    /// <summary>
    /// The characters of the bytes, in the order a browser decides them: a byte order mark, the
    /// charset parameter, a <c>meta</c> charset (or the XML declaration's encoding) in the first
    /// 1,024 bytes, else UTF-8. An unknown label is passed over, as browsers do.
    /// </summary>
    internal static string Decode(ReadOnlySpan<byte> data, string? charset)
    {
        if (Charsets.FromBom(data) is var (bomEncoding, bomLength))
        {
            return bomEncoding.GetString(data[bomLength..]);
        }

        var encoding = Charsets.FromLabel(charset, data);
        if (encoding is null)
        {
            var head = Encoding.Latin1.GetString(data[..Math.Min(data.Length, 1024)]);
            var declared = MetaCharset().Match(head) is { Success: true } meta ? meta.Groups["label"].Value
                : XmlEncoding().Match(head) is { Success: true } xml ? xml.Groups["label"].Value
                : null;
            encoding = Charsets.FromLabel(declared, data);

            // A document that says it is UTF-16 in ASCII bytes is not (HTML5: then UTF-8).
            if (encoding is UnicodeEncoding)
            {
                encoding = Charsets.Utf8;
            }
        }

        return (encoding ?? Charsets.Utf8).GetString(data);
    }

    /// <summary>Depth first, without recursion (a document may nest deeper than the stack allows).</summary>
    private static void Walk(IElement? root, TextWriter text)
    {
        if (root is null)
        {
            return;
        }

        var pending = new Stack<(INode Node, bool Closing)>();
        pending.Push((root, false));
        while (pending.Count > 0)
        {
            var (node, closing) = pending.Pop();
            if (node is IText textNode)
            {
                text.Text(textNode.Data);
                continue;
            }

            if (node is not IElement element)
            {
                continue;
            }

            var name = element.LocalName;
            if (closing)
            {
                if (name.Equals("pre", StringComparison.OrdinalIgnoreCase) || name.Equals("listing", StringComparison.OrdinalIgnoreCase)
                    || name.Equals("xmp", StringComparison.OrdinalIgnoreCase) || name.Equals("plaintext", StringComparison.OrdinalIgnoreCase))
                {
                    text.Preformatted--;
                }

                if (Blocks.Contains(name))
                {
                    text.Break();
                }

                continue;
            }

            if (Skipped.Contains(name) || element.HasAttribute("hidden"))
            {
                continue;
            }

            switch (name.ToLowerInvariant())
            {
                case "br":
                    text.LineBreak();
                    continue;
                case "td" or "th":
                    if (element.PreviousElementSibling?.LocalName.ToLowerInvariant() is "td" or "th")
                    {
                        text.Cell();
                    }

                    break;
                case "img":
                    text.Text(element.GetAttribute("alt") ?? string.Empty);
                    continue;
                case "pre" or "listing" or "xmp" or "plaintext":
                    text.Preformatted++;
                    break;
            }

            if (Blocks.Contains(name))
            {
                text.Break();
            }

            pending.Push((element, true));
            for (var child = element.LastChild; child is not null; child = child.PreviousSibling)
            {
                pending.Push((child, false));
            }
        }
    }

    [GeneratedRegex("""<meta[^>]*?charset\s*=\s*["']?\s*(?<label>[A-Za-z0-9._:-]+)""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 200)]
    private static partial Regex MetaCharset();

    [GeneratedRegex("""^\s*<\?xml[^>]*?encoding\s*=\s*["'](?<label>[A-Za-z0-9._:-]+)""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 200)]
    private static partial Regex XmlEncoding();

    /// <summary>
    /// The text as it is laid out: a space where the markup had whitespace, at most one line break
    /// where blocks meet, a tab between cells; a break wins over a tab, a tab over a space.
    /// </summary>
    private sealed class TextWriter
    {
        private readonly StringBuilder _output = new();
        private Gap _gap;

        private enum Gap { None, Space, Tab, Break }

        /// <summary>How many pre elements the text is inside.</summary>
        public int Preformatted { get; set; }

        public void Text(string data)
        {
            foreach (var c in data)
            {
                if (Preformatted > 0)
                {
                    if (c is '\n' or '\r')
                    {
                        FlushGap();
                        _output.Append('\n');
                        continue;
                    }

                    FlushGap();
                    _output.Append(c);
                    continue;
                }

                if (c is ' ' or '\t' or '\n' or '\r' or '\f' or '\u00A0')
                {
                    Widen(Gap.Space);
                    continue;
                }

                FlushGap();
                _output.Append(c);
            }
        }

        public void Break() => Widen(Gap.Break);

        public void Cell() => Widen(Gap.Tab);

        /// <summary>A br: a line break of its own, so that two make a blank line.</summary>
        public void LineBreak()
        {
            _gap = Gap.None;
            _output.Append('\n');
        }

        public override string ToString() => _output.ToString();

        private void Widen(Gap gap) => _gap = (Gap)Math.Max((int)_gap, (int)gap);

        private void FlushGap()
        {
            if (_output.Length > 0)
            {
                var last = _output[^1];
                switch (_gap)
                {
                    case Gap.Break when last != '\n':
                        _output.Append('\n');
                        break;
                    case Gap.Tab:
                        _output.Append('\t');
                        break;
                    case Gap.Space when last is not ('\n' or ' ' or '\t'):
                        _output.Append(' ');
                        break;
                }
            }

            _gap = Gap.None;
        }
    }
}
