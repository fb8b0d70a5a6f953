using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PttmHooks.Service.Rule;
using PttmHooks.Service.Tests.Security;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Hosting;

/// <summary>
/// The rule as a page: the specification (docs/pttm-criteria.md, 1.1) rendered to HTML at a
/// versioned URL, its sources linked, no repository paths; the card's source and rule link open
/// it, in every environment.
/// </summary>
public sealed partial class RulePageTests(AppHost host) : IClassFixture<AppHost>
{
    private const string Case = "seed000-breast-perfusion-defects";

    private static Dictionary<string, string?> Production() => new()
    {
        ["Cds:FhirServers:0"] = null,
        ["Cds:PublicBaseUrl"] = "https://cds.example.org",
        ["Cds:Clients:ehr:Issuer"] = "https://ehr.example.org",
        ["Cds:Clients:ehr:Jwks"] = TestKey.Jwks(TestKey.Rsa),
        ["Cds:Clients:ehr:FhirServers:0"] = "https://ehr.example.org/fhir",
    };

    [Fact]
    public void The_embedded_specification_is_the_shared_one_version_1_1()
    {
        Assert.Equal("1.1", RulePage.Version);
        Assert.Equal("rule/1.1", RulePage.RelativePath);
        Assert.StartsWith("# PTTM screening rule, version 1.1", RulePage.Markdown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_page_renders_as_HTML_with_its_version_in_the_title_a_CSP_and_no_repository_paths()
    {
        using var response = await host.App.GetAsync("/rule/1.1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.TextAsync();
        Assert.Contains("<title>PTTM screening rule, version 1.1</title>", html, StringComparison.Ordinal);
        Assert.Contains("<h1>PTTM screening rule, version 1.1</h1>", html, StringComparison.Ordinal);
        Assert.Contains("<table>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("../", html, StringComparison.Ordinal);
        Assert.DoesNotContain("terminology.md", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);

        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("script-src", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));

        using var css = await host.App.GetAsync("/rule/rule.css");
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_case_reports_it_cites_are_links_to_the_publications()
    {
        using var response = await host.App.GetAsync("/rule/1.1");
        var html = await response.TextAsync();

        // Every publication is linked (its Sources list), and the seed numbers in the text link to them.
        foreach (var url in new[]
        {
            "https://pmc.ncbi.nlm.nih.gov/articles/PMC5432793/", "https://doi.org/10.4070/kcj.2023.0019",
            "https://doi.org/10.1136/bcr-2017-221032", "https://doi.org/10.1186/s40064-016-3280-4", "https://doi.org/10.7861/clinmed.2020-0102",
        })
        {
            Assert.Contains($"href=\"{url}\"", html, StringComparison.Ordinal);
        }

        Assert.Contains("<h2>Sources</h2>", html, StringComparison.Ordinal);
        Assert.Matches(SeedLink(), html);
        // Values the text attributes to the seeds are not seed numbers: "(seeds: 54, 76)" stays as written.
        Assert.Contains("(seeds: 54, 76)", html, StringComparison.Ordinal);
        // Every link on the page is an absolute http(s) link, opened apart from the page.
        foreach (Match link in Href().Matches(html))
        {
            var target = link.Groups["url"].Value;
            Assert.True(target == "rule.css" || target.StartsWith("https://", StringComparison.Ordinal), target);
        }
    }

    [Fact]
    public async Task The_rule_without_a_version_redirects_to_the_current_one_and_another_version_is_404()
    {
        using var client = host.App.CreateClient(new() { AllowAutoRedirect = false });

        using var current = await client.GetAsync(new Uri("/rule", UriKind.Relative), TestContext.Current.CancellationToken);
        using var other = await host.App.GetAsync("/rule/0.9");

        Assert.Equal(HttpStatusCode.Redirect, current.StatusCode);
        Assert.Equal("/rule/1.1", current.Headers.Location?.OriginalString);
        var issue = Assert.Single(await other.ErrorAsync(HttpStatusCode.NotFound));
        Assert.Contains("version 1.1, at /rule/1.1", issue.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_old_markdown_url_serves_markdown_to_API_users_and_redirects_browsers_to_the_page()
    {
        using var client = host.App.CreateClient(new() { AllowAutoRedirect = false });
        using var browser = new HttpRequestMessage(HttpMethod.Get, new Uri("/docs/pttm-criteria.md", UriKind.Relative));
        browser.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");

        using var api = await client.GetAsync(new Uri("/docs/pttm-criteria.md", UriKind.Relative), TestContext.Current.CancellationToken);
        using var page = await client.SendAsync(browser, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        Assert.Equal("text/markdown", api.Content.Headers.ContentType?.MediaType);
        Assert.Equal(RulePage.Markdown, await api.TextAsync());
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/rule/1.1", page.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task The_cards_source_url_and_rule_link_open_the_page()
    {
        using var response = await host.App.PostJsonAsync(Http.ServicePath, host.App.CaseRequest(Case));
        var card = (await response.JsonAsync())["cards"]![0]!;

        var source = new Uri((string)card["source"]!["url"]!);
        var rule = new Uri((string)card["links"]![0]!["url"]!);
        Assert.Equal("/rule/1.1", source.AbsolutePath);
        Assert.Equal(source, rule);
        using var page = await host.App.GetAsync(source.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task In_Production_the_card_links_to_the_page_under_the_public_base_url_and_it_is_served_without_a_token()
    {
        using var app = new ServiceApp(Production(), environment: "Production");
        var request = app.CaseRequest(Case);
        var now = app.Time.GetUtcNow().ToUnixTimeSeconds();
        var token = Jws.Sign(
            TokenRig.Header(TestKey.Rsa),
            new JsonObject
            {
                ["iss"] = "https://ehr.example.org", ["aud"] = "https://cds.example.org" + Http.ServicePath,
                ["exp"] = now + 300, ["iat"] = now, ["jti"] = Guid.NewGuid().ToString(),
            },
            TestKey.Rsa);
        using var client = app.CreateClient();
        using var post = new HttpRequestMessage(HttpMethod.Post, new Uri(Http.ServicePath, UriKind.Relative))
        {
            Content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        post.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var response = await client.SendAsync(post, TestContext.Current.CancellationToken);
        var body = await response.JsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, TestFiles.Show(body));
        var source = (string)body["cards"]![0]!["source"]!["url"]!;
        using var page = await app.GetAsync("/rule/1.1");

        Assert.Equal("https://cds.example.org/rule/1.1", source);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<title>PTTM screening rule, version 1.1</title>", await page.TextAsync(), StringComparison.Ordinal);
    }

    [GeneratedRegex("""seeds? <a href="https://[^"]+"[^>]*>0[0-4][0-9]</a>""")]
    private static partial Regex SeedLink();

    [GeneratedRegex("(?:href|src)=\"(?<url>[^\"]*)\"")]
    private static partial Regex Href();
}
