using System.Collections;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using PttmHooks.Clinical;
using PttmHooks.Fuzz;
using PttmHooks.Reading;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Reading.Gathering;
using PttmHooks.Reading.Samples;
using PttmHooks.SampleData;
using PttmHooks.Service.Tests.Robustness;
using PttmHooks.Service.Tests.Support;
using PttmHooks.Service.Tests.Telemetry;

namespace PttmHooks.Service.Tests.Gathering;

/// <summary>
/// Issue 20, the proof of the lean reader: every input is read both ways (<see cref="PrefetchParsing.Lean"/>
/// and <see cref="PrefetchParsing.Firely"/>) and the two give the same result: the same key states,
/// reasons, notes and issues, the same elements the rule reads (each resource rendered restricted
/// to <see cref="LeanReader.ReadElements"/>), the same attachments asked for and the same
/// <see cref="PttmAssessment"/>. Inputs: the sample and own cases, the CDS Hooks fixtures, the fuzz
/// regressions, noisy charts of up to 5,000 resources, and seeded mutants of every case's prefetch
/// (for which the lean reader must give the same result or hand the value to the SDK).
/// </summary>
[Collection(nameof(TelemetryRunsAlone))]
public sealed partial class LeanReaderEquivalenceTests
{
    private static readonly IReadOnlyList<PrefetchTemplate> s_templates = [.. TestFiles.Templates.Select(t => PrefetchTemplate.Parse(t.Key, t.Value))];

    private static readonly PttmRule s_rule = new();

    private static readonly JsonSerializerOptions s_assessmentJson = new() { Converters = { new JsonStringEnumConverter() } };

    private static readonly DateTimeOffset s_now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Cases() => [.. CaseNames()];

