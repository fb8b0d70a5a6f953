using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Reading.Gathering;

namespace PttmHooks.Reading.Samples;

/// <summary>A sample patient: <c>bundle.json</c> and <c>case.json</c> in one folder of <c>samples/cases</c>.</summary>
/// <param name="Id">The case id.</param>
/// <param name="Folder">The folder.</param>
/// <param name="EvaluatedAt">The time the case's dates are written relative to.</param>
/// <param name="UserId">The hook's <c>context.userId</c>.</param>
/// <param name="PatientId">The hook's <c>context.patientId</c>.</param>
/// <param name="Description">What the case is.</param>
public sealed record SampleCase(string Id, string Folder, DateTimeOffset EvaluatedAt, string UserId, string PatientId, string Description)
{
    /// <summary>Reads the case in <paramref name="folder"/>.</summary>
    public static SampleCase Load(string folder) => Parse(File.ReadAllBytes(Path.Combine(folder, "case.json")), folder);

    /// <summary>Reads a case from the text of its <c>case.json</c>; <paramref name="folder"/> names where it came from.</summary>
    public static SampleCase Parse(ReadOnlyMemory<byte> caseJson, string folder)
    {
        using var document = JsonDocument.Parse(caseJson);
        var root = document.RootElement;
        var context = root.GetProperty("context");
        return new SampleCase(
            root.GetProperty("id").GetString()!,
            folder,
            DateTimeOffset.Parse(root.GetProperty("evaluatedAt").GetString()!, CultureInfo.InvariantCulture),
            context.GetProperty("userId").GetString()!,
            context.GetProperty("patientId").GetString()!,
            root.TryGetProperty("description", out var d) ? d.GetString() ?? string.Empty : string.Empty);
    }

    /// <summary>Every case under <paramref name="root"/> (or the case <paramref name="root"/> is), by id.</summary>
    public static IReadOnlyList<SampleCase> LoadAll(string root)
    {
        if (File.Exists(Path.Combine(root, "case.json")))
        {
            return [Load(root)];
        }

        return [.. Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, "case.json"))).Order(StringComparer.Ordinal).Select(Load)];
    }
}

