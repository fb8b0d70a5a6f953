using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Playwright;
using PttmHooks.Service.Tests;

namespace PttmHooks.Viewer.Tests;

/// <summary>
/// The card viewer in a real browser against the real service on a loopback port: a sample patient
/// chosen, the real CDS endpoint called (signed with the development key when authentication is
/// on), the card shown as an EHR shows it, and feedback that reaches the service.
/// </summary>
public sealed class ViewerBrowserTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private const string PerfusionDefects = "seed000-breast-perfusion-defects";
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    /// <summary>The evidence the case says the card must cite (samples/cases/…/case.json).</summary>
    private static IReadOnlyList<string> ExpectedEvidence { get; } =
        [.. JsonNode.Parse(File.ReadAllText(TestFiles.Path("cases", PerfusionDefects, "case.json")))!["expected"]!["evidence"]!.AsArray().Select(e => (string)e!)];

    [Fact]
    public async Task Authentication_on_the_viewer_signs_each_call_and_the_accepted_card_reaches_the_service()
    {
        using var service = LiveService.Start(new Dictionary<string, string?>
        {
            ["Cds:Authentication:Required"] = "true",
            // Unauthenticated calls' FHIR servers are refused when authentication is required.
            ["Cds:FhirServers:0"] = null,
        });
        var page = await NewPageAsync();
        var authorizations = new List<(string Url, string? Authorization)>();
        page.Request += (_, request) =>
        {
            if (request.Url.Contains("/cds-services/", StringComparison.Ordinal))
            {
                authorizations.Add((request.Url, request.Headers.TryGetValue("authorization", out var value) ? value : null));
            }
        };

        await OpenAsync(page, service);
        await Assertions.Expect(page.Locator("#auth-status")).ToContainTextAsync("signed with the development client's key");
        await page.SelectOptionAsync("#sample", PerfusionDefects);
        await page.ClickAsync("#send-sample");
        var card = await CytologyCardAsync(page);

        await card.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Accept: Order cytology") }).ClickAsync();
        await Assertions.Expect(card.Locator(".feedback-status")).ToContainTextAsync("Feedback recorded by the service: accepted", new() { Timeout = (float)s_wait.TotalMilliseconds });

        var uuid = await card.GetAttributeAsync("data-card-uuid");
        var suggestion = await card.Locator("button.accept").GetAttributeAsync("data-suggestion-uuid");
        AssertFeedbackLogged(service.App.Logs, uuid!, "accepted", acceptedCount: "1");

        // Both calls carried a bearer token the service accepted (it requires one), each its own.
        Assert.Equal(2, authorizations.Count);
        Assert.All(authorizations, a => Assert.StartsWith("Bearer ey", a.Authorization, StringComparison.Ordinal));
        Assert.NotEqual(authorizations[0].Authorization, authorizations[1].Authorization);
        Assert.EndsWith("/cds-services/pttm-screening", authorizations[0].Url, StringComparison.Ordinal);
        Assert.EndsWith("/cds-services/pttm-screening/feedback", authorizations[1].Url, StringComparison.Ordinal);
        var logs = service.App.Logs.GetSnapshot();
        Assert.Equal(2, logs.Count(r => r.Id.Id == 4001));
        Assert.DoesNotContain(logs, r => r.Id.Id == 2301);
        Assert.NotNull(suggestion);

        // A token never reaches the log.
        foreach (var (_, authorization) in authorizations)
        {
            var token = authorization!["Bearer ".Length..];
            Assert.DoesNotContain(logs, r => r.Message.Contains(token, StringComparison.Ordinal)
                || (r.StructuredState ?? []).Any(p => p.Value?.Contains(token, StringComparison.Ordinal) == true));
        }

        await Screenshots.SaveAsync(page, "viewer-authentication-on");
    }

    [Fact]
    public async Task Authentication_off_everything_works_from_the_keyboard_and_the_page_passes_axe()
    {
        using var service = LiveService.Start();
        var page = await NewPageAsync();
        await OpenAsync(page, service);
        await Assertions.Expect(page.Locator("#auth-status")).ToContainTextAsync("not required");

        // Tab to the patient list, type the case's name to choose it, Tab to the button, Enter.
        await TabToAsync(page, "#sample");
        await page.Keyboard.TypeAsync("seed000-breast-p");
        Assert.Equal(PerfusionDefects, await page.InputValueAsync("#sample"));
        await TabToAsync(page, "#send-sample");
        await page.Keyboard.PressAsync("Enter");
        var card = await CytologyCardAsync(page);

        // Focus moved to the results; the accept button is reached with Tab, shows its focus, and is pressed with Enter.
        await TabToAsync(page, "button.accept");
        Assert.Equal("solid", await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle"));
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(card.Locator(".feedback-status")).ToContainTextAsync("Feedback recorded by the service: accepted", new() { Timeout = (float)s_wait.TotalMilliseconds });
        AssertFeedbackLogged(service.App.Logs, (await card.GetAttributeAsync("data-card-uuid"))!, "accepted", acceptedCount: "1");

        // WCAG 2.1 A and AA (labels, contrast, landmarks, names) on the page with its card shown.
        var axe = await page.RunAxe(new AxeRunOptions
        {
            RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        });
        Assert.True(axe.Violations.Length == 0, "axe: " + string.Join("; ", axe.Violations.Select(v => $"{v.Id}: {v.Help} ({string.Join(", ", v.Nodes.Select(n => n.Html))})")));

        await Screenshots.SaveAsync(page, "viewer-keyboard");
    }

    [Fact]
    public async Task Overriding_with_a_reason_and_a_comment_posts_overridden_feedback()
    {
        using var service = LiveService.Start();
        var page = await NewPageAsync();
        await OpenAsync(page, service);
        await page.SelectOptionAsync("#sample", PerfusionDefects);
        await page.ClickAsync("#send-sample");
        var card = await CytologyCardAsync(page);

        await card.GetByLabel("Override reason").SelectOptionAsync(new SelectOptionValue { Label = "Already evaluated" });
        await card.GetByLabel("Comment (optional)").FillAsync("Cytology sent yesterday");
        await card.GetByRole(AriaRole.Button, new() { Name = "Override this card" }).ClickAsync();
        await Assertions.Expect(card.Locator(".feedback-status")).ToContainTextAsync("Feedback recorded by the service: overridden (\"Already evaluated\")", new() { Timeout = (float)s_wait.TotalMilliseconds });

        var record = AssertFeedbackLogged(service.App.Logs, (await card.GetAttributeAsync("data-card-uuid"))!, "overridden", acceptedCount: "0");
        Assert.Contains(record.StructuredState!, p => p.Key == "OverrideReason" && p.Value == "already-evaluated");
        // The comment is never logged.
        Assert.DoesNotContain(service.App.Logs.GetSnapshot(), r => r.Message.Contains("Cytology sent yesterday", StringComparison.Ordinal));
        Assert.True(await card.Locator("button.accept").IsDisabledAsync());
    }

    [Fact]
    public async Task A_refused_request_shows_the_OperationOutcome_issues_with_their_paths()
    {
        using var service = LiveService.Start();
        var page = await NewPageAsync();
        await OpenAsync(page, service);
        var request = new JsonObject
        {
            ["hook"] = "patient-view",
            ["hookInstance"] = "not-a-uuid",
            ["context"] = new JsonObject { ["userId"] = "Practitioner/1", ["patientId"] = "Patient/123" },
        };
        await page.GetByLabel("Hook request (JSON)").FillAsync(request.ToJsonString());
        await page.ClickAsync("#send-request");

        await Assertions.Expect(page.Locator("#result-status")).ToContainTextAsync("HTTP 400 Bad Request", new() { Timeout = (float)s_wait.TotalMilliseconds });
        var issues = page.Locator(".problem li");
        await Assertions.Expect(issues.Filter(new() { HasText = "hookInstance" })).ToContainTextAsync("must be a UUID");
        await Assertions.Expect(issues.Filter(new() { HasText = "context.patientId" })).ToContainTextAsync("not a reference");
        Assert.Equal(0, await page.Locator("article.card").CountAsync());
    }

    [Fact]
    public async Task Html_in_a_card_is_shown_as_text_and_never_runs()
    {
        using var service = LiveService.Start();
        var page = await NewPageAsync();
        // The service escapes chart text itself; this card stands for any CDS service's answer.
        var hostile = new JsonObject
        {
            ["cards"] = new JsonArray(new JsonObject
            {
                ["uuid"] = "b7a1c7e2-6a55-8d2e-9a3b-5b1f0c2d3e4f",
                ["summary"] = "<img src=x onerror=\"window.__pwned='summary'\"> summary",
                ["indicator"] = "warning",
                ["detail"] =
                    "Before <script>window.__pwned='script'</script>\n\n" +
                    "<img src=\"x\" onerror=\"window.__pwned='img'\">\n\n" +
                    "[a javascript link](javascript:window.__pwned='link') and [a web link](https://example.org/ok)\n\n" +
                    "<javascript:window.__pwned='autolink'> ![tracker](https://tracker.example/pixel.png)\n\n" +
                    "| a | b |\n| --- | --- |\n| <b>cell</b> | 2 |\n",
                ["source"] = new JsonObject { ["label"] = "Elsewhere", ["url"] = "javascript:window.__pwned='source'" },
                ["links"] = new JsonArray(new JsonObject { ["label"] = "bad link", ["url"] = "javascript:window.__pwned='links'", ["type"] = "absolute" }),
            }),
        };
        await page.RouteAsync("**/cds-services/pttm-screening", route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 200,
            ContentType = "application/json",
            Body = hostile.ToJsonString(),
        }));
        var requests = new List<string>();
        page.Request += (_, request) => requests.Add(request.Url);
        await OpenAsync(page, service);
        await page.SelectOptionAsync("#sample", PerfusionDefects);
        await page.ClickAsync("#send-sample");
        var card = page.Locator("article.card");
        await Assertions.Expect(card.Locator(".detail table")).ToBeVisibleAsync(new() { Timeout = (float)s_wait.TotalMilliseconds });

        Assert.Equal(0, await card.Locator("script, img, iframe, object").CountAsync());
        Assert.Equal(0, await page.Locator("a[href^='javascript'], a[href^='JAVASCRIPT']").CountAsync());
        Assert.Equal(0, await card.Locator("b").CountAsync());
        Assert.Equal("https://example.org/ok", await card.GetByRole(AriaRole.Link, new() { Name = "a web link" }).GetAttributeAsync("href"));
        await Assertions.Expect(card.Locator(".detail")).ToContainTextAsync("<script>window.__pwned='script'</script>");
        await Assertions.Expect(card.Locator("h3")).ToContainTextAsync("<img src=x onerror=");
        Assert.True(await page.EvaluateAsync<bool>("() => window.__pwned === undefined"));
        Assert.DoesNotContain(requests, url => url.Contains("tracker.example", StringComparison.Ordinal) || url.EndsWith("/x", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Scalar_and_the_viewer_load_nothing_from_outside_this_service()
    {
        using var service = LiveService.Start();
        var page = await NewPageAsync();
        var requests = new List<string>();
        page.Request += (_, request) => requests.Add(request.Url);

        await OpenAsync(page, service);
        await page.GotoAsync(service.Url("/scalar/"), new() { WaitUntil = WaitUntilState.NetworkIdle, Timeout = (float)s_wait.TotalMilliseconds });
        await Assertions.Expect(page.GetByText("PttmHooks CDS Hooks service").First).ToBeVisibleAsync(new() { Timeout = (float)s_wait.TotalMilliseconds });
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        Assert.Contains(requests, url => url.EndsWith("/scalar/scalar.js", StringComparison.Ordinal));
        Assert.Contains(requests, url => url.EndsWith("/openapi/v1.json", StringComparison.Ordinal));
        var outside = requests.Where(url => url.StartsWith("http", StringComparison.Ordinal) && !url.StartsWith(service.Address.AbsoluteUri, StringComparison.Ordinal)).ToList();
        Assert.True(outside.Count == 0, "requests outside the service: " + string.Join(", ", outside));
    }

    private async Task<IPage> NewPageAsync()
    {
        var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout((float)s_wait.TotalMilliseconds);
        TestContext.Current.CancellationToken.Register(() => _ = context.CloseAsync());
        return await context.NewPageAsync();
    }

    private static async Task OpenAsync(IPage page, LiveService service)
    {
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        await page.GotoAsync(service.Url("/"));
        await page.Locator("body[data-ready='true']").WaitForAsync();
        Assert.Empty(errors);
    }

    /// <summary>Waits for the one card and checks that it is the critical cytology card with its evidence.</summary>
    private static async Task<ILocator> CytologyCardAsync(IPage page)
    {
        var card = page.Locator("article.card");
        await card.WaitForAsync(new() { Timeout = (float)s_wait.TotalMilliseconds });
        Assert.Equal(1, await card.CountAsync());
        await Assertions.Expect(page.Locator("#result-status")).ToContainTextAsync("HTTP 200 OK: 1 card");
        Assert.Equal("critical", await card.GetAttributeAsync("data-indicator"));
        await Assertions.Expect(card.Locator(".indicator")).ToHaveTextAsync(new Regex("Critical"));
        await Assertions.Expect(card.Locator("h3")).ToContainTextAsync("PTTM suspected");
        await Assertions.Expect(card.Locator("h3")).ToContainTextAsync("wedged pulmonary artery cytology");

        // The criteria table, rendered from the detail's Markdown: a row citing each decisive resource.
        var evidence = card.Locator(".detail table").Filter(new() { HasText = "Decisive evidence" }).Last;
        await evidence.WaitForAsync();
        foreach (var reference in ExpectedEvidence)
        {
            await Assertions.Expect(evidence.Locator("tr").Filter(new() { HasText = reference }).First).ToBeVisibleAsync();
        }

        await Assertions.Expect(card.Locator(".source a")).ToHaveAttributeAsync("href", new Regex("/rule/1\\.1$"));
        await Assertions.Expect(card.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Accept: Order cytology of wedged pulmonary artery blood") })).ToBeEnabledAsync();
        Assert.Equal(4, await card.GetByLabel("Override reason").Locator("option:not([value=''])").CountAsync());
        Assert.True(await card.Locator(".card-links a").CountAsync() >= 2);
        return card;
    }

    private static async Task TabToAsync(IPage page, string selector)
    {
        for (var i = 0; i < 60; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<bool>("s => document.activeElement?.matches(s) === true", selector))
            {
                return;
            }
        }

        Assert.Fail($"{selector} was not reached with Tab.");
    }

    private static FakeLogRecord AssertFeedbackLogged(FakeLogCollector logs, string cardUuid, string outcome, string acceptedCount)
    {
        var record = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 3001);
        var state = record.StructuredState!.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(cardUuid, state["CardUuid"]);
        Assert.Equal(outcome, state["Outcome"]);
        Assert.Equal("True", state["Issued"]);
        Assert.Equal(acceptedCount, state["AcceptedCount"]);
        return record;
    }
}
