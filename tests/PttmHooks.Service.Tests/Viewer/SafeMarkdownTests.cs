using System.Net;
using System.Text.RegularExpressions;
using PttmHooks.Service.Viewer;

namespace PttmHooks.Service.Tests.Viewer;

/// <summary>The viewer's Markdown rendering: no raw HTML passes, links only to http(s), no images.</summary>
public sealed partial class SafeMarkdownTests
{
    [Theory]
    [InlineData("<script>alert(1)</script>", "<script>alert(1)</script>")]
    [InlineData("<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>")]
    [InlineData("before <img src=x onerror=alert(1)> after", "<img src=x onerror=alert(1)>")]
    [InlineData("<iframe src=\"https://evil.example\"></iframe>", "<iframe")]
    [InlineData("text <b onmouseover=alert(1)>bold</b>", "<b onmouseover=alert(1)>")]
    [InlineData("<a href=\"javascript:alert(1)\">x</a>", "<a href=\"javascript:alert(1)\">")]
    [InlineData("<svg onload=alert(1)>", "<svg onload=alert(1)>")]
    [InlineData("| a | b |\n| --- | --- |\n| <script>alert(1)</script> | 2 |", "<script>alert(1)</script>")]
    public void Raw_html_is_shown_as_text_never_as_markup(string markdown, string shownAsText)
    {
        var html = SafeMarkdown.ToHtml(markdown);

        Assert.DoesNotMatch(Tag(), html);
        Assert.Contains(shownAsText, WebUtility.HtmlDecode(html), StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("[click](javascript:alert(1))", "click")]
    [InlineData("[click](JavaScript:alert(1))", "click")]
    [InlineData("[click](&#106;avascript:alert(1))", "click")]
    [InlineData("[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "click")]
    [InlineData("[click](vbscript:msgbox(1))", "click")]
    [InlineData("[click](/cds-services)", "click")]
    [InlineData("[click](//evil.example/x)", "click")]
    [InlineData("[click][ref]\n\n[ref]: javascript:alert(1)", "click")]
    [InlineData("[**bold** click](javascript:alert(1))", "bold click")]
    [InlineData("<javascript:alert(1)>", "javascript:alert(1)")]
    [InlineData("<mailto:someone@example.org>", "mailto:someone@example.org")]
    [InlineData("<someone@example.org>", "someone@example.org")]
    public void A_link_that_is_not_http_keeps_its_text_and_loses_its_target(string markdown, string text)
    {
        var html = SafeMarkdown.ToHtml(markdown);

        Assert.DoesNotContain("<a", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href", html, StringComparison.Ordinal);
        Assert.Contains(text, WebUtility.HtmlDecode(html), StringComparison.Ordinal);
    }

    [Fact]
    public void An_image_becomes_its_alt_text_and_nothing_is_loaded()
    {
        var html = SafeMarkdown.ToHtml("Scan: ![perfusion scan](https://tracker.example/pixel.png) and ![](javascript:alert(1))");

        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.DoesNotContain("tracker.example", html, StringComparison.Ordinal);
        Assert.Contains("Scan: perfusion scan and", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[the rule](https://cds.example.org/docs/pttm-criteria.md)", "https://cds.example.org/docs/pttm-criteria.md", "the rule")]
    [InlineData("[local](http://localhost:5080/docs/pttm-criteria.md)", "http://localhost:5080/docs/pttm-criteria.md", "local")]
    [InlineData("<https://doi.org/10.4070/kcj.2023.0054>", "https://doi.org/10.4070/kcj.2023.0054", "https://doi.org/10.4070/kcj.2023.0054")]
    public void A_web_link_is_kept_and_opens_apart_without_a_referrer(string markdown, string href, string text)
    {
        var html = SafeMarkdown.ToHtml(markdown);

        Assert.Contains($"href=\"{href}\"", html, StringComparison.Ordinal);
        Assert.Contains("rel=\"noopener noreferrer\"", html, StringComparison.Ordinal);
        Assert.Contains("target=\"_blank\"", html, StringComparison.Ordinal);
        Assert.Contains($">{text}</a>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Pipe_tables_emphasis_and_lists_render_as_html()
    {
        var html = SafeMarkdown.ToHtml("**Next step:** scan.\n\n- one\n- two\n\n| Criterion | State |\n| --- | --- |\n| C1 | **Met** |\n");

        Assert.Contains("<strong>Next step:</strong>", html, StringComparison.Ordinal);
        Assert.Contains("<li>one</li>", html, StringComparison.Ordinal);
        Assert.Contains("<table>", html, StringComparison.Ordinal);
        Assert.Contains("<th>Criterion</th>", html, StringComparison.Ordinal);
        Assert.Contains("<td><strong>Met</strong></td>", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://example.org/x", true)]
    [InlineData("http://127.0.0.1:5080/", true)]
    [InlineData("javascript:alert(1)", false)]
    [InlineData("data:text/plain,x", false)]
    [InlineData("/relative", false)]
    [InlineData("ftp://example.org/x", false)]
    [InlineData(null, false)]
    public void Only_absolute_http_and_https_urls_are_web_urls(string? url, bool web) =>
        Assert.Equal(web, SafeMarkdown.IsWebUrl(url));

    // Any element but the few Markdown produces (p, a, strong, em, code, table parts, lists, headings, br, hr, pre, blockquote).
    [GeneratedRegex("<(?!/?(p|a|strong|em|code|pre|table|thead|tbody|tr|th|td|ul|ol|li|h[1-6]|br|hr|blockquote)[\\s>/])[a-zA-Z]", RegexOptions.CultureInvariant)]
    private static partial Regex Tag();
}
