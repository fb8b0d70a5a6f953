namespace PttmHooks.Service.Telemetry;

/// <summary>
/// Every log event of the service, with its id. Parameters are keys, counts, codes and durations:
/// never a resource, a name, report text or a token. The few identifiers an event takes are
/// classified (<see cref="PttmData"/>), and the logging pipeline redacts them before any provider
/// sees them (<see cref="TelemetryExtensions"/>).
/// </summary>
/// <remarks>
/// Event ids: 1xxx start-up, 2xxx hook calls and data, 3xxx feedback, 9xxx errors. The FHIR
/// fallback's and the attachment reads' events (2201–2205) are the reading library's (PttmHooks.Reading.Telemetry.GatheringLog).
/// </remarks>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning,
        Message = "Caller authentication is NOT REQUIRED (Cds:Authentication:Required=false, environment {Environment}). Any caller can post hooks without a token; tokens that are sent are still checked. Use this for local trials only.")]
    public static partial void AuthenticationDisabled(ILogger logger, string environment);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information,
        Message = "CDS services ready: {Services}; request body limit {MaxRequestBytes} bytes")]
    public static partial void Ready(ILogger logger, string services, long maxRequestBytes);

    /// <summary>Kestrel could not bind: another process listens on the address (the process then exits with <see cref="Hosting.StartupFailures.AddressInUseExitCode"/>).</summary>
    [LoggerMessage(EventId = 1003, Level = LogLevel.Critical,
        Message = "Cannot listen on {Address}: the address is already in use; the service stops")]
    public static partial void AddressInUse(ILogger logger, string address);

    /// <summary>Any other failure to start (the host's own record of it is filtered out, see <see cref="Hosting.StartupFailures"/>).</summary>
    [LoggerMessage(EventId = 1004, Level = LogLevel.Critical, Message = "The service failed to start")]
    public static partial void StartFailed(ILogger logger, Exception exception);

    /// <summary>The warm-up before readiness has ended (<see cref="Hosting.WarmUp"/>): its calls are not hook calls and have no event 2001.</summary>
    [LoggerMessage(EventId = 1005, Level = LogLevel.Information,
        Message = "Warm-up done: {Calls} in-process call(s) of the synthetic sample patients in {Rounds} round(s), {Failures} not answered 200, in {ElapsedMs:F0} ms; ready once the other checks pass")]
    public static partial void WarmedUp(ILogger logger, int calls, int rounds, int failures, double elapsedMs);

    /// <summary>The warm-up failed; the service becomes ready all the same (its first calls are slower).</summary>
    [LoggerMessage(EventId = 1006, Level = LogLevel.Error, Message = "The warm-up failed; the service becomes ready without it")]
    public static partial void WarmUpFailed(ILogger logger, Exception exception);

    /// <summary>
    /// The one event of every hook call, whatever its answer (written by <see cref="HookCallTelemetry"/>).
    /// The patient id and the hook instance are classified: the redactor writes their keyed hash
    /// (<c>Cds:Telemetry:PatientHashKey</c>), or nothing without a key. The user id is not taken at all.
    /// </summary>
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information,
        Message = "Hook {Hook} for {Service} answered {Status} ({Outcome}) with {Cards} card(s) in {ElapsedMs:F1} ms; {FhirQueries} key(s) fetched from fhirServer; client {Client}; patient {Patient}; hook instance {HookInstance}")]
    public static partial void HookAnswered(
        ILogger logger,
        string hook,
        string service,
        int status,
        string outcome,
        int cards,
        double elapsedMs,
        int fhirQueries,
        string client,
        [PatientIdentifier] string patient,
        [RequestIdentifier] string hookInstance);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information,
        Message = "Hook request rejected with {Status}: {IssueCount} issue(s), first at {Expression}")]
    public static partial void HookRejected(ILogger logger, int status, int issueCount, string? expression);

    /// <summary>A hook call refused with 503 by the admission budget (<see cref="CdsHooks.BodyAdmission"/>).</summary>
    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning,
        Message = "Hook call refused (503): its body of {Bytes} bytes (chunked: {Chunked}) would exceed the budget of {MaxBytesInFlight} bytes in flight; {InFlight} bytes in flight")]
    public static partial void AdmissionRefused(ILogger logger, long bytes, bool chunked, long inFlight, long maxBytesInFlight);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning,
        Message = "Patient data unavailable: {Count} prefetch key(s) unsatisfied ({Keys}); answering 412")]
    public static partial void DataUnavailable(ILogger logger, int count, string keys);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information,
        Message = "{Count} prefetch key(s) unsatisfied ({Keys}), and the answer cannot depend on them: {Settled}")]
    public static partial void DecidedWithoutMissing(ILogger logger, int count, string keys, string settled);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning,
        Message = "Report text unavailable: {Count} attachment(s) that could decide could not be read; answering 412")]
    public static partial void TextsUnavailable(ILogger logger, int count);

    [LoggerMessage(EventId = 2301, Level = LogLevel.Warning,
        Message = "CDS client call to {Path} refused (401): {Reason} (client {Client})")]
    public static partial void TokenRejected(ILogger logger, string reason, string client, string path);

    [LoggerMessage(EventId = 2302, Level = LogLevel.Warning,
        Message = "Unauthenticated {Method} {Path} answered: caller authentication is not required (Cds:Authentication:Required=false, local trials only); {Calls} unauthenticated call(s) since the last such warning, which is repeated at most once a minute")]
    public static partial void UnauthenticatedCall(ILogger logger, string method, string path, long calls);

    [LoggerMessage(EventId = 2303, Level = LogLevel.Information,
        Message = "Key set of CDS client {Client} fetched: {Count} key(s) ({Why})")]
    public static partial void KeysFetched(ILogger logger, string client, int count, string why);

    [LoggerMessage(EventId = 2304, Level = LogLevel.Warning,
        Message = "Key set of CDS client {Client} could not be fetched: {Failure}; keeping the previous set: {KeptPrevious}")]
    public static partial void KeysUnavailable(ILogger logger, string client, string failure, bool keptPrevious);

    [LoggerMessage(EventId = 2305, Level = LogLevel.Error,
        Message = "The jti replay cache (Redis) cannot be reached ({Error}): client calls are refused until it can")]
    public static partial void ReplayCacheUnavailable(ILogger logger, string error);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information,
        Message = "Feedback for {Service}: card {CardUuid} {Outcome} (issued by this service: {Issued}; accepted suggestions {AcceptedCount}; override reason {OverrideReason})")]
    public static partial void Feedback(ILogger logger, string service, string cardUuid, string outcome, bool issued, int acceptedCount, string? overrideReason);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug,
        Message = "Feedback for card {CardUuid} {Outcome} repeated; not counted again")]
    public static partial void FeedbackRepeated(ILogger logger, string cardUuid, string outcome);

    [LoggerMessage(EventId = 9001, Level = LogLevel.Error,
        Message = "Unhandled error answering {Method} {Path}; answered 500 (trace {TraceId})")]
    public static partial void Unhandled(ILogger logger, Exception exception, string method, string path, string traceId);
}
