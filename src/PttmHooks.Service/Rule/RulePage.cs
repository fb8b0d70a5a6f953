using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using PttmHooks.Service.Cards;
using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Viewer;
using static Hl7.Fhir.Model.OperationOutcome;

namespace PttmHooks.Service.Rule;

/// <summary>
/// The rule as a page for clinicians: the specification the service implements
/// (<c>docs/pttm-criteria.md</c>, embedded) rendered to HTML by the viewer's safe Markdown pipeline
/// (<see cref="SafeMarkdown"/>), at a URL that names its version (<c>/rule/1.1</c>). Its
/// repository paths become text a clinician can follow, and each case report it cites ("seed 002")
/// links to the publication. Served in every environment, without a token: it holds no patient data.
/// </summary>
public static partial class RulePage
{
    /// <summary>The resource name of the embedded specification.</summary>
    internal const string Resource = "PttmHooks.Service.pttm-criteria.md";

    // The page loads its own stylesheet and nothing else: no script at all, no framing.
    private const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly Lazy<string> s_markdown = new(() =>
    {
        using var stream = typeof(RulePage).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"The embedded resource {Resource} is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    });

    private static readonly Lazy<string> s_version = new(() => Title().Match(Markdown) is { Success: true } m
        ? m.Groups["version"].Value
        : throw new InvalidOperationException("docs/pttm-criteria.md does not start with '# PTTM screening rule, version N'."));

    private static readonly Lazy<string> s_html = new(Render);

    /// <summary>The specification as written (Markdown).</summary>
    public static string Markdown => s_markdown.Value;

    /// <summary>The rule's version, from the specification's title ("1.1").</summary>
    public static string Version => s_version.Value;

    /// <summary>The page's path relative to the service's base URL: <c>rule/1.1</c>, what cards link to.</summary>
    public static string RelativePath => "rule/" + Version;

    /// <summary>The page's title.</summary>
    public static string PageTitle => "PTTM screening rule, version " + Version;

    /// <summary>The page (HTML).</summary>
    public static string Html => s_html.Value;

    /// <summary>
    /// <c>GET /rule</c> (a redirect to the current version), <c>GET /rule/{version}</c> (the page;
    /// another version is a 404 that names the one served), <c>GET /rule/rule.css</c>, and
    /// <c>GET /docs/pttm-criteria.md</c>: the Markdown as it is, or for a browser (one that accepts
    /// <c>text/html</c>: a link in a card issued before the page existed) a redirect to the page.
    /// </summary>
    public static IEndpointRouteBuilder MapRulePage(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/rule", (HttpRequest request) => Results.Redirect($"{request.PathBase}/{RelativePath}"))
            .ExcludeFromDescription();
        app.MapGet("/rule/rule.css", (HttpContext http) =>
        {
            Harden(http.Response);
            return Results.Text(Stylesheet, "text/css; charset=utf-8");
        }).ExcludeFromDescription();
        app.MapGet("/rule/{version}", IResult (string version, HttpContext http) =>
            {
                if (version != Version)
                {
                    return OperationOutcomeResult.Error(
                        StatusCodes.Status404NotFound,
                        $"{(version.Length <= 16 && version.All(c => char.IsAsciiDigit(c) || c == '.') ? "Version " + version : "That version")} of the PTTM screening rule is not served here; this service implements version {Version}, at /{RelativePath}.",
                        IssueType.NotFound);
                }

                Harden(http.Response);
                return Results.Text(Html, "text/html; charset=utf-8");
            })
            .Produces(StatusCodes.Status200OK, contentType: "text/html")
            .Produces<Hl7.Fhir.Model.OperationOutcome>(StatusCodes.Status404NotFound, OperationOutcomeResult.FhirJson);
        app.MapGet("/docs/pttm-criteria.md", IResult (HttpRequest request) =>
            request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase))
                ? Results.Redirect($"{request.PathBase}/{RelativePath}")
                : Results.Text(Markdown, "text/markdown; charset=utf-8"));
        return app;
    }

    /// <summary>The specification with its repository paths and case-report numbers made readable, and its sources listed.</summary>
    internal static string Readable(string markdown)
    {
        var text = markdown
            .Replace("(`../seeds/`)", "(listed under \"Sources\" at the end of this page)", StringComparison.Ordinal)
            .Replace("`terminology.md` beside this file lists the value sets", "The service's terminology holds the value sets", StringComparison.Ordinal)
            .Replace("`terminology.md`", "the service's terminology (its value sets)", StringComparison.Ordinal);
        text = SeedCitation().Replace(text, citation => SeedNumber().Replace(citation.Value, n =>
            int.Parse(n.Value, System.Globalization.CultureInfo.InvariantCulture) is var i && i < Publications.All.Count
                ? $"[{n.Value}]({Publications.All[i].Url})"
                : n.Value));

        var sources = new StringBuilder("\n\n## Sources\n\nThe case reports the rule is drawn from, by the number the text cites them with:\n\n");
        for (var i = 0; i < Publications.All.Count; i++)
        {
            var (label, url) = Publications.All[i];
            sources.Append(System.Globalization.CultureInfo.InvariantCulture, $"- seed {i:000}: [{label}]({url})\n");
        }

        return text.TrimEnd() + sources;
    }

    private static string Render()
    {
        var body = SafeMarkdown.ToHtml(Readable(Markdown));
        var title = WebUtility.HtmlEncode(PageTitle);
        return $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{title}</title>
            <link rel="stylesheet" href="rule.css">
            </head>
            <body>
            <main>
            {body}
            <p class="served">Version {WebUtility.HtmlEncode(Version)} of the rule: the specification this service implements.</p>
            </main>
            </body>
            </html>
            """;
    }

    private static void Harden(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.CacheControl = "public, max-age=3600";
    }

    private const string Stylesheet = """
        body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: #1b1b1b; background: #fff; }
        main { max-width: 46rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
        h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; margin-top: 2rem; } h3 { font-size: 1.1rem; }
        table { border-collapse: collapse; display: block; overflow-x: auto; }
        th, td { border: 1px solid #c8c8c8; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
        code { font-size: 0.9em; background: #f2f2f2; padding: 0 0.2em; }
        a { color: #0b5cad; }
        .served { margin-top: 2rem; color: #555; font-size: 0.9rem; }
        """;

    [GeneratedRegex(@"\A# PTTM screening rule, version (?<version>[0-9]+(?:\.[0-9]+)*)", RegexOptions.CultureInvariant)]
    private static partial Regex Title();

    // "seed 002", "seeds 000, 001, 004", "seed 004's": case-report numbers, never values ("seeds: 54, 76").
    [GeneratedRegex(@"\bseeds? 0[0-9]{2}(?:(?:, | and |, and )0[0-9]{2})*", RegexOptions.CultureInvariant)]
    private static partial Regex SeedCitation();

    [GeneratedRegex(@"\b0[0-9]{2}\b", RegexOptions.CultureInvariant)]
    private static partial Regex SeedNumber();
}
