using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using PttmHooks.Reading.Samples;
using PttmHooks.Service.Tests.CdsHooks;
using PttmHooks.Service.Tests.Fallback;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Robustness;

/// <summary>
/// The FHIR fallback against a <see cref="MisbehavingFhirServer"/> (issue 17): hook calls with no
/// prefetch, whose every key is fetched from a FHIR server that answers one to three of them badly
/// (mutated searchsets, invalid primitives, truncated, dropped and binary bodies, HTML and missing
/// content types, trickles, slow headers, 5xx and 429), chosen by the seed. Each call answers 200
/// with a card (noting what it could not read) or a 412 naming the keys it could not fill, never a
/// 5xx, and within the fallback's time budget (with room for a loaded machine).
/// </summary>
public sealed class MisbehavingFhirServerTests
{
    private const string CardCase = "seed000-breast-perfusion-defects";
    private const string Token = "misbehaving-token-5b0d";

    // Short, so that slow faults cost little; the bound on each answer is this plus Slack.
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_slack = TimeSpan.FromSeconds(1.5);

    private static readonly FhirFault[] s_faults = [.. Enum.GetValues<FhirFault>().Where(f => f != FhirFault.None)];

    // Faults that change what the data says (the card may change or go; a card then notes the data read in part).
    private static readonly FhirFault[] s_contentFaults = [FhirFault.Mutated, FhirFault.InvalidPrimitive];

    [Fact]
    public async Task Every_call_answers_a_card_or_a_412_naming_the_key_within_the_budget_never_a_5xx()
    {
        await using var fhir = await MisbehavingFhirServer.StartAsync();
        using var app = new ServiceApp(new Dictionary<string, string?>
        {
            ["Cds:FhirServers:0"] = fhir.BaseUrl,
            ["Cds:Fallback:Budget"] = s_budget.ToString(),
            ["Cds:Fallback:AttemptTimeout"] = "00:00:00.400",
            ["Cds:Fallback:RetryDelay"] = "00:00:00.010",
            // Each call stands alone: no circuit opened by the faults of earlier calls.
            ["Cds:Fallback:Circuit:FailureRatio"] = "1.0",
            ["Cds:Fallback:Circuit:MinimumThroughput"] = "1000",
        });
        var sample = Http.Case(CardCase);
        app.Time.SetUtcNow(sample.EvaluatedAt);
        var truth = SampleRequests.Build(sample, TestFiles.Templates, at: null, Guid.NewGuid())["prefetch"]!.AsObject();
        using var client = app.CreateClient();
        // Warm up, and the card every call gets when its data arrives whole. The first call also
        // compiles the whole pipeline, which on a loaded machine can take longer than the 1 s budget:
        // it may be retried twice.
        var (baselineStatus, baselineText) = (0, string.Empty);
        for (var attempt = 0; attempt < 3 && baselineStatus != 200; attempt++)
        {
            (baselineStatus, _, baselineText, _) = await CallAsync(fhir, client, "fzbase", Answers(truth, sample.PatientId, "fzbase", new Dictionary<string, FaultyAnswer>()));
        }

        Assert.True(baselineStatus == 200, $"the well-behaved call answered {baselineStatus}: {FuzzSettings.Truncate(baselineText)}");
        var expected = Assert.Single(JsonNode.Parse(baselineText)!["cards"]!.AsArray())!;
        var report = new FuzzReport("Misbehaving FHIR server", app);
        var clock = Stopwatch.StartNew();

        await MutatedHookRequestTests.ForEachCaseAsync(FuzzSettings.FallbackCalls, async index =>
        {
            var random = FuzzSettings.For(4, index);
            var patientId = "fz" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var faulted = Plan(random, truth, sample.PatientId, patientId);
            var plan = Answers(truth, sample.PatientId, patientId, faulted);
            var described = string.Join("; ", faulted.Select(f => $"{f.Key}: {f.Value.Fault}{(f.Value.Fault is FhirFault.ServerError or FhirFault.TooManyRequests ? $" {f.Value.Status} Retry-After {f.Value.RetryAfter}" : string.Empty)}"));

            var (status, mediaType, text, elapsed) = await CallAsync(fhir, client, patientId, plan);

            report.Count(status);
            if (Problem(status, mediaType, text, elapsed, faulted, expected) is { } problem)
            {
                var bodies = string.Join("\n  ", faulted.Where(f => s_contentFaults.Contains(f.Value.Fault)).Select(f => $"{f.Key} answered: {FuzzSettings.Truncate(Encoding.UTF8.GetString(f.Value.Body), 600)}"));
                report.Fail(index, problem, described, bodies);
            }
        });

        report.Conclude(clock.Elapsed);
    }

