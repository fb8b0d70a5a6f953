using System.Globalization;
using System.Text.Json.Nodes;
using PttmHooks.Cli.Tests.Support;
using PttmHooks.Reading.Samples;

namespace PttmHooks.Cli.Tests.Evaluate;

/// <summary>
/// <c>evaluate</c> on every sample case (samples/cases and tests/TestData/own-cases), from its
/// Bundle and from a hook request built from it, as a table and as JSON: the recommendation,
/// suspicion, indicator, criteria and evidence that the case's case.json expects.
/// </summary>
public sealed class EvaluateCaseTests
{
    public static TheoryData<string> Cases() => TestFiles.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bundle_as_json_gives_what_the_case_expects(string name)
    {
        var sample = TestFiles.Case(name);
        var run = await PttmCli.RunAsync("evaluate", Path.Combine(sample.Folder, "bundle.json"), "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var json = run.Json();
        AssertExpected(sample, json);
        Assert.Equal("bundle", (string?)json["source"]!["kind"]);
        Assert.Equal(sample.PatientId, (string?)json["patientId"]);
        // A case's dates are written relative to its evaluatedAt, which evaluate uses by default.
        Assert.Equal(Iso(sample.EvaluatedAt), (string?)json["evaluatedAt"]);
        Assert.Contains("case.json", (string?)json["evaluatedAtSource"], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bundle_as_table_shows_each_criterion_its_evidence_and_the_answer(string name)
    {
        var sample = TestFiles.Case(name);
        var run = await PttmCli.RunAsync("evaluate", Path.Combine(sample.Folder, "bundle.json"));

        Assert.True(run.ExitCode == 0, run.ToString());
        AssertTable(sample, run.Output);
        Assert.Contains($"Evaluated at:     {Iso(sample.EvaluatedAt)} (evaluatedAt of the case.json beside the file", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Hook_request_is_read_as_the_service_reads_its_prefetch(string name)
    {
        var sample = TestFiles.Case(name);
        using var folder = new TempFolder();
        var request = folder["hook.json"];
        await File.WriteAllTextAsync(request, SampleRequests.Build(sample, TestFiles.Templates, at: null, Guid.NewGuid()).ToJsonString(), TestContext.Current.CancellationToken);

        var json = await PttmCli.RunAsync("evaluate", request, "--json", "--at", Iso(sample.EvaluatedAt));
        Assert.True(json.ExitCode == 0, json.ToString());
        AssertExpected(sample, json.Json());
        Assert.Equal("hook-request", (string?)json.Json()["source"]!["kind"]);
        Assert.Equal("--at", (string?)json.Json()["evaluatedAtSource"]);

        var table = await PttmCli.RunAsync("evaluate", request, "--at", Iso(sample.EvaluatedAt));
        Assert.True(table.ExitCode == 0, table.ToString());
        AssertTable(sample, table.Output);
    }

    [Fact]
    public async Task Hook_request_with_dates_moved_to_now_is_evaluated_now_by_default()
    {
        var sample = TestFiles.Case("cases/seed004-breast-history-hypoxaemia-vq");
        using var folder = new TempFolder();
        var request = folder["hook.json"];
        var before = TimeProvider.System.GetUtcNow().AddSeconds(-1);
        await File.WriteAllTextAsync(request, SampleRequests.Build(sample, TestFiles.Templates, at: before, Guid.NewGuid()).ToJsonString(), TestContext.Current.CancellationToken);

        var run = await PttmCli.RunAsync("evaluate", request, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        AssertExpected(sample, run.Json());
        var at = DateTimeOffset.Parse((string)run.Json()["evaluatedAt"]!, CultureInfo.InvariantCulture);
        Assert.InRange(at, before.AddSeconds(-1), TimeProvider.System.GetUtcNow().AddSeconds(1));
        Assert.StartsWith("now", (string?)run.Json()["evaluatedAtSource"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_case_evaluated_now_instead_of_at_its_evaluatedAt_says_which_time_it_used()
    {
        var sample = TestFiles.Case("cases/seed004-breast-history-hypoxaemia-vq");
        var run = await PttmCli.RunAsync("evaluate", Path.Combine(sample.Folder, "bundle.json"), "--json", "--at", "2030-01-01");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("2030-01-01T00:00:00Z", (string?)run.Json()["evaluatedAt"]);
        // Years later, nothing is in the 90-day window any more: no card.
        Assert.Equal("none", (string?)run.Json()["recommendation"]);
    }

    [Fact]
    public async Task Json_document_has_a_stable_shape()
    {
        var sample = TestFiles.Case("cases/neg-no-cancer-copd");
        var run = await PttmCli.RunAsync("evaluate", Path.Combine(sample.Folder, "bundle.json"), "--json");

        var json = run.Json().AsObject();
        Assert.Equal(
            ["schema", "patientId", "source", "evaluatedAt", "evaluatedAtSource", "windowStart", "ruleVersion", "recommendation", "suspicion", "indicator", "order",
             "perfusion", "criteria", "rapidProgression", "progressionEvidence", "reasons", "indicatorReasons", "suggestEchocardiography", "missing", "differentials",
             "evidenceReferences", "notes"],
            json.Select(p => p.Key));
        Assert.Equal("pttm-hooks.evaluate/1", (string?)json["schema"]);
        // Members without a value are written as null, not left out.
        Assert.True(json.ContainsKey("suspicion") && json["suspicion"] is null);
        Assert.Equal(["C1", "C2", "C3", "C4", "C5", "C6", "C7", "Cteph"], json["criteria"]!.AsArray().Select(c => (string)c!["id"]!));
        var evidence = json["criteria"]!.AsArray().SelectMany(c => c!["evidence"]!.AsArray()).First()!.AsObject();
        Assert.Equal(["reference", "role", "finding", "display", "valueAsWritten", "value", "unit", "effectiveAt", "preliminary", "note"], evidence.Select(p => p.Key));
    }

    internal static void AssertExpected(SampleCase sample, JsonNode json)
    {
        var expected = TestFiles.Expected(sample);
        Assert.Equal((string?)expected["recommendation"], (string?)json["recommendation"]);
        Assert.Equal((string?)expected["suspicion"], (string?)json["suspicion"]);
        Assert.Equal((string?)expected["indicator"], (string?)json["indicator"]);
        if (expected["criteria"] is JsonObject criteria)
        {
            foreach (var (id, state) in criteria)
            {
                if (id == "C5")
                {
                    Assert.Equal((string?)state, (string?)json["perfusion"]);
                }
                else
                {
                    var actual = json["criteria"]!.AsArray().Single(c => (string?)c!["id"] == id)!;
                    Assert.True((string?)state == (string?)actual["state"], $"{sample.Id}: {id} expected {state}, got {actual["state"]}: {actual["summary"]}");
                }
            }
        }

        var cited = json["evidenceReferences"]!.AsArray().Select(r => (string)r!).ToHashSet();
        foreach (var reference in (expected["evidence"]?.AsArray() ?? []).Select(r => (string)r!))
        {
            Assert.Contains(reference, cited);
        }

        Assert.Equal(json["recommendation"]!.ToString() == "none", json["order"] is null);
    }

    private static void AssertTable(SampleCase sample, string table)
    {
        var expected = TestFiles.Expected(sample);
        Assert.Contains($"PTTM screening of patient {sample.PatientId}", table, StringComparison.Ordinal);
        var recommendation = (string)expected["recommendation"]!;
        Assert.Contains(recommendation == "none" ? "Recommendation:   none: no card" : $"Recommendation:   {recommendation}: ", table, StringComparison.Ordinal);
        Assert.Contains($"Suspicion:        {(string?)expected["suspicion"] ?? "-"}", table, StringComparison.Ordinal);
        Assert.Contains($"Indicator:        {(string?)expected["indicator"] ?? "-"}", table, StringComparison.Ordinal);
        var lines = table.Split('\n');
        foreach (var (id, state) in (expected["criteria"] as JsonObject) ?? [])
        {
            var row = Assert.Single(lines, l => l.StartsWith(id + " ", StringComparison.Ordinal));
            if (id == "C5")
            {
                Assert.Contains($"[{state}]", row, StringComparison.Ordinal);
            }
            else
            {
                Assert.Matches($@"^{id} .+\s{state}\s", row);
            }
        }

        foreach (var reference in (expected["evidence"]?.AsArray() ?? []).Select(r => (string)r!))
        {
            Assert.Contains(lines, l => l.StartsWith("    " + reference + " ", StringComparison.Ordinal));
        }
    }

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
