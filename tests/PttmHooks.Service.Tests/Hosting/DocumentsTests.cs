using System.Net;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Hosting;

/// <summary>The documents the cards link to are served by the service itself.</summary>
public sealed class DocumentsTests(AppHost host) : IClassFixture<AppHost>
{
    [Fact]
    public async Task Rule_document_is_served_as_markdown()
    {
        using var response = await host.App.GetAsync("/docs/pttm-criteria.md");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/markdown", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("PTTM screening rule", await response.TextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Card_links_point_at_the_served_rule_document()
    {
        using var response = await host.App.PostJsonAsync(Http.ServicePath, host.App.CaseRequest("seed000-breast-perfusion-defects"));
        var card = (await response.JsonAsync())["cards"]![0]!;

        var url = new Uri((string)card["source"]!["url"]!);
        Assert.Equal("/rule/1.1", url.AbsolutePath);
        using var document = await host.App.GetAsync(url.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
    }
}
