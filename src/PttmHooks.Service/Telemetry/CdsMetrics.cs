using System.Diagnostics.Metrics;
using PttmHooks.Clinical.Assessment;
using PttmHooks.Reading.Telemetry;

namespace PttmHooks.Service.Telemetry;

/// <summary>
/// The service's metrics (meter <c>PttmHooks.CdsHooks</c>), named after the OpenTelemetry semantic
/// conventions. Every tag value is a code from a short, fixed list (a service id, a prefetch key,
/// an outcome, a reason, a configured host): never an identifier from a request. The FHIR
/// fallback's metrics (<c>pttm.fhir.*</c>) are in the same meter, recorded by the reading
/// library's own instance of it (PttmHooks.Reading.Telemetry.GatheringMetrics).
/// </summary>
/// <remarks>docs/operations.md (Metrics) lists each metric with its Prometheus name.</remarks>
public static class CdsMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "PttmHooks.CdsHooks";

    private static readonly Meter s_meter = new(MeterName);

    // The OpenTelemetry semantic conventions' buckets for HTTP durations, in seconds (the SDK's
    // default buckets are for milliseconds: every hook would fall in the first).
    private static readonly InstrumentAdvice<double> s_seconds = new()
    {
        HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
    };

    private static readonly Counter<long> s_hookCalls = s_meter.CreateCounter<long>(
        "pttm.hook.calls", unit: "{call}", description: "Hook calls, by service and outcome (cards, no-card, or the HTTP status of an error: 400, 401, 404, 412, 413, 415, 5xx).");

    private static readonly Histogram<double> s_hookDuration = s_meter.CreateHistogram<double>(
        "pttm.hook.duration", unit: "s", description: "Time to answer a hook call, by service and HTTP status.", tags: null, advice: s_seconds);

    private static readonly Counter<long> s_cards = s_meter.CreateCounter<long>(
        "pttm.cards", unit: "{card}", description: "Cards returned, by recommendation and indicator.");

    private static readonly Counter<long> s_assessments = s_meter.CreateCounter<long>(
        "pttm.assessments", unit: "{assessment}", description: "Rule evaluations, by recommendation.");

    private static readonly Counter<long> s_feedback = s_meter.CreateCounter<long>(
        "pttm.feedback", unit: "{feedback}", description: "Feedback entries, by outcome, whether this service issued the card, and override reason.");

    private static readonly Counter<long> s_rejections = s_meter.CreateCounter<long>(
        "pttm.auth.rejections", unit: "{call}", description: "Calls refused with 401, by reason (missing, expired, audience, replayed, …).");

    private static readonly Counter<long> s_jwksFetches = s_meter.CreateCounter<long>(
        "pttm.auth.jwks.fetches", unit: "{fetch}", description: "Fetches of a CDS client's JWK Set, by client and outcome.");

    private static readonly UpDownCounter<long> s_admittedBytes = s_meter.CreateUpDownCounter<long>(
        "pttm.admission.in_flight", unit: "By", description: "Request body bytes of hook calls in flight, held against the budget Cds:Admission:MaxBytesInFlight.");

    private static readonly Counter<long> s_admissionRefusals = s_meter.CreateCounter<long>(
        "pttm.admission.refusals", unit: "{call}", description: "Hook calls refused with 503 because their body would exceed the budget of bytes in flight, by how the body's size was known (content-length, chunked).");

    /// <summary>Records body bytes taken from (positive) or given back to (negative) the admission budget.</summary>
    public static void RecordAdmittedBytes(long bytes) => s_admittedBytes.Add(bytes);

    /// <summary>Records a hook call refused with 503 by the admission budget; <paramref name="body"/> is <c>content-length</c> or <c>chunked</c>.</summary>
    public static void RecordAdmissionRefusal(string body) =>
        s_admissionRefusals.Add(1, new KeyValuePair<string, object?>("pttm.admission.body", body));

    /// <summary>Records one hook call's outcome: <c>cards</c>, <c>no-card</c>, an error status (<c>400</c>, <c>401</c>, …) or <c>5xx</c>.</summary>
    public static void RecordHookCall(string service, string outcome) =>
        s_hookCalls.Add(1, new("cds.service", service), new("pttm.hook.outcome", outcome));

    /// <summary>Records one answered hook call's duration.</summary>
    public static void RecordHook(string service, int status, TimeSpan elapsed) =>
        s_hookDuration.Record(elapsed.TotalSeconds, new("cds.service", service), new("http.response.status_code", status));

    /// <summary>Records an assessment and its card (not for a warm-up call: <see cref="WarmUpCalls"/>).</summary>
    public static void RecordAssessment(PttmAssessment assessment)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        if (WarmUpCalls.Active)
        {
            return;
        }

        var recommendation = assessment.Recommendation.ToString();
        s_assessments.Add(1, new KeyValuePair<string, object?>("pttm.recommendation", recommendation));
        if (assessment.Indicator is { } indicator)
        {
            s_cards.Add(1, new("pttm.recommendation", recommendation), new("pttm.indicator", indicator.ToString().ToLowerInvariant()));
        }
    }

    /// <summary>
    /// Records one (first-seen) feedback entry; <paramref name="overrideReason"/> is the override
    /// reason's code (one the service offers, or <c>other</c>), or <c>none</c>.
    /// </summary>
    public static void RecordFeedback(string service, string outcome, bool issued, string overrideReason) =>
        s_feedback.Add(1, new("cds.service", service), new("cds.feedback.outcome", outcome), new("cds.card.issued", issued), new("pttm.override.reason", overrideReason));

    /// <summary>Records a call refused for want of a valid client token.</summary>
    public static void RecordRejection(string reason) =>
        s_rejections.Add(1, new KeyValuePair<string, object?>("pttm.auth.reason", reason));

    /// <summary>Records one fetch of a client's key set: <paramref name="outcome"/> is <c>success</c> or <c>failure</c>.</summary>
    public static void RecordJwksFetch(string client, string outcome) =>
        s_jwksFetches.Add(1, new("pttm.cds_client", client), new("pttm.outcome", outcome));
}
