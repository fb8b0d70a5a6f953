using System.Diagnostics.Metrics;
using PttmHooks.Clinical.Assessment;

namespace PttmHooks.Service.Telemetry;

/// <summary>
/// The service's metrics (meter <c>PttmHooks.CdsHooks</c>), named after the OpenTelemetry semantic
/// conventions. The ops issue exports them; tests read them with a MeterListener.
/// </summary>
public static class CdsMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "PttmHooks.CdsHooks";

    private static readonly Meter s_meter = new(MeterName);

    private static readonly Histogram<double> s_hookDuration = s_meter.CreateHistogram<double>(
        "pttm.hook.duration", unit: "s", description: "Time to answer a hook call, by service and HTTP status.");

    private static readonly Counter<long> s_cards = s_meter.CreateCounter<long>(
        "pttm.cards", unit: "{card}", description: "Cards returned, by recommendation and indicator.");

    private static readonly Counter<long> s_assessments = s_meter.CreateCounter<long>(
        "pttm.assessments", unit: "{assessment}", description: "Rule evaluations, by recommendation.");

    private static readonly Counter<long> s_feedback = s_meter.CreateCounter<long>(
        "pttm.feedback", unit: "{feedback}", description: "Feedback entries, by outcome and whether this service issued the card.");

    private static readonly Histogram<double> s_fhirQueryDuration = s_meter.CreateHistogram<double>(
        "pttm.fhir.query.duration", unit: "s", description: "Time to fetch one prefetch key from the EHR's FHIR server (all its pages and retries), by key and outcome.");

    private static readonly Counter<long> s_rejections = s_meter.CreateCounter<long>(
        "pttm.auth.rejections", unit: "{call}", description: "Calls refused with 401, by reason (missing, expired, audience, replayed, …).");

    private static readonly Counter<long> s_jwksFetches = s_meter.CreateCounter<long>(
        "pttm.auth.jwks.fetches", unit: "{fetch}", description: "Fetches of a CDS client's JWK Set, by client and outcome.");

    /// <summary>Records one answered hook call.</summary>
    public static void RecordHook(string service, int status, TimeSpan elapsed) =>
        s_hookDuration.Record(elapsed.TotalSeconds, new("cds.service", service), new("http.response.status_code", status));

    /// <summary>Records an assessment and its card.</summary>
    public static void RecordAssessment(PttmAssessment assessment)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        var recommendation = assessment.Recommendation.ToString();
        s_assessments.Add(1, new KeyValuePair<string, object?>("pttm.recommendation", recommendation));
        if (assessment.Indicator is { } indicator)
        {
            s_cards.Add(1, new("pttm.recommendation", recommendation), new("pttm.indicator", indicator.ToString().ToLowerInvariant()));
        }
    }

    /// <summary>
    /// Records one fallback query: <paramref name="outcome"/> is <c>ok</c>, <c>no-data</c>, or the
    /// failure's code (timeout, budget, unauthorized, forbidden, circuit-open, …).
    /// </summary>
    public static void RecordFhirQuery(string key, string outcome, TimeSpan elapsed) =>
        s_fhirQueryDuration.Record(elapsed.TotalSeconds, new("pttm.prefetch.key", key), new("pttm.fhir.outcome", outcome));

    /// <summary>Records one (first-seen) feedback entry.</summary>
    public static void RecordFeedback(string service, string outcome, bool issued) =>
        s_feedback.Add(1, new("cds.service", service), new("cds.feedback.outcome", outcome), new("cds.card.issued", issued));

    /// <summary>Records a call refused for want of a valid client token.</summary>
    public static void RecordRejection(string reason) =>
        s_rejections.Add(1, new KeyValuePair<string, object?>("pttm.auth.reason", reason));

    /// <summary>Records one fetch of a client's key set: <paramref name="outcome"/> is <c>success</c> or <c>failure</c>.</summary>
    public static void RecordJwksFetch(string client, string outcome) =>
        s_jwksFetches.Add(1, new("pttm.cds_client", client), new("pttm.outcome", outcome));
}
