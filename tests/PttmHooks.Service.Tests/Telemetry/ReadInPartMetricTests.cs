using System.Net;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Telemetry;

/// <summary>
/// Every element read as absent because it is not valid FHIR R4 is counted
/// (<c>pttm.fhir.elements.read_in_part</c>, meter <c>PttmHooks.Reading</c>) by resource type,
/// element path (no list indices) and source, so that an ops team sees which EHR sends what; the
/// value that was sent and the resource's id never appear in a tag.
/// </summary>
[Collection(nameof(TelemetryRunsAlone))]
public sealed class ReadInPartMetricTests
{
    [Fact]
    public async Task Each_unreadable_element_is_counted_by_type_and_element_without_values_or_ids()
    {
        using var app = new ServiceApp();
        using var counted = new MetricCollector<long>(null, "PttmHooks.Reading", "pttm.fhir.elements.read_in_part");
        var request = app.CaseRequest("seed004-breast-history-hypoxaemia-vq");
        foreach (var spo2 in Http.PrefetchedResources(request, "seed004-obs5"))
        {
            spo2["status"] = "Final";
            spo2["valueQuantity"]!["value"] = "82";
        }

        foreach (var ctpa in Http.PrefetchedResources(request, "seed004-rep10"))
        {
            ctpa["status"] = "Final";
        }

        using var response = await app.PostJsonAsync(Http.ServicePath, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var points = counted.GetMeasurementSnapshot()
            .Select(m => ((string)m.Tags["fhir.resource.type"]!, (string)m.Tags["fhir.element"]!, (string)m.Tags["pttm.data.source"]!, m.Value))
            .ToList();
        // The same resource may come in two prefetch keys: each copy read counts.
        Assert.Contains(("Observation", "status", "prefetch", 1L), points);
        Assert.Contains(("Observation", "valueQuantity.value", "prefetch", 1L), points);
        Assert.Contains(("DiagnosticReport", "status", "prefetch", 1L), points);
        Assert.All(counted.GetMeasurementSnapshot(), m => Assert.DoesNotContain(m.Tags.Values, v => v is string s && (s.Contains("seed004", StringComparison.Ordinal) || s.Contains("82", StringComparison.Ordinal) || s.Contains("Final", StringComparison.Ordinal))));
    }
}
