using System.Net;
using System.Text.Json.Nodes;
using PttmHooks.Service.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.Server;

namespace PttmHooks.Service.Tests.Fallback;

/// <summary>
/// A prefetch search Bundle with a <c>next</c> link (the CDS Hooks Sandbox forwards the first page
/// of a search when a FHIR server caps <c>_count</c>) is completed from <c>fhirServer</c> before
/// the rule runs: the next links followed on the same base only, with the token, inside the call's
/// budget. The "first page only" note stays only where the rest could not be read.
/// </summary>
public sealed class PagedPrefetchTests
{
    private const string CardCase = "seed000-breast-perfusion-defects";
    private const string Malignancy = "seed000b-cond1";

    /// <summary>A budget that a loaded test machine cannot run out of (the budget itself is tested in FallbackScenarioTests).</summary>
    private static Dictionary<string, string?> Roomy(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["Cds:Fallback:Budget"] = "00:00:20", ["Cds:Fallback:AttemptTimeout"] = "00:00:10" };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>
    /// The case's request, its <c>conditions</c> prefetch split in two: page 1 (prefetched, with a
    /// next link to <paramref name="next"/>) holds every Condition but the malignancy; page 2 holds it.
    /// </summary>
    private static (JsonObject Request, JsonObject Page2) Split(FallbackRig rig, string next)
    {
        var (request, _) = rig.CaseRequest(CardCase);
        var conditions = request["prefetch"]!["conditions"]!.AsObject();
        var entries = conditions["entry"]!.AsArray();
        var malignancy = entries.Single(e => (string?)e!["resource"]!["id"] == Malignancy)!;
        var page2 = new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "searchset",
            ["link"] = new JsonArray(new JsonObject { ["relation"] = "self", ["url"] = next }),
            ["entry"] = new JsonArray(malignancy.DeepClone()),
        };
        entries.Remove(malignancy);
        Assert.NotEmpty(entries);
        conditions["link"] = new JsonArray(
            new JsonObject { ["relation"] = "self", ["url"] = rig.FhirBase + "/Condition?patient=seed000b&_count=1" },
            new JsonObject { ["relation"] = "next", ["url"] = next });
        return (request, page2);
    }

    private static async Task<JsonNode?> CardAsync(HttpResponseMessage response)
    {
        var body = await response.JsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, TestFiles.Show(body));
        return body["cards"]!.AsArray().SingleOrDefault();
    }

    [Fact]
    public async Task The_first_page_alone_gives_no_card_for_this_chart()
    {
        // The control: without fhirServer the malignancy on page 2 is never seen, so there is no card.
        using var rig = new FallbackRig(Roomy());
        var (request, _) = Split(rig, rig.FhirBase + "/Condition?patient=seed000b&_count=1&_page=2");
        request.Remove("fhirServer");
        request.Remove("fhirAuthorization");

        using var response = await rig.PostAsync(request);

        Assert.Null(await CardAsync(response));
        Assert.Empty(rig.Requests);
    }

    [Fact]
    public async Task A_prefetch_key_with_a_next_link_is_completed_from_fhirServer_and_the_card_uses_page_2()
    {
        using var rig = new FallbackRig(Roomy());
        var next = rig.FhirBase + "/Condition?patient=seed000b&_count=1&_page=2";
        var (request, page2) = Split(rig, next);
        rig.Search("Condition", "_page=2").RespondWith(FallbackRig.FhirJson(200, page2.ToJsonString()));

        using var response = await rig.PostAsync(request);

        var body = await response.JsonAsync();
        var card = body["cards"]?.AsArray().SingleOrDefault();
        Assert.True(card is not null, TestFiles.Show(body));
        Assert.StartsWith("PTTM suspected", (string)card["summary"]!, StringComparison.Ordinal);
        var detail = (string)card["detail"]!;
        Assert.Contains(Malignancy, detail, StringComparison.Ordinal);
        Assert.DoesNotContain("first page", detail, StringComparison.Ordinal);
        Assert.NotEmpty(rig.Requests);
        Assert.All(rig.Requests, r => Assert.Equal((new Uri(next).PathAndQuery, "Bearer " + FallbackRig.Token), r));
    }

    [Fact]
    public async Task A_next_link_to_another_host_is_not_followed_and_the_note_stays()
    {
        using var rig = new FallbackRig(Roomy());
        using var elsewhere = WireMockServer.Start();
        elsewhere.Given(Request.Create().UsingGet()).RespondWith(FallbackRig.FhirJson(200, FallbackRig.EmptyBundle));
        var (request, _) = Split(rig, elsewhere.Url + "/fhir/Condition?patient=seed000b&_page=2");
        // The malignancy back on page 1, so that there is a card to read the note on.
        request["prefetch"]!["conditions"] = rig.CaseRequest(CardCase).Request["prefetch"]!["conditions"]!.DeepClone();
        request["prefetch"]!["conditions"]!["link"] = new JsonArray(
            new JsonObject { ["relation"] = "next", ["url"] = elsewhere.Url + "/fhir/Condition?patient=seed000b&_page=2" });

        using var response = await rig.PostAsync(request);

        var detail = (string)(await CardAsync(response))!["detail"]!;
        Assert.Contains("Prefetch 'conditions' holds the first page of its search only", detail, StringComparison.Ordinal);
        Assert.Contains("points outside fhirServer", detail, StringComparison.Ordinal);
        Assert.Empty(elsewhere.LogEntries);
        Assert.Empty(rig.Requests);
    }

    [Fact]
    public async Task A_failing_next_page_keeps_the_first_page_and_its_note_and_still_gives_the_card()
    {
        using var rig = new FallbackRig(Roomy(("Cds:Fallback:MaxRetries", "0")));
        var next = rig.FhirBase + "/Condition?patient=seed000b&_page=2";
        var (request, _) = Split(rig, next);
        request["prefetch"]!["conditions"] = rig.CaseRequest(CardCase).Request["prefetch"]!["conditions"]!.DeepClone();
        request["prefetch"]!["conditions"]!["link"] = new JsonArray(new JsonObject { ["relation"] = "next", ["url"] = next });
        rig.Search("Condition", "_page=2").RespondWith(FallbackRig.FhirJson(500, FallbackRig.Outcome("exception", "boom")));

        using var response = await rig.PostAsync(request);

        var card = await CardAsync(response);
        Assert.NotNull(card);
        Assert.StartsWith("PTTM suspected", (string)card["summary"]!, StringComparison.Ordinal);
        var detail = (string)card["detail"]!;
        Assert.Contains("Prefetch 'conditions' holds the first page of its search only", detail, StringComparison.Ordinal);
        Assert.Contains("page 2", detail, StringComparison.Ordinal);
        Assert.Contains("HTTP 500", detail, StringComparison.Ordinal);
        Assert.Single(rig.Requests);
    }

    [Fact]
    public async Task A_next_link_is_not_followed_without_a_token_to_a_server_that_is_not_open()
    {
        using var rig = new FallbackRig(Roomy());
        var next = rig.FhirBase + "/Condition?patient=seed000b&_page=2";
        var (request, _) = Split(rig, next);
        request["prefetch"]!["conditions"] = rig.CaseRequest(CardCase).Request["prefetch"]!["conditions"]!.DeepClone();
        request["prefetch"]!["conditions"]!["link"] = new JsonArray(new JsonObject { ["relation"] = "next", ["url"] = next });
        request.Remove("fhirAuthorization");

        using var response = await rig.PostAsync(request);

        var detail = (string)(await CardAsync(response))!["detail"]!;
        Assert.Contains("holds the first page of its search only", detail, StringComparison.Ordinal);
        Assert.Contains("OpenServers", detail, StringComparison.Ordinal);
        Assert.Empty(rig.Requests);
    }
}
