using System.Text;

namespace PttmHooks.Service.Cards;

/// <summary>
/// Text from the chart, made safe for GitHub-flavoured Markdown: every character that could start
/// markup (emphasis, a link, an HTML tag, a table cell boundary) is backslash-escaped, and line
/// breaks become spaces, so a report's text can never inject HTML, links or table cells into a card.
/// </summary>
internal static class MarkdownText
{
    // CommonMark: any ASCII punctuation may be backslash-escaped. These are the ones that can open
    // markup in the middle of a line (emphasis, code, links, HTML, table cells, strikethrough);
    // '&' is escaped so that "&lt;" stays text rather than becoming an entity. Chart text never
    // starts a line (it follows "- " or "| "), so '#', '-', '+' and digits cannot open a block, and
    // with '[' escaped no '(' can become a link target. Ids like "obs-1" stay searchable as written.
    private const string Special = "\\`*_[]<>|~&";

    /// <summary>Escapes <paramref name="text"/> for use inside a paragraph or table cell.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var builder = new StringBuilder(text.Length + 8);
        var lastWasSpace = false;
        foreach (var c in text)
        {
            if (c is '\r' or '\n' or '\t')
            {
                if (!lastWasSpace)
                {
                    builder.Append(' ');
                }

                lastWasSpace = true;
                continue;
            }

            if (char.IsControl(c))
            {
                continue;
            }

            if (Special.Contains(c, StringComparison.Ordinal))
            {
                builder.Append('\\');
            }

            builder.Append(c);
            lastWasSpace = c == ' ';
        }

        return builder.ToString().Trim();
    }
}
