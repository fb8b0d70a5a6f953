using System.Text.RegularExpressions;
using PttmHooks.Service.Cards;

namespace PttmHooks.Service.Tests.Cards;

/// <summary>Chart text in a card can start no markup: no HTML, no link, no table cell.</summary>
public sealed partial class MarkdownTextTests
{
    [Fact]
    public void Script_tag_becomes_text_with_no_raw_html()
    {
        var escaped = MarkdownText.Escape("<script>alert(1)</script>");

        Assert.DoesNotMatch(RawHtml(), escaped);
        Assert.Equal(@"\<script\>alert(1)\</script\>", escaped);
    }

    [Fact]
    public void Inline_link_becomes_text_with_no_link()
    {
        var escaped = MarkdownText.Escape("[x](http://evil)");

        Assert.DoesNotMatch(InlineLink(), escaped);
        Assert.Equal(@"\[x\](http://evil)", escaped);
    }

    [Fact]
    public void Pipe_is_escaped_so_it_cannot_split_a_table_cell()
    {
        var escaped = MarkdownText.Escape("a|b");

        Assert.DoesNotMatch(UnescapedPipe(), escaped);
        Assert.Equal(@"a\|b", escaped);
    }

    [Theory]
    [InlineData("<img src=x onerror=alert(1)>")]
    [InlineData("<!-- hidden -->")]
    [InlineData("</td><td>")]
    [InlineData("![img](http://evil/x.png)")]
    [InlineData("[ref]: http://evil")]
    [InlineData("a\\|b")]
    [InlineData("x\n| injected | row |\ny")]
    public void No_markup_survives_in_hostile_chart_text(string text)
    {
        var escaped = MarkdownText.Escape(text);

        Assert.DoesNotMatch(RawHtml(), escaped);
        Assert.DoesNotMatch(InlineLink(), escaped);
        Assert.DoesNotMatch(UnescapedPipe(), escaped);
        Assert.DoesNotContain('\n', escaped);
    }

    [Fact]
    public void Resource_ids_stay_searchable_as_written()
    {
        Assert.Equal("DiagnosticReport/seed000b-rep13", MarkdownText.Escape("DiagnosticReport/seed000b-rep13"));
    }

    // An HTML tag or comment whose '<' is not backslash-escaped.
    [GeneratedRegex(@"(?<!\\)<[A-Za-z!/]", RegexOptions.CultureInvariant)]
    private static partial Regex RawHtml();

    // "[text](" or "[text]:" with unescaped brackets: an inline link or a link definition.
    [GeneratedRegex(@"(?<!\\)\[[^\]]*(?<!\\)\]\s*[(:]", RegexOptions.CultureInvariant)]
    private static partial Regex InlineLink();

    // A '|' preceded by an even number (incl. zero) of backslashes is a cell boundary.
    [GeneratedRegex(@"(?<!\\)(\\\\)*\|", RegexOptions.CultureInvariant)]
    private static partial Regex UnescapedPipe();
}
