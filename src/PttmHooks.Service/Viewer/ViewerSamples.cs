using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;
using PttmHooks.Reading.Samples;

namespace PttmHooks.Service.Viewer;

/// <summary>A sample patient as the viewer lists it.</summary>
/// <param name="Id">The case id.</param>
/// <param name="Description">What the case is.</param>
/// <param name="ExpectedRecommendation">What the rule should recommend (<c>wedged-pa-cytology</c>, <c>lung-perfusion-scan</c>, <c>none</c>).</param>
/// <param name="ExpectedIndicator">The card's expected indicator, or null for no card.</param>
public sealed record ViewerSample(string Id, string Description, string ExpectedRecommendation, string? ExpectedIndicator);

/// <summary>
/// The sample patients of <c>samples/cases</c>, embedded in the assembly (a published build needs
/// no file from the repository; they are synthetic), read once.
/// </summary>
public sealed class ViewerSamples
{
    /// <summary>The prefix of the embedded files' names: <c>PttmHooks.Service.samples/&lt;case&gt;/case.json</c>.</summary>
    public const string ResourcePrefix = "PttmHooks.Service.samples/";

    private readonly FrozenDictionary<string, (SampleCase Case, byte[] Bundle)> _cases;

    /// <summary>Reads the embedded cases.</summary>
    public ViewerSamples()
    {
        var assembly = typeof(ViewerSamples).Assembly;
        var files = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .ToDictionary(n => n[ResourcePrefix.Length..].Replace('\\', '/'), n => Read(assembly, n), StringComparer.Ordinal);
        var cases = new Dictionary<string, (SampleCase, byte[])>(StringComparer.Ordinal);
        var list = new List<ViewerSample>();
        foreach (var (name, bytes) in files.Where(f => f.Key.EndsWith("/case.json", StringComparison.Ordinal)).OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var folder = name[..name.IndexOf('/', StringComparison.Ordinal)];
            if (!files.TryGetValue(folder + "/bundle.json", out var bundle))
            {
                continue;
            }

            var sample = SampleCase.Parse(bytes, folder);
            cases[sample.Id] = (sample, bundle);
            using var document = JsonDocument.Parse(bytes);
            var expected = document.RootElement.TryGetProperty("expected", out var e) ? e : default;
            list.Add(new ViewerSample(
                sample.Id,
                sample.Description,
                expected.ValueKind == JsonValueKind.Object && expected.TryGetProperty("recommendation", out var r) ? r.GetString() ?? "none" : "none",
                expected.ValueKind == JsonValueKind.Object && expected.TryGetProperty("indicator", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null));
        }

        _cases = cases.ToFrozenDictionary(StringComparer.Ordinal);
        All = list;
    }

    /// <summary>Every sample, by id.</summary>
    public IReadOnlyList<ViewerSample> All { get; }

    /// <summary>
    /// The hook request for sample <paramref name="id"/> with every date moved to
    /// <paramref name="now"/> and prefetch filled from <paramref name="templates"/>; null for an unknown id.
    /// </summary>
    public JsonObject? Request(string id, IReadOnlyDictionary<string, string> templates, DateTimeOffset now)
    {
        if (!_cases.TryGetValue(id, out var found))
        {
            return null;
        }

        var bundle = JsonNode.Parse(found.Bundle)!;
        return SampleRequests.Build(found.Case, bundle, templates, now, Guid.NewGuid());
    }

    private static byte[] Read(System.Reflection.Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