    /// <summary>What is wrong with one call's answer, or null.</summary>
    private static string? Problem(int status, string? mediaType, string text, TimeSpan elapsed, IReadOnlyDictionary<string, FaultyAnswer> faulted, JsonNode expected)
    {
        if (elapsed > s_budget + s_slack)
        {
            return $"answered {status} after {elapsed.TotalMilliseconds:F0} ms; the budget is {s_budget.TotalMilliseconds:F0} ms";
        }

        // Never a 5xx; a 4xx an OperationOutcome; a 200 a CDS Hooks response.
        if (FuzzPost.Problem(status, mediaType, text) is { } problem)
        {
            return problem;
        }

        if (status is not (200 or 412))
        {
            return $"answered {status}, not 200 or 412: {FuzzSettings.Truncate(text, 600)}";
        }

        var body = JsonNode.Parse(text)!;
        if (status == 412)
        {
            foreach (var issue in body["issue"]!.AsArray())
            {
                var expression = issue?["expression"]?[0]?.GetValue<string>();
                var diagnostics = issue?["diagnostics"]?.GetValue<string>() ?? string.Empty;
                var key = expression is not null && expression.StartsWith("prefetch.", StringComparison.Ordinal) ? expression["prefetch.".Length..] : null;
                if (key is null || !TestFiles.Templates.ContainsKey(key) || string.IsNullOrWhiteSpace(diagnostics))
                {
                    return $"answered 412 with an issue that does not name a prefetch key: {FuzzSettings.Truncate(text, 600)}";
                }

                // A well-answered key may only miss the budget (a loaded machine).
                if (!faulted.ContainsKey(key) && !diagnostics.Contains("budget", StringComparison.Ordinal))
                {
                    return $"answered 412 naming {expression}, whose query was answered well: {FuzzSettings.Truncate(diagnostics, 600)}";
                }
            }

            return null;
        }

        var cards = body["cards"]!.AsArray();
        var changesData = faulted.Values.Any(f => s_contentFaults.Contains(f.Fault));
        if (!changesData)
        {
            // The data arrived whole in the end (a retry, a content type the client tolerates): the same card.
            if (cards.Count != 1 || (string?)cards[0]!["summary"] != (string?)expected["summary"] || (string?)cards[0]!["indicator"] != (string?)expected["indicator"])
            {
                return $"answered 200 without the card the data gives: {FuzzSettings.Truncate(text, 600)}";
            }

            return null;
        }

        if (cards.Count == 1 && faulted.Values.Any(f => f.Fault == FhirFault.InvalidPrimitive)
            && !((string?)cards[0]!["detail"] ?? string.Empty).Contains("About the data", StringComparison.Ordinal))
        {
            return $"answered 200 with a card that does not say what could not be read: {FuzzSettings.Truncate((string?)cards[0]!["detail"] ?? string.Empty, 800)}";
        }

        return null;
    }

    /// <summary>Chooses one to three search keys and how each is answered badly.</summary>
    private static Dictionary<string, FaultyAnswer> Plan(Random random, JsonObject truth, string casePatient, string patientId)
    {
        var count = random.Next(10) switch { < 6 => 1, < 9 => 2, _ => 3 };
        var keys = Http.SearchKeys.OrderBy(_ => random.Next()).Take(count);
        var faulted = new Dictionary<string, FaultyAnswer>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var good = Body(truth, key, casePatient, patientId);
            var fault = s_faults[random.Next(s_faults.Length)];
            faulted[key] = fault switch
            {
                FhirFault.Mutated => new FaultyAnswer(fault, new JsonMutator(random).Mutate(JsonNode.Parse(good)!).Body),
                FhirFault.InvalidPrimitive when InvalidPrimitive(random, good) is { } bad => new FaultyAnswer(fault, bad),
                FhirFault.InvalidPrimitive or FhirFault.Truncated => new FaultyAnswer(FhirFault.Truncated, Encoding.UTF8.GetBytes(good)[..random.Next(1, good.Length)]),
                FhirFault.Binary => new FaultyAnswer(fault, RandomBytes(random)),
                FhirFault.Html => new FaultyAnswer(fault, "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"u8.ToArray()),
                FhirFault.ServerError => new FaultyAnswer(fault, Encoding.UTF8.GetBytes(FallbackRig.Outcome("exception", "database unavailable")), Status: new[] { 500, 502, 503, 504 }[random.Next(4)]),
                FhirFault.TooManyRequests => new FaultyAnswer(fault, Encoding.UTF8.GetBytes(FallbackRig.Outcome("throttled", "slow down")), Status: 429, RetryAfter: new[] { 0, 1, 30 }[random.Next(3)]),
                _ => new FaultyAnswer(fault, Encoding.UTF8.GetBytes(good)),
            };
        }

