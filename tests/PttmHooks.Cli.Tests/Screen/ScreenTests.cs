using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PttmHooks.Cli.Screen;
using PttmHooks.Cli.Tests.Support;

namespace PttmHooks.Cli.Tests.Screen;

/// <summary>
/// <c>screen</c> on a small export made by <c>samples export</c> (400 patients, every tenth a copy of a
/// sample case, Observations split over files), with a patient whose id is an HTML injection.
/// </summary>
public sealed class ScreenTests(ScreenTests.Export export) : IClassFixture<ScreenTests.Export>
{
    public const string At = "2026-11-20T12:00:00Z";

    /// <summary>An id no HTML page may show as markup (no '/', so that it is still a readable reference).</summary>
    public const string HostileId = "<b onmouseover=alert(\"x\")>&co";

    public sealed class Export : IAsyncLifetime
    {
        private readonly TempFolder _folder = new();

        public string Folder => _folder["export"];

        public string Out => _folder["out"];

        public CliRun Generated { get; private set; } = null!;

        public CliRun Screened { get; private set; } = null!;

        /// <summary>expected.csv: patient id → (case, recommendation, suspicion, indicator).</summary>
        public Dictionary<string, string[]> Expected { get; } = [];

        /// <summary>screen.csv's rows by patient id.</summary>
        public Dictionary<string, Dictionary<string, string>> Rows { get; } = [];

        public List<string> PatientIds { get; } = [];

        public async ValueTask InitializeAsync()
        {
            Generated = await PttmCli.RunAsync("samples", "export", "--cases", TestFiles.Path("cases"), "--patients", "400", "--case-share", "0.1",
                "--seed", "7", "--at", At, "--out", Folder, "--observations-per-file", "4000");
            Assert.True(Generated.ExitCode == 0, Generated.ToString());
            foreach (var line in File.ReadLines(Path.Combine(Folder, "expected.csv")).Skip(1))
            {
                var cells = line.Split(',');
                Expected[cells[0]] = cells[1..];
            }

            // The hostile patient: a copy of a flagged case copy's lines under another id, in files of their own.
            var model = Expected.First(e => e.Value[0] == "seed004-breast-history-hypoxaemia-vq").Key;
            foreach (var type in BulkExport.Types)
            {
                var lines = Directory.GetFiles(Folder, type + "*.ndjson").SelectMany(File.ReadLines)
                    .Where(l => l.Contains($"\"{model}\"", StringComparison.Ordinal) || l.Contains($"/{model}\"", StringComparison.Ordinal) || l.Contains($"\"{model}-", StringComparison.Ordinal))
                    .Select(l => l.Replace(model, JsonEncodedText.Encode(HostileId).ToString(), StringComparison.Ordinal)).ToList();
                await File.WriteAllLinesAsync(Path.Combine(Folder, type + ".900.ndjson"), lines);
            }

            foreach (var line in Directory.GetFiles(Folder, "Patient*.ndjson").SelectMany(File.ReadLines))
            {
                PatientIds.Add((string)JsonNode.Parse(line)!["id"]!);
            }

            Screened = await PttmCli.RunAsync("screen", Folder, "--at", At, "--out", Out);
            Assert.True(Screened.ExitCode == 0, Screened.ToString());
            foreach (var row in ReadCsv(Path.Combine(Out, "screen.csv")))
            {
                Rows[row["patient_id"]] = row;
            }
        }

        public ValueTask DisposeAsync()
        {
            _folder.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public void Every_case_copy_gets_the_answer_its_case_expects()
    {
        Assert.True(export.Expected.Count >= 36, $"{export.Expected.Count} case copies");
        Assert.Equal(18, export.Expected.Values.Select(v => v[0]).Distinct().Count());
        foreach (var (patientId, (caseId, recommendation, suspicion, indicator)) in export.Expected.Select(e => (e.Key, (e.Value[0], e.Value[1], e.Value[2], e.Value[3]))))
        {
            var c1 = (string?)TestFiles.Expected(TestFiles.Case("cases/" + caseId))["criteria"]?["C1"];
            if (c1 == "NotMet")
            {
                Assert.False(export.Rows.ContainsKey(patientId), $"{patientId} ({caseId}) has no solid malignancy and must not be evaluated");
                continue;
            }

            Assert.True(export.Rows.TryGetValue(patientId, out var row), $"{patientId} ({caseId}) is missing from screen.csv");
            Assert.Equal((recommendation, suspicion, indicator), (row["recommendation"], row["suspicion"], row["indicator"]));
            Assert.Equal("Met", row["C1"]);
        }
    }

    [Fact]
    public void Only_patients_with_a_solid_malignancy_are_evaluated()
    {
        var withCancerCode = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in Directory.GetFiles(export.Folder, "Condition*.ndjson").SelectMany(File.ReadLines))
        {
            var condition = JsonNode.Parse(line)!;
            var codes = condition["code"]?["coding"]?.AsArray().Select(c => (string?)c!["code"]) ?? [];
            if (codes.Any(c => c is not null && c.StartsWith('C')))
            {
                withCancerCode.Add(((string)condition["subject"]!["reference"]!)["Patient/".Length..]);
            }
        }

        var noise = export.PatientIds.Where(id => !export.Expected.ContainsKey(id) && id != HostileId).ToList();
        Assert.Contains(noise, withCancerCode.Contains);
        Assert.Contains(noise, id => !withCancerCode.Contains(id));
        foreach (var id in noise)
        {
            // The generator's noise gives a Condition with an ICD-10 C code to exactly the patients with a solid malignancy.
            Assert.True(withCancerCode.Contains(id) == export.Rows.ContainsKey(id), $"{id}: cancer code {withCancerCode.Contains(id)}, evaluated {export.Rows.ContainsKey(id)}");
        }

        Assert.Contains($"with a solid malignancy, evaluated: {export.Rows.Count:N0}", export.Screened.Output, StringComparison.Ordinal);
        Assert.True(export.Rows.Count < export.PatientIds.Count / 4, $"{export.Rows.Count} of {export.PatientIds.Count} evaluated");
    }

