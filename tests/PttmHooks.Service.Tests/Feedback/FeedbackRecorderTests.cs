using Microsoft.Extensions.Logging.Abstractions;
using PttmHooks.Service.CdsHooks;

namespace PttmHooks.Service.Tests.Feedback;

/// <summary>FeedbackRecorder on its own: what counts as a new entry.</summary>
public sealed class FeedbackRecorderTests : IDisposable
{
    private static readonly DateTimeOffset s_at = new(2024, 5, 1, 12, 34, 56, 789, TimeSpan.Zero);

    private readonly FeedbackRecorder _recorder = new(NullLogger<FeedbackRecorder>.Instance);
    private readonly FakeService _service = new();

    public void Dispose() => _recorder.Dispose();

    [Fact]
    public void Repeated_entry_with_the_same_card_outcome_and_timestamp_is_recorded_once()
    {
        var card = Guid.NewGuid().ToString("D");
        var entry = new FeedbackEntry(card, "overridden", [], "not-consistent", false, s_at);

        Assert.Equal(1, _recorder.Record(_service, [entry]));
        Assert.Equal(0, _recorder.Record(_service, [entry]));
        // An equal entry built anew is the same feedback too (a client's retry).
        Assert.Equal(0, _recorder.Record(_service, [entry with { AcceptedSuggestions = [] }]));
    }

    [Fact]
    public void Two_entries_for_the_same_card_with_different_outcomes_both_count()
    {
        var card = Guid.NewGuid().ToString("D");
        var accepted = new FeedbackEntry(card, "accepted", [Guid.NewGuid().ToString("D")], null, false, s_at);
        var overridden = new FeedbackEntry(card, "overridden", [], "already-evaluated", true, s_at.AddMinutes(5));

        Assert.Equal(2, _recorder.Record(_service, [accepted, overridden]));
        Assert.Equal(0, _recorder.Record(_service, [accepted, overridden]));
    }

    [Fact]
    public void The_same_card_and_outcome_at_another_time_counts_again()
    {
        var card = Guid.NewGuid().ToString("D");
        var first = new FeedbackEntry(card, "overridden", [], null, true, s_at);

        Assert.Equal(1, _recorder.Record(_service, [first]));
        Assert.Equal(1, _recorder.Record(_service, [first with { OutcomeTimestamp = s_at.AddDays(1) }]));
    }

    [Fact]
    public void Recorder_asks_the_service_whether_it_issued_each_new_card()
    {
        var card = Guid.NewGuid().ToString("D");
        var entry = new FeedbackEntry(card, "overridden", [], null, true, s_at);

        _recorder.Record(_service, [entry, entry]);

        Assert.Equal([card], _service.Asked);
    }

    private sealed class FakeService : ICdsService
    {
        public List<string> Asked { get; } = [];

        public string Id => "fake-service";

        public Task<CdsServiceResult> InvokeAsync(CdsInvocation invocation, CancellationToken cancellationToken) =>
            throw new NotSupportedException("feedback only");

        public bool CouldHaveIssued(string cardUuid)
        {
            Asked.Add(cardUuid);
            return false;
        }
    }
}