        return faulted;
    }

    /// <summary>Every key's answer: the faulted ones, and the searchset as it should be for the rest.</summary>
    private static Dictionary<string, FaultyAnswer> Answers(JsonObject truth, string casePatient, string patientId, Dictionary<string, FaultyAnswer> faulted)
    {
        var answers = new Dictionary<string, FaultyAnswer>(faulted, StringComparer.Ordinal);
        foreach (var key in TestFiles.Templates.Keys.Where(k => !faulted.ContainsKey(k)))
        {
            answers[key] = new FaultyAnswer(FhirFault.None, Encoding.UTF8.GetBytes(Body(truth, key, casePatient, patientId)));
        }

        return answers;
    }

    /// <summary>The case's value for <paramref name="key"/>, as this call's patient.</summary>
    private static string Body(JsonObject truth, string key, string casePatient, string patientId) =>
        (truth[key]?.ToJsonString() ?? FallbackRig.EmptyBundle).Replace(casePatient, patientId, StringComparison.Ordinal);

    /// <summary>The searchset with one primitive of a resource the rule reads made invalid; null when it has no such resource.</summary>
    private static byte[]? InvalidPrimitive(Random random, string searchset)
    {
        var bundle = JsonNode.Parse(searchset)!;
        var resources = (bundle["entry"] as JsonArray ?? []).Select(e => e?["resource"]).OfType<JsonObject>().ToList();
        if (resources.Count == 0)
        {
            return null;
        }

        var resource = resources[random.Next(resources.Count)];
        switch ((string?)resource["resourceType"], random.Next(4))
        {
            case ("Observation", 0):
                resource["status"] = random.Next(2) == 0 ? "Final" : 7;
                break;
            case ("Observation", 1) when resource["valueQuantity"] is JsonObject quantity:
                quantity["value"] = quantity["value"]?.ToJsonString() ?? "82";
                break;
            case ("Observation", _):
                resource["effectiveDateTime"] = random.Next(2) == 0 ? "2024-13-45" : 20240101;
                break;
            case ("Condition", 0):
                resource["recordedDate"] = 82;
                break;
            case ("Condition", 1) when resource["clinicalStatus"] is JsonObject clinical && clinical["coding"] is JsonArray { Count: > 0 } codings:
                codings[0]!["code"] = 7;
                break;
            case ("Condition", _):
                resource["onsetDateTime"] = "yesterday";
                break;
            case ("DiagnosticReport", 0):
                resource["status"] = "Final";
                break;
            case ("DiagnosticReport", 1):
                resource["issued"] = "not-an-instant";
                break;
            default:
                resource["status"] = 7;
                break;
        }

        return Encoding.UTF8.GetBytes(bundle.ToJsonString());
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(1, 4_000)];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Posts the no-prefetch hook request of <paramref name="patientId"/> after planning its answers; the status, media type, body and time taken.</summary>
    private static async Task<(int Status, string? MediaType, string Text, TimeSpan Elapsed)> CallAsync(MisbehavingFhirServer fhir, HttpClient client, string patientId, IReadOnlyDictionary<string, FaultyAnswer> plan)
    {
        fhir.Plan(patientId, plan);
        var request = new JsonObject
        {
            ["hookInstance"] = Guid.NewGuid().ToString("D"),
            ["hook"] = "patient-view",
            ["fhirServer"] = fhir.BaseUrl,
            ["fhirAuthorization"] = ErrorAnswerTests.Authorization(Token),
            ["context"] = new JsonObject { ["userId"] = "Practitioner/example", ["patientId"] = patientId },
        };
        var clock = Stopwatch.StartNew();
        var (status, mediaType, text) = await FuzzPost.PostAsync(client, Http.ServicePath, Encoding.UTF8.GetBytes(request.ToJsonString()));
        return (status, mediaType, text, clock.Elapsed);
    }
}
