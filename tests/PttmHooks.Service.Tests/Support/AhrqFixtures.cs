using System.Text.Json.Nodes;

namespace PttmHooks.Service.Tests.Support;

/// <summary>
/// The AHRQ CDS Connect requests (tests/TestData/cds-hooks/ahrq) use their own prefetch keys
/// (Patient, Condition, Observation) and a context.patientId (1288992) that is not the id of the
/// patient their resources belong to (Patient/1). This maps them onto our templates.
/// </summary>
public static class AhrqFixtures
{
    /// <summary>Our Observation-search keys: each takes AHRQ's Observation value.</summary>
    public static readonly IReadOnlyList<string> ObservationKeys = ["oxygenation", "haemodynamics", "markers", "studyObservations", "labObservations"];

    /// <summary>Our DiagnosticReport and DocumentReference keys: AHRQ has none, so they are null (no data).</summary>
    public static readonly IReadOnlyList<string> ReportKeys = ["imagingReports", "pathologyReports", "recentReports", "notes"];

    /// <summary>
    /// The request in <paramref name="file"/> re-keyed: patient ← Patient, conditions ← Condition,
    /// every Observation key ← Observation, report keys ← null. An AHRQ key that is absent stays
    /// absent; one that is null stays null. A fhirServer becomes <see cref="ServiceApp.TrustedFhirServer"/>. With <paramref name="fixPatientId"/>, context.patientId
    /// becomes "1", the patient the resources belong to.
    /// </summary>
    public static JsonObject Rekeyed(string file, bool fixPatientId = true)
    {
        // The mapping must cover our templates exactly; a changed discovery document must change it too.
        var ours = new[] { "patient", "conditions" }.Concat(ObservationKeys).Concat(ReportKeys).Order(StringComparer.Ordinal);
        Assert.Equal(TestFiles.Templates.Keys.Order(StringComparer.Ordinal), ours);

        var request = TestFiles.Fixture("ahrq/" + file).AsObject();
        var theirs = request["prefetch"]!.AsObject();
        var prefetch = new JsonObject();
        Copy(theirs, "Patient", prefetch, "patient");
        Copy(theirs, "Condition", prefetch, "conditions");
        foreach (var key in ObservationKeys)
        {
            Copy(theirs, "Observation", prefetch, key);
        }

        foreach (var key in ReportKeys)
        {
            prefetch[key] = null;
        }

        request["prefetch"] = prefetch;
        if (request.ContainsKey("fhirServer"))
        {
            // AHRQ's http://localhost-style servers are not this deployment's; the test EHR's is.
            request["fhirServer"] = ServiceApp.TrustedFhirServer;
        }

        if (fixPatientId)
        {
            request["context"]!["patientId"] = "1";
        }

        return request;
    }

    private static void Copy(JsonObject from, string fromKey, JsonObject to, string toKey)
    {
        if (from.TryGetPropertyValue(fromKey, out var value))
        {
            to[toKey] = value?.DeepClone();
        }
    }
}
