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

    /// <summary>
    /// Depth first, without recursion (a document may nest deeper than the stack allows), each node
    /// visited once through its parent's child list (sibling links cost a search in AngleSharp).
    /// </summary>
    private static void Walk(IElement? root, TextWriter text)
    {
        if (root is null)
        {
            return;
        }

        var pending = new Stack<Visit>();
        pending.Push(new Visit(root, Closing: false, AfterCell: false));
        // Past twice the cap (blank lines and spaces still to go) the rest would be cut anyway.
        while (pending.Count > 0 && text.Length <= 2 * AttachmentDecoder.MaxChars)
        {
            var (node, closing, afterCell) = pending.Pop();
            if (node is IText textNode)
            {
                text.Text(textNode.Data);
                continue;
            }

            if (node is not IElement element)
            {
                continue;
            }

            var name = element.LocalName.ToLowerInvariant();
            var preformatted = name is "pre" or "listing" or "xmp" or "plaintext";
            if (closing)
            {
                if (preformatted)
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

            switch (name)
            {
                case "br":
                    text.LineBreak();
                    continue;
                case "img":
                    text.Text(element.GetAttribute("alt") ?? string.Empty);
                    continue;
                case "td" or "th" when afterCell:
                    text.Cell();
                    break;
            }

            if (preformatted)
            {
                text.Preformatted++;
            }

            if (Blocks.Contains(name))
            {
                text.Break();
            }

            pending.Push(new Visit(element, Closing: true, AfterCell: false));
            var children = element.ChildNodes;
            var count = children.Length;
            var start = pending.Count;
            var previousIsCell = false;
            for (var i = 0; i < count; i++)
            {
                var child = children[i];
                pending.Push(new Visit(child, Closing: false, AfterCell: previousIsCell));
                if (child is IElement childElement)
                {
                    previousIsCell = childElement.LocalName.ToLowerInvariant() is "td" or "th";
                }
            }

            Reverse(pending, start);
        }
    }

    /// <summary>The children were pushed first to last; the first must come off the stack first.</summary>
    private static void Reverse(Stack<Visit> stack, int start)
    {
        var count = stack.Count - start;
        if (count < 2)
        {
            return;
        }

        var items = new Visit[count];
        for (var i = count - 1; i >= 0; i--)
        {
            items[i] = stack.Pop();
        }

        for (var i = count - 1; i >= 0; i--)
        {
            stack.Push(items[i]);
        }
    }

    /// <summary>A node to enter, or an element to leave; whether a cell comes right after another.</summary>
    private readonly record struct Visit(INode Node, bool Closing, bool AfterCell);

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

        /// <summary>The characters written so far.</summary>
        public int Length => _output.Length;

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
