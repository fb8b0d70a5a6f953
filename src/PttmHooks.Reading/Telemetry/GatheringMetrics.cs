using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace PttmHooks.Reading.Telemetry;

/// <summary>The state of a circuit breaker, as the <c>pttm.fhir.circuit.state</c> gauge reports it.</summary>
internal enum CircuitState
{
    /// <summary>Calls go through (0).</summary>
    Closed = 0,

    /// <summary>One trial call goes through after the break (1).</summary>
    HalfOpen = 1,

    /// <summary>Calls are refused without being sent (2).</summary>
    Open = 2,
}

/// <summary>
/// The metrics of fetching from FHIR servers, in the service's meter <c>PttmHooks.CdsHooks</c>
/// (a meter of the same name as the service's <c>CdsMetrics</c>: telemetry is registered by name,
/// so dashboards and <c>/metrics</c> see one meter). Tags are prefetch keys, outcome codes and
/// configured hosts: never an identifier from a request.
/// </summary>
/// <remarks>docs/operations.md (Metrics) lists each metric with its Prometheus name.</remarks>
internal static class GatheringMetrics
{
    /// <summary>The meter's name: the service's meter.</summary>
    public const string MeterName = "PttmHooks.CdsHooks";

    private static readonly Meter s_meter = new(MeterName);

    // The OpenTelemetry semantic conventions' buckets for HTTP durations, in seconds (the SDK's
    // default buckets are for milliseconds: every query would fall in the first).
    private static readonly InstrumentAdvice<double> s_seconds = new()
    {
        HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
    };

    // Per resilience pipeline (one per FHIR base, one per JWKS host): its server and its circuit's state.
    private static readonly ConcurrentDictionary<string, (string Server, CircuitState State)> s_circuits = new(StringComparer.Ordinal);

    private static readonly Histogram<double> s_fhirQueryDuration = s_meter.CreateHistogram<double>(
        "pttm.fhir.query.duration", unit: "s", description: "Time to fetch one prefetch key from the EHR's FHIR server (all its pages and retries), by key and outcome.", tags: null, advice: s_seconds);

    private static readonly Counter<long> s_fhirQueryFailures = s_meter.CreateCounter<long>(
        "pttm.fhir.query.failures", unit: "{query}", description: "FHIR fallback queries that brought no usable answer, by key and reason (timeout, budget, unauthorized, forbidden, circuit-open, server-error, …).");

    private static readonly Counter<long> s_attachmentReads = s_meter.CreateCounter<long>(
        "pttm.attachment.reads", unit: "{attachment}", description: "Report and note attachments the rule asked for, by source (inline, contained, bundle, fhir, none) and outcome (ok, or why the text could not be read).");

    private static readonly Histogram<double> s_attachmentFetchDuration = s_meter.CreateHistogram<double>(
        "pttm.fhir.attachment.duration", unit: "s", description: "Time to fetch one attachment's Binary from the EHR's FHIR server (retries included), by outcome.", tags: null, advice: s_seconds);

    private static readonly ObservableGauge<int> s_circuitState = s_meter.CreateObservableGauge(
        "pttm.fhir.circuit.state", ObserveCircuits, unit: "{state}", description: "State of the circuit breaker to each FHIR server and JWKS host: 0 closed, 1 half-open, 2 open.");

    /// <summary>
    /// Records one fallback query: <paramref name="outcome"/> is <c>ok</c>, <c>no-data</c>, or the
    /// failure's code (timeout, budget, unauthorized, forbidden, circuit-open, …), which is also
    /// counted in <c>pttm.fhir.query.failures</c>.
    /// </summary>
    public static void RecordFhirQuery(string key, string outcome, TimeSpan elapsed)
    {
        if (WarmUpCalls.Active)
        {
            return;
        }

        s_fhirQueryDuration.Record(elapsed.TotalSeconds, new("pttm.prefetch.key", key), new("pttm.fhir.outcome", outcome));
        if (outcome is not "ok" and not "no-data")
        {
            s_fhirQueryFailures.Add(1, new("pttm.prefetch.key", key), new("pttm.fhir.reason", outcome));
        }
    }

    /// <summary>Records one attachment read: where its content was (<paramref name="source"/>) and <paramref name="outcome"/> (<c>ok</c> or a code).</summary>
    public static void RecordAttachment(string source, string outcome)
    {
        if (!WarmUpCalls.Active)
        {
            s_attachmentReads.Add(1, new("pttm.attachment.source", source), new("pttm.attachment.outcome", outcome));
        }
    }

    /// <summary>Records one Binary fetched from the FHIR server.</summary>
    public static void RecordAttachmentFetch(string outcome, TimeSpan elapsed)
    {
        if (!WarmUpCalls.Active)
        {
            s_attachmentFetchDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("pttm.attachment.outcome", outcome));
        }
    }

    /// <summary>
    /// Sets the circuit state of the resilience pipeline <paramref name="pipeline"/>, whose server
    /// is <paramref name="server"/> (<c>host:port</c>).
    /// </summary>
    public static void SetCircuitState(string pipeline, string server, CircuitState state) => s_circuits[pipeline] = (server, state);

    /// <summary>Forgets a pipeline that was disposed.</summary>
    public static void ForgetCircuit(string pipeline) => s_circuits.TryRemove(pipeline, out _);

    /// <summary>
    /// One measurement per server: the worst state of its circuits (a FHIR base and a JWKS URL on
    /// one host, or two FHIR bases, each have their own circuit).
    /// </summary>
    private static IEnumerable<Measurement<int>> ObserveCircuits() =>
        [.. s_circuits.Values
            .GroupBy(c => c.Server, StringComparer.Ordinal)
            .Select(g => new Measurement<int>((int)g.Max(c => c.State), new KeyValuePair<string, object?>("server.address", g.Key)))];
}
