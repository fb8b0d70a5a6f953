using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using PttmHooks.Service.Tests.Cards;

namespace PttmHooks.Service.Tests.Robustness;

/// <summary>
/// What a mutation run saw: answers by status, and the failures (each with how to replay it and
/// the mutated body, truncated). Thread-safe: cases run concurrently.
/// </summary>
public sealed class FuzzReport(string name, ServiceApp app)
{
    // Only what the service logged during this run counts (the app is shared by a test class).
    private readonly int _logsBefore = app.Logs.Count;
    // PTTM_FUZZ_SHOW raises how many failures a report shows (8 by default).
    private static readonly int KeptFailures = int.TryParse(Environment.GetEnvironmentVariable("PTTM_FUZZ_SHOW"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var show) ? show : 8;
    private readonly ConcurrentDictionary<string, int> _statuses = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _failures = new();
    private int _failureCount;
    private int _serverErrors;
    private int _total;

    /// <summary>How many answers were 5xx (or no answer at all).</summary>
    public int ServerErrors => _serverErrors;

    /// <summary>How many answers broke an expectation (5xx included).</summary>
    public int Failures => _failureCount;

    /// <summary>Counts an answer.</summary>
    public void Count(int status)
    {
        Interlocked.Increment(ref _total);
        _statuses.AddOrUpdate(status.ToString(CultureInfo.InvariantCulture), 1, (_, n) => n + 1);
        if (status >= 500)
        {
            Interlocked.Increment(ref _serverErrors);
        }
    }

    /// <summary>Records a failed expectation of case <paramref name="index"/>.</summary>
    public void Fail(int index, string what, string mutation, string body)
    {
        if (Interlocked.Increment(ref _failureCount) <= KeptFailures)
        {
            _failures.Enqueue($"{FuzzSettings.Replay(index)}: {what}\n  mutation: {mutation}\n  body: {FuzzSettings.Truncate(body, 1500)}");
        }
    }

    /// <summary>One line: requests, answers by status, failures.</summary>
    public string Summary(TimeSpan elapsed) =>
        $"{name}: {_total} requests in {elapsed.TotalSeconds:F1} s (seed {FuzzSettings.Seed}); by status: "
        + string.Join(", ", _statuses.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}: {s.Value}"))
        + $"; 5xx: {_serverErrors}; failed expectations: {_failureCount}";

    /// <summary>Writes the summary (and the server's exception types) to the test output, and fails the test if anything failed.</summary>
    public void Conclude(TimeSpan elapsed)
    {
        var summary = Summary(elapsed);
        var exceptions = app.Logs.GetSnapshot().Skip(_logsBefore)
            .Where(r => r.Level >= LogLevel.Error && r.Exception is not null)
            .GroupBy(r => r.Exception!.GetType().FullName + ": " + FuzzSettings.Truncate(r.Exception.Message.Split('\n')[0], 120), StringComparer.Ordinal)
            .OrderByDescending(g => g.Count())
            .Take(10)
            .Select(g => $"  {g.Count()} × {g.Key}")
            .ToList();
        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine(summary);
        if (exceptions.Count > 0)
        {
            output?.WriteLine("Exceptions the service logged:\n" + string.Join('\n', exceptions));
        }

        if (_failureCount > 0)
        {
            Assert.Fail(summary + (exceptions.Count > 0 ? "\nExceptions the service logged:\n" + string.Join('\n', exceptions) : string.Empty)
                + $"\nFirst {Math.Min(KeptFailures, _failureCount)} of {_failureCount} failures:\n" + string.Join("\n\n", _failures));
        }
    }
}

/// <summary>Posting mutated bodies and checking the answers every request must get.</summary>
public static class FuzzPost
{
    /// <summary>Posts <paramref name="body"/> as <c>application/json</c> (bytes as they are: a BOM or invalid UTF-8 stays).</summary>
    public static async Task<(int Status, string? MediaType, string Text)> PostAsync(HttpClient client, string path, byte[] body)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        try
        {
            using var response = await client.PostAsync(new Uri(path, UriKind.Relative), content, TestContext.Current.CancellationToken);
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text);
        }
        catch (HttpRequestException e)
        {
            // An exception that escaped the pipeline: as bad as a 500.
            return (599, null, e.ToString());
        }
    }

    /// <summary>
    /// What is wrong with an answer, or null: never a 5xx; a 4xx is a FHIR OperationOutcome with at
    /// least one issue, each with diagnostics; a 200 is a CDS Hooks response (a <c>cards</c> array)
    /// that keeps the card invariants. Any other status is wrong too.
    /// </summary>
    public static string? Problem(int status, string? mediaType, string text)
    {
        if (status >= 500)
        {
            return $"answered {status}: {FuzzSettings.Truncate(text, 600)}";
        }

        JsonNode? body;
        try
        {
            body = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            return $"answered {status} with a body that is not JSON ({e.Message}): {FuzzSettings.Truncate(text, 300)}";
        }

        if (status is >= 400 and < 500)
        {
            if (mediaType != "application/fhir+json")
            {
                return $"answered {status} as {mediaType ?? "no content type"}, not application/fhir+json";
            }

            if ((string?)body?["resourceType"] != "OperationOutcome" || body["issue"] is not JsonArray { Count: > 0 } issues)
            {
                return $"answered {status} without an OperationOutcome with issues: {FuzzSettings.Truncate(text, 300)}";
            }

            return issues.Any(i => i?["diagnostics"] is not JsonValue d || d.GetValueKind() != JsonValueKind.String || string.IsNullOrWhiteSpace((string?)d))
                ? $"answered {status} with an issue without diagnostics: {FuzzSettings.Truncate(text, 300)}"
                : null;
        }

        if (status != (int)HttpStatusCode.OK)
        {
            return $"answered {status}, which a hook call never should";
        }

        if (body is null || body["cards"] is not JsonArray)
        {
            return $"answered 200 without a cards array: {FuzzSettings.Truncate(text, 300)}";
        }

        var violations = CardInvariants.Violations(body);
        return violations.Count == 0 ? null : "answered 200 with cards that break the invariants: " + string.Join("; ", violations);
    }

    /// <summary>
    /// What of a card is decided by the data (uuid, summary, indicator, source, suggestions with
    /// their ServiceRequest, override reasons, links), as one comparable JSON text; the detail is
    /// left out, since a note about the data read may be added to it.
    /// </summary>
    public static string Decided(JsonNode response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var cards = new JsonArray();
        foreach (var card in response["cards"]?.AsArray() ?? [])
        {
            var kept = new JsonObject();
            foreach (var member in new[] { "uuid", "summary", "indicator", "source", "suggestions", "selectionBehavior", "overrideReasons", "links" })
            {
                kept[member] = card?[member]?.DeepClone();
            }

            cards.Add(kept);
        }

        return cards.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The text of a Markdown detail with backslash escapes removed (<c>obs\-5\.status</c> → <c>obs-5.status</c>).</summary>
    public static string Unescaped(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        var text = new StringBuilder(markdown.Length);
        for (var i = 0; i < markdown.Length; i++)
        {
            if (markdown[i] == '\\' && i + 1 < markdown.Length && markdown[i + 1] < 128 && (char.IsPunctuation(markdown[i + 1]) || char.IsSymbol(markdown[i + 1])))
            {
                i++;
            }

            text.Append(markdown[i]);
        }

        return text.ToString();
    }
}
