using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using PttmHooks.Reading.Samples;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Robustness;

/// <summary>
/// A bounded mutation test of the hook endpoint (issue 17): real hook requests (every sample
/// patient, with prefetch filled from the discovery templates, and the CDS Hooks fixtures), mutated
/// by a seeded <see cref="JsonMutator"/> and posted through the in-process service. Never a 5xx;
/// every 4xx an OperationOutcome that says what is wrong; every 200 a CDS Hooks response. And a
/// mutation inside what the rule does not read leaves the cards as they were.
/// The seed is fixed (<see cref="FuzzSettings"/>; <c>PTTM_FUZZ_SEED</c> changes it), and a failure
/// names the seed, the case number and the mutated body.
/// </summary>
public sealed class MutatedHookRequestTests(MutatedHookRequestTests.Host host) : IClassFixture<MutatedHookRequestTests.Host>
{
    /// <summary>Every request is written as if evaluated at this time (the sample dates are moved to it).</summary>
    private static readonly DateTimeOffset s_now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    /// <summary>One service for the class, its clock at <see cref="s_now"/>, and the seed requests.</summary>
    public sealed class Host : IDisposable
    {
        public Host()
        {
            App.Time.SetUtcNow(s_now);
            var cases = SampleCase.LoadAll(TestFiles.Path("cases"));
            Samples = [.. cases.Select(c => (c.Id, SampleRequests.Build(c, TestFiles.Templates, s_now, Guid.NewGuid())))];
            Fixtures =
            [
                .. new[]
                {
                    "hl7-spec/patient-view-request.json",
                    "hl7-spec/request-with-extension.json",
                    "ahrq/R4-active_person_invocation.json",
                    "ahrq/R4-lazy_person_invocation.json",
                    "ahrq/R4-missing_prefetch_keys_invocation.json",
                    "ahrq/R4-null_prefetch_values_invocation.json",
                    "sandbox-cds-services/patient-greeting-requestWithPrefetch.json",
                    "sandbox-cds-services/patient-greeting-requestWithoutPrefetch.json",
                    "hapi/CdsServiceRequestJson.json",
                }.Select(f => (f, TestFiles.Fixture(f))),
            ];
        }

        public ServiceApp App { get; } = new();

        /// <summary>The hook request of every sample patient, by case id.</summary>
        public IReadOnlyList<(string Name, JsonObject Request)> Samples { get; }

        /// <summary>The CDS Hooks fixtures that are hook requests (mostly answered 400 or 412 as they are).</summary>
        public IReadOnlyList<(string Name, JsonNode Request)> Fixtures { get; }

        public void Dispose() => App.Dispose();
    }

    [Fact]
    public async Task Mutated_hook_requests_never_answer_5xx_and_every_4xx_is_an_OperationOutcome()
    {
        var report = new FuzzReport("Mutated hook requests", host.App);
        using var client = host.App.CreateClient();
        var clock = Stopwatch.StartNew();

        await ForEachCaseAsync(FuzzSettings.Requests, async index =>
        {
            var random = FuzzSettings.For(1, index);
            // Mostly the sample patients (where the rule does its work), some fixtures.
            (string Name, JsonNode Request) seed = random.Next(10) == 0
                ? host.Fixtures[random.Next(host.Fixtures.Count)]
                : host.Samples[random.Next(host.Samples.Count)];
            var name = seed.Name;
            var mutant = new JsonMutator(random).Mutate(seed.Request);

            var (status, mediaType, text) = await FuzzPost.PostAsync(client, Http.ServicePath, mutant.Body);

            report.Count(status);
            if (FuzzPost.Problem(status, mediaType, text) is { } problem)
            {
                report.Fail(index, problem, $"{name}: {mutant.Description}", mutant.Text);
            }
        });

        report.Conclude(clock.Elapsed);
        await host.App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public Task An_invalid_primitive_value_the_rule_does_not_read_leaves_the_cards_unchanged() =>
        UnreadMutationsLeaveTheCardsAsync(shapes: false, "Invalid primitives the rule does not read", stream: 2);

    [Fact]
    public Task A_wrongly_shaped_element_the_rule_does_not_read_leaves_the_cards_unchanged() =>
        UnreadMutationsLeaveTheCardsAsync(shapes: true, "Wrong shapes the rule does not read", stream: 3);

    /// <summary>
    /// Posts every sample patient unmutated, then <see cref="FuzzSettings.Requests"/>/6 requests
    /// mutated only where the rule does not read (<see cref="JsonMutator.MutateUnread"/>): each must
    /// answer 200 with the cards of its unmutated request (all but the detail, which may say what
    /// was read in part).
    /// </summary>
    private async Task UnreadMutationsLeaveTheCardsAsync(bool shapes, string title, int stream)
    {
        var report = new FuzzReport(title, host.App);
        using var client = host.App.CreateClient();
        var baselines = new List<(string Name, JsonObject Request, string Cards)>();
        foreach (var (name, request) in host.Samples)
        {
            var (status, mediaType, text) = await FuzzPost.PostAsync(client, Http.ServicePath, Encoding.UTF8.GetBytes(request.ToJsonString()));
            Assert.True(FuzzPost.Problem(status, mediaType, text) is null && status == 200, $"{name} unmutated: {status} {FuzzSettings.Truncate(text)}");
            baselines.Add((name, request, FuzzPost.Decided(JsonNode.Parse(text)!)));
        }

        Assert.Contains(baselines, b => b.Cards.Contains("\"summary\"", StringComparison.Ordinal));
        var clock = Stopwatch.StartNew();

        await ForEachCaseAsync(Math.Max(1, FuzzSettings.Requests / 6), async index =>
        {
            var random = FuzzSettings.For(stream, index);
            var (name, request, expected) = baselines[random.Next(baselines.Count)];
            var mutant = new JsonMutator(random).MutateUnread(request, shapes);

            var (status, mediaType, text) = await FuzzPost.PostAsync(client, Http.ServicePath, mutant.Body);

            report.Count(status);
            if (FuzzPost.Problem(status, mediaType, text) is { } problem)
            {
                report.Fail(index, problem, $"{name}: {mutant.Description}", mutant.Text);
            }
            else if (status != 200)
            {
                report.Fail(index, $"answered {status}, not 200 with the cards of the unmutated request: {FuzzSettings.Truncate(text, 600)}", $"{name}: {mutant.Description}", mutant.Text);
            }
            else if (FuzzPost.Decided(JsonNode.Parse(text)!) is var actual && actual != expected)
            {
                report.Fail(index, $"the cards changed.\n  expected: {FuzzSettings.Truncate(expected, 600)}\n  actual: {FuzzSettings.Truncate(actual, 600)}", $"{name}: {mutant.Description}", mutant.Text);
            }
        });

        report.Conclude(clock.Elapsed);
    }

    /// <summary>Runs <paramref name="count"/> cases, four at a time (or only <see cref="FuzzSettings.Only"/>).</summary>
    internal static Task ForEachCaseAsync(int count, Func<int, Task> run)
    {
        var indexes = FuzzSettings.Only is { } only ? [only] : Enumerable.Range(0, count);
        return Parallel.ForEachAsync(
            indexes,
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = TestContext.Current.CancellationToken },
            async (index, _) => await run(index));
    }
}