/// <summary>
/// Builds hook requests for the sample patients at the time of use. The cases' dates are written
/// relative to their <c>evaluatedAt</c> and the rule looks back 90 days, so a fixed request goes
/// stale: every date in the bundle is moved by (time of use − evaluatedAt) first, as ehr-sim does.
/// Prefetch is then filled from the service's own templates, as an EHR would fill it.
/// </summary>
public static partial class SampleRequests
{
    /// <summary>The hook request for <paramref name="sample"/>, as if evaluated at <paramref name="at"/>.</summary>
    /// <param name="sample">The case.</param>
    /// <param name="prefetch">The prefetch templates of the service's discovery entry.</param>
    /// <param name="at">The time of use; null keeps the dates as written (evaluate at evaluatedAt).</param>
    /// <param name="hookInstance">The hook instance id.</param>
    /// <param name="omit">Prefetch keys to leave out (to see a 412, or the FHIR fallback).</param>
    public static JsonObject Build(SampleCase sample, IReadOnlyDictionary<string, string> prefetch, DateTimeOffset? at, Guid hookInstance, IReadOnlyCollection<string>? omit = null)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return Build(sample, JsonNode.Parse(File.ReadAllText(Path.Combine(sample.Folder, "bundle.json")))!, prefetch, at, hookInstance, omit);
    }

    /// <summary>The hook request for <paramref name="sample"/> whose <c>bundle.json</c> is <paramref name="bundleNode"/> (moved in place).</summary>
    /// <param name="sample">The case.</param>
    /// <param name="bundleNode">The case's transaction Bundle, as JSON; its dates are moved in place.</param>
    /// <param name="prefetch">The prefetch templates of the service's discovery entry.</param>
    /// <param name="at">The time of use; null keeps the dates as written (evaluate at evaluatedAt).</param>
    /// <param name="hookInstance">The hook instance id.</param>
    /// <param name="omit">Prefetch keys to leave out.</param>
    public static JsonObject Build(SampleCase sample, JsonNode bundleNode, IReadOnlyDictionary<string, string> prefetch, DateTimeOffset? at, Guid hookInstance, IReadOnlyCollection<string>? omit = null)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(bundleNode);
        ArgumentNullException.ThrowIfNull(prefetch);
        return Build(bundleNode, sample.EvaluatedAt, sample.UserId, sample.PatientId, prefetch, at, hookInstance, omit);
    }

    /// <summary>
    /// The hook request for the chart <paramref name="bundleNode"/> (a FHIR Bundle, moved in place when
    /// <paramref name="at"/> is given), written relative to <paramref name="evaluatedAt"/>.
    /// </summary>
    /// <param name="bundleNode">The chart as a FHIR JSON Bundle.</param>
    /// <param name="evaluatedAt">The time the chart's dates are written relative to.</param>
    /// <param name="userId">The hook's <c>context.userId</c>.</param>
    /// <param name="patientId">The hook's <c>context.patientId</c>.</param>
    /// <param name="prefetch">The prefetch templates to fill.</param>
    /// <param name="at">The time of use; null keeps the dates as written.</param>
    /// <param name="hookInstance">The hook instance id.</param>
    /// <param name="omit">Prefetch keys to leave out.</param>
    public static JsonObject Build(JsonNode bundleNode, DateTimeOffset evaluatedAt, string userId, string patientId, IReadOnlyDictionary<string, string> prefetch, DateTimeOffset? at, Guid hookInstance, IReadOnlyCollection<string>? omit = null)
    {
        ArgumentNullException.ThrowIfNull(bundleNode);
        ArgumentNullException.ThrowIfNull(prefetch);
        if (at is { } time)
        {
            bundleNode = ShiftDates(bundleNode, time - evaluatedAt)!;
        }

        var bundle = bundleNode.Deserialize<Bundle>(FhirJsonFormat.Options)!;
        var resources = bundle.Entry.Select(e => e.Resource).OfType<Resource>().ToList();
        var context = new HookContext(userId, patientId, null, new Dictionary<string, string>
        {
            ["userId"] = userId,
            ["patientId"] = patientId,
        });

        var values = new JsonObject();
        foreach (var (key, template) in prefetch)
        {
            if (omit?.Contains(key) == true)
            {
                continue;
            }

            var url = PrefetchTemplate.Parse(key, template).Fill(context)
                ?? throw new InvalidOperationException($"Template '{key}' has a token a sample context cannot fill.");
            var result = TemplateSearch.Run(url, resources);
            values[key] = result is null ? null : JsonSerializer.SerializeToNode(result, FhirJsonFormat.Options);
        }

        var request = new JsonObject
        {
            ["hookInstance"] = hookInstance.ToString("D"),
            ["hook"] = "patient-view",
            ["context"] = new JsonObject { ["userId"] = userId, ["patientId"] = patientId },
        };
        if (values.Count > 0)
        {
            request["prefetch"] = values;
        }

        return request;
    }

    /// <summary>Moves every FHIR date, dateTime and instant in <paramref name="node"/> by <paramref name="by"/>, in place.</summary>
    public static JsonNode? ShiftDates(JsonNode? node, TimeSpan by)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    if (Shifted(value, by) is { } moved)
                    {
                        obj[name] = moved;
                    }
                    else
                    {
                        ShiftDates(value, by);
                    }
                }

                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (Shifted(array[i], by) is { } moved)
                    {
                        array[i] = moved;
                    }
                    else
                    {
                        ShiftDates(array[i], by);
                    }
                }

                return array;
            default:
                return Shifted(node, by) ?? node;
        }
    }

    /// <summary>The moved value when <paramref name="node"/> is a date-like string; otherwise null.</summary>
    private static JsonValue? Shifted(JsonNode? node, TimeSpan by)
    {
        if (node is not JsonValue value || !value.TryGetValue<string>(out var text) || !DateLike().IsMatch(text))
        {
            return null;
        }

        if (text.Length == 10)
        {
            var day = DateTimeOffset.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal) + by;
            return JsonValue.Create(day.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        }

        var moved = DateTimeOffset.Parse(text, CultureInfo.InvariantCulture) + by;
        return JsonValue.Create(moved.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture));
    }

    // The shapes ehr-sim moves: a date, or a dateTime/instant with seconds and a zone.
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex DateLike();
}
