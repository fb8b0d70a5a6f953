using System.Diagnostics.Metrics;

namespace PttmHooks.Reading;

/// <summary>
/// The metrics of reading FHIR data (meter <c>PttmHooks.Reading</c>): which elements EHRs send
/// that are not valid FHIR R4, so that an ops team sees which EHR sends what. Tags are a resource
/// type and an element path from the R4 model (list indices removed) and a source: never a value
/// and never an identifier.
/// </summary>
public static class ReadingMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "PttmHooks.Reading";

    private static readonly Meter s_meter = new(MeterName);

    private static readonly Counter<long> s_readInPart = s_meter.CreateCounter<long>(
        "pttm.fhir.elements.read_in_part",
        unit: "{element}",
        description: "Elements of FHIR resources that were not valid FHIR R4 and were read as absent, by resource type, element path and source (prefetch, fhir-server, file).");

    private static readonly Counter<long> s_prefetchParsed = s_meter.CreateCounter<long>(
        "pttm.prefetch.values.parsed",
        unit: "{value}",
        description: "Prefetch values parsed, by parser: lean (the one-pass reader of clean data) or firely (the Firely SDK, for a value the lean reader had a doubt about, or when asked for).");

    /// <summary>Counts one prefetch value parsed by <paramref name="parser"/> (<c>lean</c> or <c>firely</c>).</summary>
    public static void RecordPrefetchParsed(string parser)
    {
        if (s_prefetchParsed.Enabled && !Telemetry.WarmUpCalls.Active)
        {
            s_prefetchParsed.Add(1, new KeyValuePair<string, object?>("parser", parser));
        }
    }

    /// <summary>Counts each element of <paramref name="removed"/>.</summary>
    public static void RecordReadInPart(IReadOnlyList<UnreadableElement> removed, string source)
    {
        ArgumentNullException.ThrowIfNull(removed);
        if (!s_readInPart.Enabled || Telemetry.WarmUpCalls.Active)
        {
            return;
        }

        foreach (var element in removed)
        {
            s_readInPart.Add(1, new("fhir.resource.type", element.ResourceType), new("fhir.element", element.ElementPattern), new("pttm.data.source", source));
        }
    }
}
