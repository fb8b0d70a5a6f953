using System.Text.Json;
using System.Text.Json.Serialization;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace PttmHooks.Clinical.Tests.Cases;

/// <summary>A test patient: case.json (expected outcome) beside bundle.json (the chart).</summary>
public sealed class CaseFile
{
    public string Id { get; set; } = "";
    public string Description { get; set; } = "";
    public string Source { get; set; } = "";
    public DateTimeOffset EvaluatedAt { get; set; }
    public CaseContext Context { get; set; } = new();
    public Expected Expected { get; set; } = new();

    [JsonIgnore]
    public string Folder { get; set; } = "";

    private static readonly JsonSerializerOptions CaseOptions = new() { PropertyNameCaseInsensitive = true };

    internal static readonly JsonSerializerOptions FhirOptions =
        new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector);

    public static string Root(string set) => Path.Combine(AppContext.BaseDirectory, "TestData", set);

    public static IEnumerable<string> Names(string set) =>
        Directory.GetDirectories(Root(set)).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    public static CaseFile Load(string set, string name)
    {
        var folder = Path.Combine(Root(set), name);
        var file = JsonSerializer.Deserialize<CaseFile>(File.ReadAllText(Path.Combine(folder, "case.json")), CaseOptions)
            ?? throw new InvalidOperationException($"{name}: case.json is empty");
        file.Folder = folder;
        return file;
    }

    public Bundle Bundle() =>
        JsonSerializer.Deserialize<Bundle>(File.ReadAllText(Path.Combine(Folder, "bundle.json")), FhirOptions)
        ?? throw new InvalidOperationException($"{Id}: bundle.json is empty");

    public PatientRecord Record() => PatientRecord.FromBundle(Bundle());
}

public sealed class CaseContext
{
    public string UserId { get; set; } = "";
    public string PatientId { get; set; } = "";
}

public sealed class Expected
{
    public string Recommendation { get; set; } = "";
    public string? Suspicion { get; set; }
    public string? Indicator { get; set; }
    public Dictionary<string, string>? Criteria { get; set; }
    public List<string>? Evidence { get; set; }
}
