using System.Net;
using System.Text.RegularExpressions;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Cards;

/// <summary>Report text that looks like HTML or Markdown reaches the card as text only.</summary>
public sealed partial class ReportTextInjectionTests(AppHost host) : IClassFixture<AppHost>
{
    private const string Hostile = "<img src=x onerror=alert(1)> | [link](http://x)";

    private ServiceApp App => host.App;

    [Fact]
    public async Task Hostile_text_in_a_cited_report_conclusion_yields_a_card_with_no_raw_html_link_or_cell()
    {
        // seed000b-rep13 (the perfusion scan) is cited evidence of seed000's card; its conclusion
        // is quoted in the evidence table.
        var request = App.CaseRequest("seed000-breast-perfusion-defects");
        var reports = Http.PrefetchedResources(request, "seed000b-rep13");
        Assert.NotEmpty(reports);
        foreach (var report in reports)
        {
            report["conclusion"] = $"Multiple small segmental perfusion defects {Hostile} in both lungs. Ventilation scan not performed.";
        }

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var body = await response.JsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, TestFiles.Show(body));
        Assert.Empty(CardInvariants.Violations(body));
        var card = Assert.Single(body["cards"]!.AsArray())!;
        var detail = (string)card["detail"]!;
        Assert.Contains("DiagnosticReport/seed000b-rep13", detail, StringComparison.Ordinal);
        // The text was quoted, escaped: it reached the card and could do nothing there.
        Assert.Contains(@"\<img src=x onerror=alert(1)\>", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", detail.Replace(@"\<img", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotMatch(UnescapedLink(), detail);
        // Every table row of the detail still has the cells its header has.
        foreach (var table in Tables(detail))
        {
            var columns = Cells(table[0]);
            Assert.All(table, row => Assert.Equal(columns, Cells(row)));
        }
    }

    private static List<List<string>> Tables(string detail)
    {
        var tables = new List<List<string>>();
        List<string>? current = null;
        foreach (var line in detail.Split('\n'))
        {
            if (line.StartsWith('|'))
            {
                current ??= [];
                current.Add(line);
            }
            else if (current is not null)
            {
                tables.Add(current);
                current = null;
            }
        }

        if (current is not null)
        {
            tables.Add(current);
        }

        Assert.NotEmpty(tables);
        return tables;
    }

    // Cell boundaries: pipes not preceded by a backslash.
    private static int Cells(string row) => UnescapedPipe().Count(row);

    [GeneratedRegex(@"(?<!\\)\[[^\]]*(?<!\\)\]\(", RegexOptions.CultureInvariant)]
    private static partial Regex UnescapedLink();

    [GeneratedRegex(@"(?<!\\)\|", RegexOptions.CultureInvariant)]
    private static partial Regex UnescapedPipe();
}
