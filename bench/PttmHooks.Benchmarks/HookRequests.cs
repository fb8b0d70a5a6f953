using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PttmHooks.Reading.Samples;
using PttmHooks.SampleData;
using PttmHooks.Service.CdsHooks;

namespace PttmHooks.Benchmarks;

/// <summary>A hook request for a chart, as bytes, and what its prefetch holds.</summary>
/// <param name="Name">The chart's name.</param>
/// <param name="PatientId">The hook's <c>context.patientId</c>.</param>
/// <param name="Body">The request body (UTF-8 JSON).</param>
/// <param name="PrefetchResources">Resources in the prefetch Bundles (a report in two keys counts twice).</param>
public sealed record HookRequestBody(string Name, string PatientId, byte[] Body, int PrefetchResources)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name}: {PrefetchResources} prefetched resources, {Body.Length / 1024.0:F1} KB";
}

/// <summary>
/// Hook requests built the way an EHR builds them: the service's own discovery templates run over a
/// chart (<see cref="TemplateSearch"/>), dates moved to the time of use.
/// </summary>
public static partial class HookRequests
{
    /// <summary>
    /// The noise that prefetch carries (the templates ask for SpO2, laboratory results, Conditions and
    /// reports; heart and respiratory rates are not asked for), so a chart grown with it by N resources
    /// has about N more resources in its prefetch.
    /// </summary>
    public static IReadOnlyList<(NoiseKind Kind, int Weight)> PrefetchMix { get; } =
    [
        (NoiseKind.SpO2, 40),
        (NoiseKind.Sodium, 15),
        (NoiseKind.Creatinine, 15),
        (NoiseKind.Condition, 12),
        (NoiseKind.Report, 18),
    ];

    /// <summary>The service's prefetch templates (from the embedded discovery document).</summary>
    /// <param name="uncapped">
    /// True to drop <c>_count</c>, as an EHR that sends every match would: the templates cap a search at
    /// 100–500 results, so only uncapped templates can give a 5,000-resource prefetch.
    /// </param>
    public static IReadOnlyDictionary<string, string> Templates(bool uncapped)
    {
        var service = CdsCatalog.LoadEmbedded().Services.Single(s => s.Id == "pttm-screening");
        return service.Prefetch!.ToDictionary(p => p.Key, p => uncapped ? CountParameter().Replace(p.Value, string.Empty) : p.Value, StringComparer.Ordinal);
    }

    /// <summary>The seed case grown by <c>size − seed</c> prefetched resources of <see cref="PrefetchMix"/>.</summary>
    public static Chart PrefetchChart(Chart seed, int size) =>
        Charts.WithNoise(seed, Math.Max(0, size - seed.ResourceCount), PrefetchMix, $"{seed.Name}+{size}");

    /// <summary>
    /// The hook request for <paramref name="chart"/> at <paramref name="at"/> (its dates moved there
    /// from the case's "now"), with every template filled.
    /// </summary>
    public static HookRequestBody For(Chart chart, DateTimeOffset at, bool uncapped = true, IReadOnlyCollection<string>? omit = null, string? fhirServer = null)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var bundle = JsonNode.Parse(Charts.ToJson(chart.Bundle))!;
        var request = SampleRequests.Build(bundle, chart.Now, "Practitioner/bench", chart.PatientId, Templates(uncapped), at, Guid.NewGuid(), omit);
        if (fhirServer is not null)
        {
            request["fhirServer"] = fhirServer;
            request["fhirAuthorization"] = new JsonObject
            {
                ["access_token"] = "bench-token",
                ["token_type"] = "Bearer",
                ["expires_in"] = 300,
                ["scope"] = "patient/*.read",
                ["subject"] = "pttm-hooks",
            };
        }

        var count = 0;
        if (request["prefetch"] is JsonObject prefetch)
        {
            foreach (var (_, value) in prefetch)
            {
                count += value is JsonObject o && o["entry"] is JsonArray entries ? entries.Count : value is JsonObject ? 1 : 0;
            }
        }

        return new HookRequestBody(chart.Name, chart.PatientId, JsonSerializer.SerializeToUtf8Bytes(request), count);
    }

    [GeneratedRegex(@"&_count=\d+")]
    private static partial Regex CountParameter();
}
