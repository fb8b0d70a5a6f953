using System.Diagnostics;
using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Security;

namespace PttmHooks.Service.Telemetry;

/// <summary>
/// What the hook endpoint learns about a call, for its telemetry: filled in as the call goes, read
/// once it has been answered (whatever answered it: the endpoint, the authentication's 401, the
/// error handler's 500).
/// </summary>
public sealed class HookCall
{
    /// <summary>The hook (<c>patient-view</c>), once the service is known.</summary>
    public string? Hook { get; set; }

    /// <summary>The patient (<c>context.patientId</c>), once the request has been read; only ever logged redacted, and hashed in spans.</summary>
    public string? PatientId { get; set; }

    /// <summary>The request's <c>hookInstance</c>, once read; only ever logged redacted.</summary>
    public string? HookInstance { get; set; }

    /// <summary>The number of cards answered, for a 200.</summary>
    public int Cards { get; set; }

    /// <summary>How many prefetch keys were queried from <c>fhirServer</c> (0: the FHIR fallback was not used).</summary>
    public int FhirQueries { get; set; }
}

/// <summary>Marks the endpoint whose calls are hook calls (<c>POST /cds-services/{id}</c>).</summary>
public sealed class HookCallEndpoint
{
    /// <summary>The marker.</summary>
    public static HookCallEndpoint Marker { get; } = new();
}

/// <summary>
/// The telemetry of every hook call, in one place: the <c>pttm.hook.calls</c> counter (by outcome)
/// and the <c>pttm.hook.duration</c> histogram, the hook call's attributes on its server span, and
/// the one structured log event of the call (2001). It runs before authentication, so that a 401
/// is counted like any other answer, and inside the error handler, so that a 500 is too.
/// </summary>
public sealed class HookCallTelemetry(RequestDelegate next, CdsCatalog catalog, KeyedHash hash, ILogger<HookCallTelemetry> logger)
{
    /// <summary>Handles one request.</summary>
    public async Task InvokeAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.GetEndpoint()?.Metadata.GetMetadata<HookCallEndpoint>() is null)
        {
            await next(http).ConfigureAwait(false);
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var call = new HookCall();
        http.Features.Set(call);
        var failed = false;
        try
        {
            await next(http).ConfigureAwait(false);
        }
        catch
        {
            // The error handler outside answers 500; the exception is its to log.
            failed = true;
            throw;
        }
        finally
        {
            Record(http, call, failed, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>The call's outcome: <c>cards</c>, <c>no-card</c>, <c>5xx</c>, or the status code of an error.</summary>
    internal static string Outcome(int status, int cards) => status switch
    {
        StatusCodes.Status200OK => cards > 0 ? "cards" : "no-card",
        >= 500 => "5xx",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private void Record(HttpContext http, HookCall call, bool failed, TimeSpan elapsed)
    {
        var status = failed ? StatusCodes.Status500InternalServerError : http.Response.StatusCode;
        var id = http.GetRouteValue("id") as string;
        var service = id is not null && catalog.TryGet(id, out _, out _) ? id : "unknown";
        var outcome = Outcome(status, call.Cards);
        var patientHash = hash.Of(call.PatientId);

        CdsMetrics.RecordHookCall(service, outcome);
        CdsMetrics.RecordHook(service, status, elapsed);
        if (Activity.Current is { IsAllDataRequested: true } span)
        {
            span.SetTag("cds.service", service);
            span.SetTag("cds.hook", call.Hook);
            span.SetTag("pttm.hook.outcome", outcome);
            span.SetTag("pttm.cards", call.Cards);
            span.SetTag("pttm.fhir.queries", call.FhirQueries);
            if (patientHash is not null)
            {
                span.SetTag("pttm.patient.hash", patientHash);
            }
        }

        var client = http.User.FindFirst(CdsClients.ClientClaim)?.Value ?? "none";
        Log.HookAnswered(
            logger, call.Hook ?? "unknown", service, status, outcome, call.Cards, elapsed.TotalMilliseconds, call.FhirQueries, client,
            call.PatientId ?? string.Empty, call.HookInstance ?? string.Empty);
    }
}
