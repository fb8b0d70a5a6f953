using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using PttmHooks.Service.Tests;

namespace PttmHooks.Viewer.Tests;

/// <summary>
/// The card a clinician reads in seconds: every sample's card, rendered by the viewer in a pane
/// 400 px wide (a narrow EHR side panel), stays under a height budget, and still cites every piece
/// of evidence its case file expects. The budget and why it is what it is: README, "The card".
/// </summary>
public sealed class CardHeightTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    /// <summary>The pane's width, in CSS pixels.</summary>
    public const int PaneWidth = 400;

    /// <summary>
    /// The tallest a card's detail may render in the pane, in CSS pixels: the tallest sample card
    /// (seed004, 2,127 px) and a little room. The card with one table rendered 1,310–2,127 px; the
    /// card with two tables 2,120–3,359 px, and its six-column table scrolled sideways. A card that
    /// grows past the budget has to say why (README, "The card").
    /// </summary>
    public const int DetailBudget = 2200;

    /// <summary>Where the decision, the next step and the urgency must all have been said.</summary>
    public const int FirstScreen = 400;

    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    /// <summary>The samples whose case expects a card, with the evidence it must cite.</summary>
    public static TheoryData<string> CardCases()
    {
        var data = new TheoryData<string>();
        foreach (var folder in Directory.GetDirectories(TestFiles.Path("cases")).Order(StringComparer.Ordinal))
        {
            if ((string?)Case(Path.GetFileName(folder))["expected"]!["recommendation"] != "none")
            {
                data.Add(Path.GetFileName(folder));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CardCases))]
    public async Task Every_sample_card_fits_the_budget_in_a_400_px_pane_and_cites_its_evidence(string name)
    {
        using var service = LiveService.Start();
        var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout((float)s_wait.TotalMilliseconds);
        await using var _ = context;
        var page = await context.NewPageAsync();
        await page.GotoAsync(service.Url("/"));
        await page.Locator("body[data-ready='true']").WaitForAsync();

        // The cards' column as narrow as an EHR side panel.
        await page.EvaluateAsync($"() => {{ const c = document.getElementById('cards'); c.style.width = '{PaneWidth}px'; c.style.maxWidth = '{PaneWidth}px'; }}");
        await page.SelectOptionAsync("#sample", name);
        await page.ClickAsync("#send-sample");
        var card = page.Locator("article.card");
        await card.WaitForAsync();
        var detail = card.Locator(".detail");
        await detail.Locator("table").First.WaitForAsync();

        var shot = await card.ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(Screenshots.Folder, $"card-{PaneWidth}px-{name}.png") });
        TestContext.Current.AddAttachment($"card-{PaneWidth}px-{name}.png", shot, "image/png");
        Assert.Equal(PaneWidth, (int)Math.Round((await page.Locator("#cards").BoundingBoxAsync())!.Width));
        var box = (await detail.BoundingBoxAsync())!;
        var text = await detail.InnerTextAsync();
        TestContext.Current.SendDiagnosticMessage(string.Create(CultureInfo.InvariantCulture, $"{name}: detail {box.Height:0} px tall in a {PaneWidth} px pane"));
        // Nothing wider than the pane: a table that scrolls sideways hides its last column.
        var overflow = await detail.EvaluateAsync<double>("d => d.scrollWidth - d.clientWidth");
        Assert.True(overflow <= 1, $"{name}: the detail is {overflow:0} px wider than the {PaneWidth} px pane.");
        Assert.True(box.Height <= DetailBudget, $"{name}: the detail renders {box.Height:0} px tall in a {PaneWidth} px pane, over the {DetailBudget} px budget.");

        // Everything the case expects the card to cite is still in it.
        foreach (var reference in Case(name)["expected"]!["evidence"]!.AsArray().Select(e => (string)e!))
        {
            Assert.Contains(reference, text, StringComparison.Ordinal);
        }

        // The decision, the next step and why it is urgent come first, inside the first screen of the pane.
        var first = await page.EvaluateAsync<double>(
            "() => { const d = document.querySelector('article.card .detail'); const top = d.getBoundingClientRect().top;" +
            " const p = [...d.querySelectorAll('p')].find(e => e.textContent.includes('Why it is urgent'));" +
            " return p ? p.getBoundingClientRect().bottom - top : 1e9; }");
        Assert.True(first <= FirstScreen, $"{name}: why it is urgent ends {first:0} px down the detail, beyond the first {FirstScreen} px.");
    }

    private static JsonNode Case(string name) => JsonNode.Parse(File.ReadAllText(TestFiles.Path("cases", name, "case.json")))!;
}
