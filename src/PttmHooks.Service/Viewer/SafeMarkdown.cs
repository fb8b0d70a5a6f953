using Markdig;
using Markdig.Renderers;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace PttmHooks.Service.Viewer;

/// <summary>
/// Renders a card's <c>detail</c> (GitHub-flavoured Markdown) to HTML that is safe to put into a
/// page: raw HTML is escaped as text (Markdig's <c>DisableHtml</c>), a link is kept only when it is
/// an absolute http(s) URL (its text stays, its target goes otherwise: no <c>javascript:</c>,
/// <c>data:</c> or relative links), and images become their alt text, so a card can neither run
/// script nor make the page load anything.
/// </summary>
public static class SafeMarkdown
{
    // CommonMark with GFM pipe tables (the card's criteria and evidence tables), nothing else.
    private static readonly MarkdownPipeline s_pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables()
        .DisableHtml()
        .Build();

    /// <summary>The HTML of <paramref name="markdown"/>.</summary>
    public static string ToHtml(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        var document = Markdown.Parse(markdown, s_pipeline);
        foreach (var link in document.Descendants<LinkInline>().ToList())
        {
            if (link.IsImage || !IsWebUrl(link.Url))
            {
                link.ReplaceBy(new LiteralInline(TextOf(link)), copyChildren: false);
                continue;
            }

            var attributes = link.GetAttributes();
            attributes.AddPropertyIfNotExist("rel", "noopener noreferrer");
            attributes.AddPropertyIfNotExist("target", "_blank");
        }

        foreach (var link in document.Descendants<AutolinkInline>().ToList())
        {
            if (link.IsEmail || !IsWebUrl(link.Url))
            {
                link.ReplaceBy(new LiteralInline(link.Url), copyChildren: false);
                continue;
            }

            var attributes = link.GetAttributes();
            attributes.AddPropertyIfNotExist("rel", "noopener noreferrer");
            attributes.AddPropertyIfNotExist("target", "_blank");
        }

        using var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer);
        s_pipeline.Setup(renderer);
        renderer.Render(document);
        writer.Flush();
        return writer.ToString();
    }

    /// <summary>True for an absolute http or https URL.</summary>
    public static bool IsWebUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    private static string TextOf(Inline inline) => inline switch
    {
        LiteralInline literal => literal.Content.ToString(),
        CodeInline code => code.Content,
        LineBreakInline => " ",
        ContainerInline container => string.Concat(container.Select(TextOf)),
        _ => string.Empty,
    };
}
