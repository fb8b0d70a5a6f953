using System.Text.Json.Nodes;
using PttmHooks.Cli.Tests.Support;

namespace PttmHooks.Cli.Tests.Evaluate;

/// <summary>
/// <c>evaluate</c> reads values that are not valid FHIR R4 as the service does (pttm-criteria.md
/// 1.1, "Values that are not valid FHIR"): the element is absent, the rest counts, an unreadable
/// result status is read as final, and the notes name each element. Before, "status": "Final"
/// ended the command with "an unexpected CodedValidationException".
/// </summary>
public sealed class EvaluateInvalidValueTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_Bundle_with_a_capitalised_status_a_number_as_a_string_and_a_date_that_is_not_one_is_evaluated_with_notes()
    {
        var sample = TestFiles.Case("cases/seed004-breast-history-hypoxaemia-vq");
        var bundle = JsonNode.Parse(File.ReadAllText(Path.Combine(sample.Folder, "bundle.json")))!;
        JsonObject Resource(string id) => bundle["entry"]!.AsArray().Select(e => e!["resource"]!.AsObject()).Single(r => (string?)r["id"] == id);
        Resource("seed004-rep10")["status"] = "Final";
        Resource("seed004-rep9")["status"] = "Final";
        Resource("seed004-obs8")["status"] = 7;
        Resource("seed004-obs4")["valueQuantity"]!["value"] = "94";
        Resource("seed004-cond3")["onsetDateTime"] = "last spring";
        var path = _folder["bundle.json"];
        await File.WriteAllTextAsync(path, bundle.ToJsonString(), TestContext.Current.CancellationToken);
        var at = sample.EvaluatedAt.ToString("O");

        var run = await PttmCli.RunAsync("evaluate", path, "--at", at, "--json");
        var reference = await PttmCli.RunAsync("evaluate", Path.Combine(sample.Folder, "bundle.json"), "--at", at, "--json");

        Assert.True(run.ExitCode == reference.ExitCode, run.ToString());
        PttmCli.AssertNoStackTrace(run);
        var json = run.Json();
        // The CTPAs still exclude PE (their status read as final): the same recommendation.
        Assert.Equal(reference.Json()["recommendation"]?.ToJsonString(), json["recommendation"]?.ToJsonString());
        var notes = string.Join('\n', json["notes"]!.AsArray().Select(n => (string)n!));
        Assert.Contains("DiagnosticReport/seed004-rep9.status", notes, StringComparison.Ordinal);
        Assert.Contains("DiagnosticReport/seed004-rep10.status", notes, StringComparison.Ordinal);
        Assert.Contains("read as final", notes, StringComparison.Ordinal);
        Assert.Contains("Observation/seed004-obs8.status", notes, StringComparison.Ordinal);
        Assert.Contains("Observation/seed004-obs4.valueQuantity.value", notes, StringComparison.Ordinal);
        Assert.Contains("Condition/seed004-cond3.onsetDateTime", notes, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Bundle_file_saved_with_a_byte_order_mark_is_read()
    {
        var sample = TestFiles.Case("cases/seed004-breast-history-hypoxaemia-vq");
        var path = _folder["bom.json"];
        await File.WriteAllBytesAsync(path, [0xEF, 0xBB, 0xBF, .. await File.ReadAllBytesAsync(Path.Combine(sample.Folder, "bundle.json"), TestContext.Current.CancellationToken)], TestContext.Current.CancellationToken);

        var run = await PttmCli.RunAsync("evaluate", path, "--at", sample.EvaluatedAt.ToString("O"));

        Assert.True(run.ExitCode is 0 or 1, run.ToString());
        PttmCli.AssertNoStackTrace(run);
    }

    [Fact]
    public async Task A_Bundle_file_that_is_not_UTF8_is_bad_input_naming_the_byte()
    {
        var path = _folder["latin1.json"];
        await File.WriteAllBytesAsync(path, [.. "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"id\":\"caf"u8, 0xE9, .. "\"}"u8], TestContext.Current.CancellationToken);

        PttmCli.AssertBadInput(await PttmCli.RunAsync("evaluate", path), "is not valid UTF-8 (at byte 54)");
    }
}
