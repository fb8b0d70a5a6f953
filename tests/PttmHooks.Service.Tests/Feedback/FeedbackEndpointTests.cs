using System.Net;
using System.Text.Json.Nodes;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Feedback;

/// <summary>POST /cds-services/pttm-screening/feedback: the published examples, and what is refused.</summary>
public sealed class FeedbackEndpointTests(AppHost host) : IClassFixture<AppHost>
{
    private ServiceApp App => host.App;

    public static TheoryData<string> Fixtures() =>
    [
        "ahrq/R4-feedback.json",
        "ahrq/feedbackFor2.json",
        "hl7-spec/feedback-accepted.json",
        "hl7-spec/feedback-overridden.json",
        "hl7-spec/feedback-overridden-with-reason.json",
    ];

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task Published_feedback_example_is_accepted(string fixture)
    {
        using var response = await App.PostJsonAsync(Http.FeedbackPath, TestFiles.Fixture(fixture));

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.TextAsync());
    }

    [Fact]
    public async Task Sandbox_feedback_with_millisecond_timestamps_for_a_card_never_issued_is_accepted()
    {
        // What the sandbox posts (JS toISOString()), for uuids this service did not make.
        var card = Guid.NewGuid().ToString("D");
        var body = Body(
            new JsonObject
            {
                ["card"] = card,
                ["outcome"] = "accepted",
                ["acceptedSuggestions"] = new JsonArray(new JsonObject { ["id"] = Guid.NewGuid().ToString("D") }),
                ["outcomeTimestamp"] = "2024-05-01T12:34:56.789Z",
            },
            new JsonObject
            {
                ["card"] = card,
                ["outcome"] = "overridden",
                ["outcomeTimestamp"] = "2024-05-01T12:35:07.012Z",
                ["overrideReason"] = new JsonObject
                {
                    ["reason"] = new JsonObject { ["code"] = "not-consistent", ["system"] = "https://pttmhooks.example.org/fhir/CodeSystem/pttm-hooks" },
                },
            });

        using var response = await App.PostJsonAsync(Http.FeedbackPath, body);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.TextAsync());
        // A retry of the same body is acknowledged as well.
        using var again = await App.PostJsonAsync(Http.FeedbackPath, body);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Feedback_outcome_other_than_accepted_or_overridden_is_400_at_feedback_0_outcome()
    {
        var body = Body(new JsonObject { ["card"] = Guid.NewGuid().ToString("D"), ["outcome"] = "maybe", ["outcomeTimestamp"] = "2024-05-01T12:34:56Z" });

        using var response = await App.PostJsonAsync(Http.FeedbackPath, body);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("feedback[0].outcome", issue.Expression);
        Assert.Contains("'maybe'", issue.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Accepted_feedback_without_acceptedSuggestions_is_400_cds_fb_2()
    {
        var body = Body(new JsonObject { ["card"] = Guid.NewGuid().ToString("D"), ["outcome"] = "accepted", ["outcomeTimestamp"] = "2024-05-01T12:34:56Z" });

        using var response = await App.PostJsonAsync(Http.FeedbackPath, body);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("feedback[0].acceptedSuggestions", issue.Expression);
        Assert.Contains("cds-fb-2", issue.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Feedback_without_outcomeTimestamp_is_400()
    {
        var body = Body(new JsonObject { ["card"] = Guid.NewGuid().ToString("D"), ["outcome"] = "overridden" });

        using var response = await App.PostJsonAsync(Http.FeedbackPath, body);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("feedback[0].outcomeTimestamp", issue.Expression);
        Assert.Equal("required", issue.Code);
    }

    [Fact]
    public async Task Empty_feedback_array_is_400()
    {
        using var response = await App.PostJsonAsync(Http.FeedbackPath, new JsonObject { ["feedback"] = new JsonArray() });

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("feedback", issue.Expression);
        Assert.Contains("empty", issue.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Feedback_for_an_unknown_service_is_404()
    {
        using var response = await App.PostJsonAsync("/cds-services/no-such-service/feedback", TestFiles.Fixture("hl7-spec/feedback-accepted.json"));

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.NotFound));
        Assert.Equal("not-found", issue.Code);
    }

    private static JsonObject Body(params JsonObject[] entries) => new() { ["feedback"] = new JsonArray([.. entries]) };
}