    [Fact]
    public void The_console_shows_counts_and_progress_but_no_identifier()
    {
        Assert.Contains("screen: pass 1/3 conditions", export.Screened.Error, StringComparison.Ordinal);
        Assert.Contains("screen: pass 3/3 evaluating: done", export.Screened.Error, StringComparison.Ordinal);
        Assert.Contains($"Patients:        {export.PatientIds.Count:N0};", export.Screened.Output, StringComparison.Ordinal);
        Assert.Contains(HostileId, export.PatientIds);
        foreach (var id in export.PatientIds)
        {
            Assert.DoesNotContain(id, export.Screened.Console, StringComparison.Ordinal);
        }

        foreach (var id in export.PatientIds.Take(50))
        {
            Assert.DoesNotContain(id, export.Generated.Console, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_html_is_self_contained_and_escapes_every_value_from_the_export()
    {
        var html = File.ReadAllText(Path.Combine(export.Out, "screen.html"));
        Assert.Contains($"<td class=\"id\">{WebUtility.HtmlEncode(HostileId)}</td>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b onmouseover=alert(&quot;x&quot;)&gt;&amp;co", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b onmouseover", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html.Replace("http://unitsofmeasure.org", "", StringComparison.Ordinal), StringComparison.Ordinal);

        // Each flagged patient is a row of the flagged table; the counts match the CSV.
        var flagged = export.Rows.Values.Count(r => r["recommendation"] != "none");
        Assert.Contains($"<h2>Flagged patients ({flagged:N0})</h2>", html, StringComparison.Ordinal);
        Assert.Equal(flagged, html.Split("<td class=\"id\">").Length - 1);
        foreach (var recommendation in new[] { "wedged-pa-cytology", "lung-perfusion-scan", "none" })
        {
            Assert.Contains($"<td>{recommendation}</td>", html, StringComparison.Ordinal);
        }

        var c1 = export.Rows.Count;
        Assert.Contains($"<tr><td>C1 Solid malignancy</td><td class=\"n\">{c1:N0} ", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_csv_holds_the_hostile_id_as_written_quoted_and_the_case_answer()
    {
        var row = export.Rows[HostileId];
        Assert.Equal(("wedged-pa-cytology", "suspected", "critical"), (row["recommendation"], row["suspicion"], row["indicator"]));
        var text = File.ReadAllText(Path.Combine(export.Out, "screen.csv"));
        Assert.Contains("\"<b onmouseover=alert(\"\"x\"\")>&co\",wedged-pa-cytology", text, StringComparison.Ordinal);
        Assert.StartsWith("patient_id,recommendation,suspicion,indicator,C1,C2,C3,C4,C5,C6,C7,Cteph,perfusion,rapid_progression,key_evidence\r\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("=1+2", "'=1+2")]
    [InlineData("+1", "'+1")]
    [InlineData("-2-3", "'-2-3")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("line\nbreak", "\"line\nbreak\"")]
    [InlineData("pt-0000001", "pt-0000001")]
    public void Csv_cells_are_quoted_and_formulas_defused(string value, string cell) =>
        Assert.Equal(cell, ScreenCsv.Cell(value));

    [Fact]
    public async Task Gzip_files_and_more_partitions_give_the_same_rows()
    {
        using var folder = new TempFolder();
        var gz = Directory.CreateDirectory(folder["gz"]).FullName;
        foreach (var file in Directory.GetFiles(export.Folder, "*.ndjson"))
        {
            await using var input = File.OpenRead(file);
            await using var output = new GZipStream(File.Create(Path.Combine(gz, Path.GetFileName(file) + ".gz")), CompressionLevel.Fastest);
            await input.CopyToAsync(output, TestContext.Current.CancellationToken);
        }

        var run = await PttmCli.RunAsync("screen", gz, "--at", At, "--out", folder["out"], "--partitions", "7");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Grouping:        7 partitions", run.Output, StringComparison.Ordinal);
        var expected = File.ReadLines(Path.Combine(export.Out, "screen.csv")).Order(StringComparer.Ordinal);
        var actual = File.ReadLines(folder["out/screen.csv"]).Order(StringComparer.Ordinal);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task Lines_that_cannot_be_read_are_counted_and_skipped()
    {
        using var folder = new TempFolder();
        var copy = Directory.CreateDirectory(folder["export"]).FullName;
        foreach (var file in Directory.GetFiles(export.Folder, "*.ndjson"))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        await File.WriteAllTextAsync(Path.Combine(copy, "Condition.901.ndjson"),
            "not json at all\n\n{\"resourceType\":\"Encounter\",\"id\":\"e1\",\"subject\":{\"reference\":\"Patient/pt-0000001\"}}\n" +
            "{\"resourceType\":\"Condition\",\"id\":\"c-x\",\"subject\":{\"reference\":\"urn:uuid:1\"},\"code\":{\"text\":\"Lung adenocarcinoma\"}}\n", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(copy, "Encounter.ndjson"), "{}\n", TestContext.Current.CancellationToken);

        var run = await PttmCli.RunAsync("screen", copy, "--at", At, "--out", folder["out"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Not read:        1 unreadable lines, 1 of another type, 1 with no patient subject; 1 files of other types", run.Output, StringComparison.Ordinal);
        Assert.Equal(File.ReadLines(Path.Combine(export.Out, "screen.csv")).Order(StringComparer.Ordinal), File.ReadLines(folder["out/screen.csv"]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Ctrl_c_stops_with_exit_130_and_leaves_no_output_and_no_temporary_files()
    {
        using var folder = new TempFolder();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var run = await PttmCli.RunAsync(cancelled.Token, "screen", export.Folder, "--at", At, "--out", folder["out"]);

        Assert.True(run.ExitCode == 130, run.ToString());
        Assert.Contains("cancelled", run.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(folder["out"]));
    }

    [Fact]
    public async Task The_generator_is_deterministic_for_a_seed()
    {
        using var folder = new TempFolder();
        string[] Args(string seed, string name) =>
            ["samples", "export", "--cases", TestFiles.Path("cases"), "--patients", "60", "--case-share", "0.1", "--seed", seed, "--at", At, "--out", folder[name]];
        Assert.Equal(0, (await PttmCli.RunAsync(Args("3", "a"))).ExitCode);
        Assert.Equal(0, (await PttmCli.RunAsync(Args("3", "b"))).ExitCode);
        Assert.Equal(0, (await PttmCli.RunAsync(Args("4", "c"))).ExitCode);

        var names = Directory.GetFiles(folder["a"]).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["Condition.ndjson", "DiagnosticReport.ndjson", "Observation.000.ndjson", "Patient.ndjson", "expected.csv"], names);
        foreach (var name in names)
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(folder["a"], name!), TestContext.Current.CancellationToken), await File.ReadAllBytesAsync(Path.Combine(folder["b"], name!), TestContext.Current.CancellationToken));
        }

        Assert.NotEqual(await File.ReadAllTextAsync(folder["a/Observation.000.ndjson"], TestContext.Current.CancellationToken), await File.ReadAllTextAsync(folder["c/Observation.000.ndjson"], TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_missing_folder_is_bad_input() =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("screen", "/nonexistent/export", "--out", export.Out), "no such folder");

    [Fact]
    public async Task A_folder_without_ndjson_is_bad_input()
    {
        using var folder = new TempFolder();
        PttmCli.AssertBadInput(await PttmCli.RunAsync("screen", folder.Path, "--out", folder["out"]), "holds no NDJSON file");
    }

    [Fact]
    public async Task An_output_that_is_a_file_is_bad_input() =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("screen", export.Folder, "--out", Path.Combine(export.Folder, "expected.csv")), "is a file");

    [Fact]
    public async Task A_bad_time_is_bad_input() =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("screen", export.Folder, "--at", "last week", "--out", export.Out), "is not a time");

    [Fact]
    public async Task Out_is_required() =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("screen", export.Folder), "--out");

    [Theory]
    [InlineData("0")]
    [InlineData("513")]
    public async Task Partitions_out_of_range_are_bad_input(string partitions) =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("screen", export.Folder, "--out", export.Out, "--partitions", partitions), "--partitions must be between");

    private static List<Dictionary<string, string>> ReadCsv(string path)
    {
        var rows = new List<Dictionary<string, string>>();
        var lines = ParseCsv(File.ReadAllText(path));
        var header = lines[0];
        foreach (var cells in lines.Skip(1))
        {
            rows.Add(header.Zip(cells).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal));
        }

        return rows;
    }

    /// <summary>RFC 4180: quoted cells with doubled quotes, CRLF between records.</summary>
    private static List<string[]> ParseCsv(string text)
    {
        var records = new List<string[]>();
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                cells.Add(cell.ToString());
                cell.Clear();
                records.Add([.. cells]);
                cells.Clear();
                i++;
            }
            else
            {
                cell.Append(c);
            }
        }

        return records;
    }
}
