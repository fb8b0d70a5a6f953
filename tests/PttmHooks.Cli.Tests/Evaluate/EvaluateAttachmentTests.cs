using System.Text;
using System.Text.Json.Nodes;
using PttmHooks.Cli.Tests.Support;

namespace PttmHooks.Cli.Tests.Evaluate;

/// <summary>
/// Report texts as attachments in the files the CLI reads (issue 18): <c>evaluate</c> reads a
/// Bundle's Binary entries for attachment urls that point into the Bundle (its fullUrl, or
/// Binary/{id}); <c>screen</c> reads an export's Binary file the same way and counts the
/// attachments it could not read.
/// </summary>
public sealed class EvaluateAttachmentTests : IDisposable
{
    private const string CaseName = "cases/seed004-breast-history-hypoxaemia-vq";
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static JsonObject Report(string id, string patientId, string url) => new()
    {
        ["resourceType"] = "DiagnosticReport",
        ["id"] = id,
        ["status"] = "final",
        ["code"] = new JsonObject { ["text"] = "CT angiography chest" },
        ["subject"] = new JsonObject { ["reference"] = "Patient/" + patientId },
        ["effectiveDateTime"] = "2026-11-15",
        ["presentedForm"] = new JsonArray(new JsonObject { ["contentType"] = "text/plain", ["url"] = url }),
    };

    private static JsonObject Binary(string id) => new()
    {
        ["resourceType"] = "Binary",
        ["id"] = id,
        ["contentType"] = "text/plain",
        ["data"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("No pulmonary embolism.")),
    };

    private async Task<(CliRun Run, string Notes)> EvaluateWithAsync(params JsonObject[] added)
    {
        var sample = TestFiles.Case(CaseName);
        var bundle = JsonNode.Parse(File.ReadAllText(Path.Combine(sample.Folder, "bundle.json")))!;
        var entries = bundle["entry"]!.AsArray();
        foreach (var entry in added)
        {
            entries.Add(entry);
        }

        var path = _folder["bundle.json"];
        await File.WriteAllTextAsync(path, bundle.ToJsonString(), TestContext.Current.CancellationToken);
        var run = await PttmCli.RunAsync("evaluate", path, "--at", sample.EvaluatedAt.ToString("O"), "--json");
        PttmCli.AssertNoStackTrace(run);
        var notes = run.ExitCode == 0 ? string.Join('\n', run.Json()["notes"]!.AsArray().Select(n => (string)n!)) : "";
        return (run, notes);
    }

    [Fact]
    public async Task Evaluate_reads_urls_into_the_Bundle()
    {
        var patientId = TestFiles.Case(CaseName).PatientId;
        var (run, notes) = await EvaluateWithAsync(
            new JsonObject { ["resource"] = Report("att-id", patientId, "Binary/t1") },
            new JsonObject { ["resource"] = Report("att-fullurl", patientId, "urn:uuid:6f1c2a52-9f3e-4f43-a0a7-3c1e2b9d8e10") },
            new JsonObject { ["resource"] = Binary("t1") },
            new JsonObject { ["fullUrl"] = "urn:uuid:6f1c2a52-9f3e-4f43-a0a7-3c1e2b9d8e10", ["resource"] = Binary("t2") });

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("att-id", notes, StringComparison.Ordinal);
        Assert.DoesNotContain("att-fullurl", notes, StringComparison.Ordinal);
        // Both CTPAs were read ("No pulmonary embolism."): they are the assessment's evidence.
        Assert.Contains("DiagnosticReport/att-id", run.Output, StringComparison.Ordinal);
        Assert.Contains("DiagnosticReport/att-fullurl", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_gives_no_assessment_when_a_CTPA_url_it_cannot_follow_could_decide()
    {
        var patientId = TestFiles.Case(CaseName).PatientId;
        var (run, _) = await EvaluateWithAsync(
            new JsonObject { ["resource"] = Report("att-away", patientId, "https://elsewhere.example/fhir/Binary/zz") });

        // A recent CTPA whose text is elsewhere could show PE: as the service's 412, no assessment.
        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains("DiagnosticReport/att-away", run.Error, StringComparison.Ordinal);
        Assert.Contains("https://elsewhere.example/fhir/Binary/zz", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Screen_reads_the_exports_Binary_file_and_counts_the_attachments_it_could_not_read()
    {
        var sample = TestFiles.Case(CaseName);
        var bundle = JsonNode.Parse(File.ReadAllText(Path.Combine(sample.Folder, "bundle.json")))!;
        var export = Directory.CreateDirectory(_folder["export"]).FullName;
        var byType = bundle["entry"]!.AsArray().Select(e => e!["resource"]!.AsObject()).GroupBy(r => (string)r["resourceType"]!);
        foreach (var group in byType)
        {
            await File.WriteAllLinesAsync(Path.Combine(export, group.Key + ".ndjson"), group.Select(r => r.ToJsonString()), TestContext.Current.CancellationToken);
        }

        await File.AppendAllLinesAsync(Path.Combine(export, "DiagnosticReport.ndjson"),
            [Report("att-read", sample.PatientId, "Binary/t1").ToJsonString(), Report("att-missing", sample.PatientId, "Binary/absent").ToJsonString()], TestContext.Current.CancellationToken);
        await File.WriteAllLinesAsync(Path.Combine(export, "Binary.ndjson"), [Binary("t1").ToJsonString()], TestContext.Current.CancellationToken);

        var run = await PttmCli.RunAsync("screen", export, "--at", sample.EvaluatedAt.ToString("O"), "--out", _folder["out"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Binary 1 lines in 1 file", run.Output, StringComparison.Ordinal);
        Assert.Contains("Attachments:     2 asked for by the rule, 1 could not be read", run.Output, StringComparison.Ordinal);
        Assert.Contains("could not be read: 1.", await File.ReadAllTextAsync(Path.Combine(_folder["out"], "screen.html"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }
}
