using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Caching.Memory;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Service.Telemetry;
using static Hl7.Fhir.Model.OperationOutcome;

namespace PttmHooks.Service.CdsHooks;

/// <summary>One feedback entry (CDS Hooks 2.0 "Feedback").</summary>
/// <param name="Card">The card's uuid.</param>
/// <param name="Outcome"><c>accepted</c> or <c>overridden</c>.</param>
/// <param name="AcceptedSuggestions">The ids of the accepted suggestions.</param>
/// <param name="OverrideReasonCode">The code of the override reason, when one was chosen.</param>
/// <param name="HasUserComment">Whether the user wrote a comment (the comment itself is never logged).</param>
/// <param name="OutcomeTimestamp">When the user acted.</param>
public sealed record FeedbackEntry(
    string Card,
    string Outcome,
    IReadOnlyList<string> AcceptedSuggestions,
    string? OverrideReasonCode,
    bool HasUserComment,
    DateTimeOffset OutcomeTimestamp);

/// <summary>Parses a feedback body: <c>{"feedback": [ … ]}</c>, every entry checked.</summary>
internal static class FeedbackParser
{
    public static (IReadOnlyList<FeedbackEntry> Entries, IReadOnlyList<RequestIssue> Issues) Parse(JsonElement root)
    {
        var issues = new List<RequestIssue>();
        var entries = new List<FeedbackEntry>();
        if (!root.TryGetProperty("feedback", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            issues.Add(new RequestIssue("feedback", "The body must have a 'feedback' array of feedback entries.", IssueType.Required));
            return (entries, issues);
        }

        if (list.GetArrayLength() == 0)
        {
            issues.Add(new RequestIssue("feedback", "The 'feedback' array is empty; send at least one entry.", IssueType.Required));
        }

        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            var path = $"feedback[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                issues.Add(new RequestIssue(path, $"{path} must be an object.", IssueType.Structure));
                continue;
            }

            var before = issues.Count;
            var card = JsonMembers.Required(item, "card", issues, path + ".");
            var outcome = JsonMembers.Required(item, "outcome", issues, path + ".");
            if (outcome is not null and not "accepted" and not "overridden")
            {
                issues.Add(new RequestIssue(path + ".outcome", $"{path}.outcome must be 'accepted' or 'overridden', not '{outcome}'.", IssueType.CodeInvalid));
            }

            var timestampText = JsonMembers.Required(item, "outcomeTimestamp", issues, path + ".");
            var timestamp = DateTimeOffset.MinValue;
            if (timestampText is not null && !DateTimeOffset.TryParse(timestampText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out timestamp))
            {
                issues.Add(new RequestIssue(path + ".outcomeTimestamp", $"{path}.outcomeTimestamp must be an ISO 8601 instant (2024-05-01T12:34:56.789Z)."));
            }

            var accepted = new List<string>();
            if (item.TryGetProperty("acceptedSuggestions", out var suggestions) && suggestions.ValueKind != JsonValueKind.Null)
            {
                if (suggestions.ValueKind != JsonValueKind.Array)
                {
                    issues.Add(new RequestIssue(path + ".acceptedSuggestions", $"{path}.acceptedSuggestions must be an array of {{\"id\": …}}.", IssueType.Structure));
                }
                else
                {
                    var i = 0;
                    foreach (var suggestion in suggestions.EnumerateArray())
                    {
                        var spath = $"{path}.acceptedSuggestions[{i++}]";
                        if (suggestion.ValueKind != JsonValueKind.Object)
                        {
                            issues.Add(new RequestIssue(spath, $"{spath} must be an object with an 'id'.", IssueType.Structure));
                            continue;
                        }

                        if (JsonMembers.Required(suggestion, "id", issues, spath + ".") is { } id)
                        {
                            accepted.Add(id);
                        }
                    }
                }
            }

            string? reasonCode = null;
            var hasComment = false;
            if (item.TryGetProperty("overrideReason", out var reason) && reason.ValueKind != JsonValueKind.Null)
            {
                if (reason.ValueKind != JsonValueKind.Object)
                {
                    issues.Add(new RequestIssue(path + ".overrideReason", $"{path}.overrideReason must be an object.", IssueType.Structure));
                }
                else
                {
                    if (reason.TryGetProperty("reason", out var coding) && coding.ValueKind == JsonValueKind.Object)
                    {
                        // display is optional in feedback (the client echoes the code it was given).
                        reasonCode = JsonMembers.Required(coding, "code", issues, path + ".overrideReason.reason.");
                    }

                    hasComment = reason.TryGetProperty("userComment", out var comment) && comment.ValueKind == JsonValueKind.String;
                }
            }

            if (outcome == "accepted" && accepted.Count == 0)
            {
                // cds-fb-2: an accepted outcome names the suggestions taken.
                issues.Add(new RequestIssue(path + ".acceptedSuggestions", $"{path}: an accepted outcome must list acceptedSuggestions (cds-fb-2).", IssueType.Required));
            }

            if (reason.ValueKind == JsonValueKind.Object && reasonCode is null && !hasComment)
            {
                // cds-fb-3: an override reason carries a reason, a comment, or both.
                issues.Add(new RequestIssue(path + ".overrideReason", $"{path}.overrideReason must have a reason or a userComment (cds-fb-3).", IssueType.Required));
            }

            if (outcome == "accepted" && reasonCode is not null)
            {
                issues.Add(new RequestIssue(path + ".overrideReason", $"{path}: an accepted card has no override reason."));
            }

            if (outcome == "overridden" && accepted.Count > 0)
            {
                issues.Add(new RequestIssue(path + ".acceptedSuggestions", $"{path}: an overridden card has no accepted suggestions."));
            }

            if (issues.Count == before)
            {
                entries.Add(new FeedbackEntry(card!, outcome!, accepted, reasonCode, hasComment, timestamp));
            }
        }