    private static IEnumerable<string> CaseNames() =>
        new[] { "cases", "own-cases" }.SelectMany(set => SampleCase.LoadAll(TestFiles.Path(set)).Select(sample => set + "/" + Path.GetFileName(sample.Folder)));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sample_case_reads_alike_both_ways_and_takes_the_lean_path(string name)
    {
        var sample = SampleCase.Load(TestFiles.Path(name.Split('/')));
        var request = SampleRequests.Build(sample, TestFiles.Templates, at: null, Guid.NewGuid());

        var leanValues = AssertEquivalent(request, sample.EvaluatedAt, name, out var values);

        // The fast path is not dead: every value of a clean case is read lean.
        Assert.True(values > 0, name);
        Assert.Equal(values, leanValues);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sample_bundle_as_written_reads_alike(string name)
    {
        // The case's bundle.json as it is on disk (a collection, with fullUrls, requests, narrative)
        // under every key: the patient key says it is not a Patient, the searches read it.
        var folder = TestFiles.Path(name.Split('/'));
        var sample = SampleCase.Load(folder);
        var bundle = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "bundle.json")))!;

        AssertEquivalent(RequestWith(bundle, sample.PatientId), sample.EvaluatedAt, name, out _);
    }

    [Fact]
    public void Cds_hooks_fixtures_read_alike()
    {
        var read = 0;
        foreach (var file in Directory.EnumerateFiles(TestFiles.Path("cds-hooks"), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (JsonNode.Parse(File.ReadAllText(file)) is not JsonObject fixture || fixture["prefetch"] is not JsonObject prefetch)
            {
                continue;
            }

            var patientId = PatientOf(fixture);
            foreach (var (key, value) in prefetch)
            {
                AssertEquivalent(RequestWith(value, patientId), s_now, $"{Path.GetFileName(file)}: prefetch.{key}", out _);
                read++;
            }
        }

        Assert.True(read > 0);
    }

    [Fact]
    public void Fuzz_regressions_read_alike()
    {
        var read = 0;
        foreach (var file in Directory.EnumerateFiles(TestFiles.Path("fuzz-regressions")).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var input = FuzzInput.Split(File.ReadAllBytes(file));
            foreach (var bytes in new[] { input.Body, input.FhirAnswer })
            {
                // Read as JSON text, not as nodes: some hold a duplicate member on purpose.
                using var document = TryDocument(bytes);
                if (document?.RootElement is not { ValueKind: JsonValueKind.Object } root)
                {
                    continue;
                }

                var name = Path.GetFileName(file);
                if (root.TryGetProperty("prefetch", out var prefetch) && prefetch.ValueKind == JsonValueKind.Object)
                {
                    foreach (var value in prefetch.EnumerateObject())
                    {
                        AssertEquivalent(RequestWith(JsonMarshal.GetRawUtf8Value(value.Value), "example"), s_now, $"{name}: prefetch.{value.Name}", out _);
                        read++;
                    }
                }
                else
                {
                    AssertEquivalent(RequestWith(JsonMarshal.GetRawUtf8Value(root), "example"), s_now, name, out _);
                    read++;
                }
            }
        }

        Assert.True(read > 0);
    }

    [Theory]
    [InlineData(300)]
    [InlineData(5_000)]
    public void Noisy_chart_reads_alike_and_takes_the_lean_path(int size)
    {
        var folder = TestFiles.Path("cases", "seed004-breast-history-hypoxaemia-vq");
        var sample = SampleCase.Load(folder);
        var bundle = JsonSerializer.Deserialize<Bundle>(File.ReadAllText(Path.Combine(folder, "bundle.json")), FhirJsonFormat.Options)!;
        var noise = new NoiseGenerator(new Random(size), sample.EvaluatedAt, sample.PatientId);
        foreach (var (kind, count) in NoiseMix.Split(Math.Max(0, size - bundle.Entry.Count), NoiseMix.Realistic))
        {
            for (var i = 0; i < count; i++)
            {
                bundle.Entry.Add(new Bundle.EntryComponent { Resource = noise.Next(kind) });
            }
        }

        var templates = TestFiles.Templates.ToDictionary(t => t.Key, t => CountParameter().Replace(t.Value, string.Empty), StringComparer.Ordinal);
        var node = JsonSerializer.SerializeToNode(bundle, FhirJsonFormat.Options)!;
        var request = SampleRequests.Build(node, sample.EvaluatedAt, sample.UserId, sample.PatientId, templates, at: null, Guid.NewGuid());

        var leanValues = AssertEquivalent(request, sample.EvaluatedAt, $"seed004+{size}", out var values);

        Assert.Equal(values, leanValues);
    }

    [Fact]
    public void Mutants_read_alike_or_go_to_the_sdk()
    {
        var mutator = new JsonMutator(new Random(20));
        var (mutants, lean, sdk) = (0, 0, 0);
        foreach (var name in CaseNames())
        {
            var sample = SampleCase.Load(TestFiles.Path(name.Split('/')));
            var request = SampleRequests.Build(sample, TestFiles.Templates, at: null, Guid.NewGuid());
            for (var i = 0; i < 90; i++)
            {
                var mutant = (i % 3) switch
                {
                    0 => mutator.Mutate(request),
                    1 => mutator.MutateUnread(request, shapes: false),
                    _ => mutator.MutateUnread(request, shapes: true),
                };
                if (TryParse(mutant.Body) is not JsonObject mutated)
                {
                    continue;
                }

                mutants++;
                var read = AssertEquivalent(mutated, sample.EvaluatedAt, $"{name} mutant {i}: {mutant.Description}", out var values, requireRequest: false);
                lean += read;
                sdk += values - read;
            }
        }

        // A few thousand mutants, and both paths taken.
        Assert.True(mutants >= 2_000, $"{mutants} mutants");
        Assert.True(lean > 0 && sdk > 0, $"{lean} values read lean, {sdk} by the SDK");
    }

    [Fact]
    public void Each_value_is_counted_by_the_parser_that_read_it()
    {
        using var parsed = new MetricCollector<long>(null, ReadingMetrics.MeterName, "pttm.prefetch.values.parsed");
        var sample = SampleCase.Load(TestFiles.Path("cases", "seed004-breast-history-hypoxaemia-vq"));
        var request = SampleRequests.Build(sample, TestFiles.Templates, at: null, Guid.NewGuid());
        using var document = JsonDocument.Parse(request.ToJsonString());
        var hook = HookRequestParser.Parse(document.RootElement, "patient-view").Request!;
        var values = hook.Prefetch.Values.Count(v => v.ValueKind == JsonValueKind.Object);

        PrefetchReader.Read(hook, s_templates);
        PrefetchReader.Read(hook, s_templates, PrefetchParsing.Firely);

        var points = parsed.GetMeasurementSnapshot();
        Assert.Equal(values, points.Where(p => (string?)p.Tags["parser"] == "lean").Sum(p => p.Value));
        Assert.Equal(values, points.Where(p => (string?)p.Tags["parser"] == "firely").Sum(p => p.Value));
    }

    [Fact]
    public void A_value_in_doubt_is_read_by_the_sdk_with_its_notes()
    {
        var sample = SampleCase.Load(TestFiles.Path("cases", "seed004-breast-history-hypoxaemia-vq"));
        var request = SampleRequests.Build(sample, TestFiles.Templates, at: null, Guid.NewGuid());
        foreach (var spo2 in Http.PrefetchedResources(request, "seed004-obs5"))
        {
            spo2["status"] = "Final";
        }

        using var document = JsonDocument.Parse(request.ToJsonString());
        var hook = HookRequestParser.Parse(document.RootElement, "patient-view").Request!;

        var (set, issues) = PrefetchReader.Read(hook, s_templates);

        Assert.Empty(issues);
        Assert.Contains(set!.Notes, n => n.Contains("\"Final\" is not a valid code", StringComparison.Ordinal));
        AssertEquivalent(request, sample.EvaluatedAt, "status Final", out _);
    }

    [Theory]
    [InlineData("text", "{\"status\":\"generated\",\"div\":\"<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">MARK</div>\"}")]
    [InlineData("identifier", "[{\"system\":\"urn:oid:1.2.3\",\"value\":\"MARK\"}]")]
    [InlineData("status", "\"MARK\"")]
    public void Invalid_utf8_in_a_string_reads_alike_read_or_skipped(string element, string json)
    {
        // A string of the request's document is not checked for UTF-8 until it is read.
        var sample = SampleCase.Load(TestFiles.Path("cases", "seed004-breast-history-hypoxaemia-vq"));
        var request = SampleRequests.Build(sample, TestFiles.Templates, at: null, Guid.NewGuid());
        foreach (var spo2 in Http.PrefetchedResources(request, "seed004-obs5"))
        {
            spo2[element] = JsonNode.Parse(json);
        }

        var text = JsonSerializer.SerializeToUtf8Bytes(request);
        var mark = "MARK"u8;
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text.AsSpan(i).StartsWith(mark))
            {
                bytes.AddRange(new byte[] { 0x41, 0xFF, 0xFE, 0x42 });
                i += mark.Length - 1;
                continue;
            }

            bytes.Add(text[i]);
        }

        AssertEquivalent([.. bytes], sample.EvaluatedAt, element, out var values);
        Assert.True(values > 0);
    }

    [Fact]
    public void Read_elements_name_elements_of_the_model()
    {
        foreach (var element in LeanReader.ReadElements)
        {
            var parts = element.Split('.');
            var mapping = ModelInfo.ModelInspector.FindClassMapping(parts[0]);
            Assert.True(mapping is not null, element);
            for (var i = 1; i < parts.Length - 1; i++)
            {
                mapping = mapping.FindMappedElementByName(parts[i])?.PropertyTypeMapping;
                Assert.True(mapping is not null, element);
            }

            // The lean reader looks its elements up by the class mapping's name.
            Assert.Equal(string.Join('.', parts[..^1]), mapping.Name);
            Assert.True(mapping.FindMappedElementByName(parts[^1]) is not null, element);
        }
    }

    /// <summary>
    /// Reads <paramref name="request"/> both ways and asserts the same result; returns how many of
    /// its object values the lean reader read itself (<paramref name="values"/>: how many there are).
    /// </summary>
    private static int AssertEquivalent(JsonObject request, DateTimeOffset now, string what, out int values, bool requireRequest = true) =>
        AssertEquivalent(JsonSerializer.SerializeToUtf8Bytes(request), now, what, out values, requireRequest);

    private static int AssertEquivalent(byte[] request, DateTimeOffset now, string what, out int values, bool requireRequest = true)
    {
        values = 0;
        using var document = JsonDocument.Parse(request);
        var (hook, _) = HookRequestParser.Parse(document.RootElement, "patient-view");
        if (hook is null)
        {
            Assert.False(requireRequest, $"{what}: not a hook request");
            return 0;
        }

        var lean = Render(hook, PrefetchParsing.Lean, now);
        var firely = Render(hook, PrefetchParsing.Firely, now);
        Assert.True(firely == lean, $"{what}{Environment.NewLine}{FirstDifference(firely, lean)}");

        var read = 0;
        foreach (var value in hook.Prefetch.Values.Where(v => v.ValueKind == JsonValueKind.Object))
        {
            values++;
            read += LeanReader.TryRead(value) is null ? 0 : 1;
        }

        return read;
    }

    private static byte[] RequestWith(JsonNode? value, string patientId) => RequestWith(Encoding.UTF8.GetBytes(value?.ToJsonString() ?? "null"), patientId);

    /// <summary>A patient-view request with <paramref name="value"/> (UTF-8 JSON, written byte for byte) under every key.</summary>
    private static byte[] RequestWith(ReadOnlySpan<byte> value, string patientId)
    {
        var context = new JsonObject { ["userId"] = "Practitioner/example", ["patientId"] = patientId };
        using var body = new MemoryStream();
        body.Write(Encoding.UTF8.GetBytes("""{"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","context":""" + context.ToJsonString() + ""","prefetch":{"""));
        for (var i = 0; i < s_templates.Count; i++)
        {
            body.Write(Encoding.UTF8.GetBytes((i == 0 ? "" : ",") + JsonSerializer.Serialize(s_templates[i].Key) + ":"));
            body.Write(value);
        }

        body.Write("}}"u8);
        return body.ToArray();
    }

    private static JsonDocument? TryDocument(byte[]? bytes)
    {
        try
        {
            return bytes is null ? null : JsonDocument.Parse(bytes);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string PatientOf(JsonObject request) =>
        request["context"] is JsonObject context && context["patientId"] is JsonValue id && id.TryGetValue<string>(out var patientId)
            && PatientId().IsMatch(patientId) ? patientId : "example";

    private static JsonNode? TryParse(byte[] bytes)
    {
        try
        {
            return JsonNode.Parse(bytes);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Everything the pipeline reads of a prefetch read one way, as text.</summary>
    private static string Render(HookRequest hook, PrefetchParsing parsing, DateTimeOffset now)
    {
        var (set, issues) = PrefetchReader.Read(hook, s_templates, parsing);
        var text = new StringBuilder();
        foreach (var issue in issues)
        {
            text.Append("issue ").Append(issue).AppendLine();
        }

        if (set is null)
        {
            return text.ToString();
        }

        foreach (var note in set.Notes)
        {
            text.Append("note ").AppendLine(note);
        }

        foreach (var key in set.Keys)
        {
            text.Append(CultureInfo.InvariantCulture, $"key {key.Template.Key} {key.State} reason={key.Reason} next={key.NextLink} notes=[{string.Join(" | ", key.Notes ?? [])}]").AppendLine();
            foreach (var resource in key.Resources)
            {
                Write(text, resource, 1);
            }
        }

        var record = PatientRecord.FromResources(set.Keys.SelectMany(k => k.Resources));
        try
        {
            foreach (var (owner, attachment) in s_rule.AttachmentsToRead(record, now))
            {
                text.Append(CultureInfo.InvariantCulture, $"attachment {owner.TypeName}/{owner.Id} {attachment.ContentType} {attachment.Url} {attachment.Data?.Length} {AttachmentReader.SizeOf(attachment)}").AppendLine();
            }

            text.Append("assessment ").AppendLine(JsonSerializer.Serialize(s_rule.Evaluate(record, now), s_assessmentJson));
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            text.Append("the rule threw ").AppendLine(e.GetType().Name);
        }

        return text.ToString();
    }

    /// <summary>A resource or datatype, restricted to the elements the lean reader reads.</summary>
    private static void Write(StringBuilder text, Base node, int depth)
    {
        var mapping = ModelInfo.ModelInspector.FindOrImportClassMapping(node.GetType())!;
        text.Append(' ', depth * 2).Append(node.TypeName).AppendLine();
        foreach (var (name, value) in node.EnumerateElements())
        {
            if (!LeanReader.ReadElements.Contains(mapping.Name + "." + name) && !(mapping.IsResource && name == "id"))
            {
                continue;
            }

            foreach (var item in value is IList list ? list.Cast<object?>() : [value])
            {
                text.Append(' ', (depth * 2) + 1).Append(name).Append(": ");
                switch (item)
                {
                    case PrimitiveType primitive:
                        text.Append(primitive.TypeName).Append(' ').Append(Show(primitive.JsonValue)).AppendLine();
                        break;
                    case Base child:
                        text.AppendLine();
                        Write(text, child, depth + 1);
                        break;
                    default:
                        text.AppendLine(item?.ToString() ?? "null");
                        break;
                }
            }
        }
    }

    private static string Show(object? value) => value switch
    {
        null => "null",
        string s => "\"" + s + "\"",
        IFormattable f => f.GetType().Name + ":" + f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.GetType().Name + ":" + value,
    };

    private static string FirstDifference(string expected, string actual)
    {
        var a = expected.Split('\n');
        var b = actual.Split('\n');
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var x = i < a.Length ? a[i] : "(end)";
            var y = i < b.Length ? b[i] : "(end)";
            if (x != y)
            {
                return $"line {i + 1}:{Environment.NewLine}  firely: {Shorten(x)}{Environment.NewLine}  lean:   {Shorten(y)}";
            }
        }

        return "(same)";
    }

    private static string Shorten(string text) => text.Length <= 2_000 ? text : text[..2_000] + "…";

    [GeneratedRegex(@"^[A-Za-z0-9\-.]{1,64}$")]
    private static partial Regex PatientId();

    [GeneratedRegex(@"&_count=\d+")]
    private static partial Regex CountParameter();
}
