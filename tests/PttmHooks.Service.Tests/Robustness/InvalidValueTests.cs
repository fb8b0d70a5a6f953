using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Robustness;

/// <summary>
/// One realistic invalid value in a hook request (issue 17): the element is read as absent, the
/// rest of the resource counts, the card is still issued, and its "About the data" names the
/// element as <c>Type/id.element</c> (pttm-criteria.md 1.1, "Values that are not valid FHIR").
/// The wording of the note is free; the element path is not.
/// </summary>
public sealed partial class InvalidValueTests(AppHost host) : IClassFixture<AppHost>
{
    private const string CardCase = "seed004-breast-history-hypoxaemia-vq";

    // SpO2 82 % after walking 30 m: decisive for C2 (with the PaO2 of seed004-obs6).
    private const string Observation = "seed004-obs5";

    private ServiceApp App => host.App;

    [Fact]
    public async Task An_Observation_with_status_Final_capitalised_gets_its_card_with_a_note_naming_Observation_status()
    {
        var expected = await UnmutatedCardAsync();
        var request = App.CaseRequest(CardCase);
        foreach (var observation in Copies(request))
        {
            observation["status"] = "Final";
        }

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var card = await SingleCardAsync(response);
        // An unreadable status is read as final: the same card as with "final".
        Assert.Equal((string?)expected["summary"], (string?)card["summary"]);
        Assert.Equal((string?)expected["indicator"], (string?)card["indicator"]);
        Assert.Equal((string?)expected["uuid"], (string?)card["uuid"]);
        AssertNoteNames(card, $"Observation/{Observation}.status", StatusPath());
    }

    [Fact]
    public async Task An_Observation_whose_valueQuantity_value_is_a_string_gets_its_card_with_a_note_naming_the_element()
    {
        var request = App.CaseRequest(CardCase);
        foreach (var observation in Copies(request))
        {
            observation["valueQuantity"]!["value"] = "82";
        }

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        // The value is absent; the PaO2 still shows hypoxaemia, so the card is issued.
        var card = await SingleCardAsync(response);
        AssertNoteNames(card, $"Observation/{Observation}.valueQuantity (or .value)", ValuePath());
    }

    [Fact]
    public async Task An_Observation_whose_valueQuantity_is_only_a_value_written_as_a_string_gets_its_card_with_a_note()
    {
        // The shape the issue quotes: "valueQuantity": {"value": "82"}, no unit or system.
        var request = App.CaseRequest(CardCase);
        foreach (var observation in Copies(request))
        {
            observation["valueQuantity"] = new JsonObject { ["value"] = "82" };
        }

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var card = await SingleCardAsync(response);
        AssertNoteNames(card, $"Observation/{Observation}.valueQuantity (or .value)", ValuePath());
    }

    /// <summary>Every copy of the Observation in the request's prefetch (it is in more than one search).</summary>
    private static IReadOnlyList<JsonObject> Copies(JsonObject request)
    {
        var copies = Http.PrefetchedResources(request, Observation);
        Assert.NotEmpty(copies);
        return copies;
    }

    private async Task<JsonNode> UnmutatedCardAsync()
    {
        using var response = await App.PostJsonAsync(Http.ServicePath, App.CaseRequest(CardCase));
        return await SingleCardAsync(response);
    }

    private static async Task<JsonNode> SingleCardAsync(HttpResponseMessage response)
    {
        var text = await response.TextAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200 with the card, got {(int)response.StatusCode}: {FuzzSettings.Truncate(text)}");
        var cards = JsonNode.Parse(text)!["cards"]!.AsArray();
        Assert.True(cards.Count == 1, $"expected the card to be issued: {FuzzSettings.Truncate(text)}");
        return cards[0]!;
    }

    /// <summary>The card's "About the data" section (Markdown escapes removed) names the element.</summary>
    private static void AssertNoteNames(JsonNode card, string what, Regex element)
    {
        var detail = FuzzPost.Unescaped((string)card["detail"]!);
        var about = detail.IndexOf("About the data", StringComparison.Ordinal);
        Assert.True(about >= 0, $"the card has no \"About the data\" section; detail:\n{detail}");
        var notes = detail[about..];
        Assert.True(element.IsMatch(notes), $"\"About the data\" does not name {what}:\n{notes}");
    }

    // Observation/seed004-obs5.status, as a whole path (not .statusReason).
    [GeneratedRegex(@"Observation/seed004-obs5\.status(?![A-Za-z])")]
    private static partial Regex StatusPath();

    // Observation/seed004-obs5.valueQuantity, .valueQuantity.value or .value.
    [GeneratedRegex(@"Observation/seed004-obs5\.value(Quantity)?(\.value)?(?![A-Za-z])")]
    private static partial Regex ValuePath();
}