        return (entries, issues);
    }
}

/// <summary>
/// Records feedback as structured log events and metrics (the service keeps no database). A repeat
/// of an entry already seen by this process (same card, outcome and time) is acknowledged and not
/// counted again, so clients may retry safely.
/// </summary>
public sealed class FeedbackRecorder(ILogger<FeedbackRecorder> logger) : IDisposable
{
    private static readonly TimeSpan s_remember = TimeSpan.FromHours(24);

    // Bounded: a flood of distinct feedback cannot grow memory past ~100,000 small entries.
    private readonly MemoryCache _seen = new(new MemoryCacheOptions { SizeLimit = 100_000 });

    /// <inheritdoc />
    public void Dispose() => _seen.Dispose();

    /// <summary>Records <paramref name="entries"/> for <paramref name="service"/>; returns how many were new.</summary>
    public int Record(ICdsService service, IReadOnlyList<FeedbackEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(entries);
        var recorded = 0;
        foreach (var entry in entries)
        {
            var key = $"feedback\n{service.Id}\n{entry.Card}\n{entry.Outcome}\n{entry.OutcomeTimestamp.UtcTicks}\n{string.Join(',', entry.AcceptedSuggestions)}\n{entry.OverrideReasonCode}";
            if (_seen.TryGetValue(key, out _))
            {
                Log.FeedbackRepeated(logger, entry.Card, entry.Outcome);
                continue;
            }

            _seen.Set(key, true, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = s_remember });
            var issued = service.CouldHaveIssued(entry.Card);
            Log.Feedback(logger, service.Id, entry.Card, entry.Outcome, issued, entry.AcceptedSuggestions.Count, entry.OverrideReasonCode);
            var reason = entry.OverrideReasonCode is not { } code ? "none" : service.OffersOverrideReason(code) ? code : "other";
            CdsMetrics.RecordFeedback(service.Id, entry.Outcome, issued, reason);
            recorded++;
        }

        return recorded;
    }
}
