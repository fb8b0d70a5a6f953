using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PttmHooks.Service.Cards;
using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Feedback;

/// <summary>The ids on a card the service returned are recognised as its own when feedback comes back.</summary>
public sealed class IssuedCardIdTests(AppHost host) : IClassFixture<AppHost>
{
    private ServiceApp App => host.App;

    [Fact]
    public async Task Card_and_suggestion_uuids_the_service_returned_are_issued_and_a_random_uuid_is_not()
    {
        using var response = await App.PostJsonAsync(Http.ServicePath, App.CaseRequest("seed000-breast-perfusion-defects"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var card = Assert.Single((await response.JsonAsync())["cards"]!.AsArray())!;
        var cardUuid = (string)card["uuid"]!;
        var suggestionUuid = (string)card["suggestions"]![0]!["uuid"]!;

        var ids = App.Services.GetRequiredService<CardComposer>().Ids;
        Assert.True(ids.IsIssued(cardUuid));
        Assert.True(ids.IsIssued(suggestionUuid));
        Assert.False(ids.IsIssued(Guid.NewGuid().ToString("D")));
        Assert.False(ids.IsIssued("not-a-uuid"));

        // The service the feedback endpoint asks says the same.
        var service = Assert.Single(App.Services.GetServices<ICdsService>());
        Assert.True(service.CouldHaveIssued(cardUuid));
        Assert.False(service.CouldHaveIssued(Guid.NewGuid().ToString("D")));
    }

    [Fact]
    public async Task Feedback_for_a_card_the_service_returned_is_accepted()
    {
        using var response = await App.PostJsonAsync(Http.ServicePath, App.CaseRequest("seed000-breast-perfusion-defects"));
        var card = (await response.JsonAsync())["cards"]![0]!;
        var body = System.Text.Json.Nodes.JsonNode.Parse($$"""
            {"feedback":[{"card":"{{(string)card["uuid"]!}}","outcome":"accepted","acceptedSuggestions":[{"id":"{{(string)card["suggestions"]![0]!["uuid"]!}}"}],"outcomeTimestamp":"2026-11-20T12:01:02.345Z"}]}
            """)!;

        using var feedback = await App.PostJsonAsync(Http.FeedbackPath, body);

        Assert.Equal(HttpStatusCode.OK, feedback.StatusCode);
    }
}
