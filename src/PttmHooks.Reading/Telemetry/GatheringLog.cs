using Microsoft.Extensions.Logging;

namespace PttmHooks.Reading.Telemetry;

/// <summary>
/// The log events of the FHIR fallback, with the ids the service's event list gives them (2xxx:
/// hook calls and data; the service's <c>Log</c> has the others). Parameters are keys, counts,
/// codes and durations: never a URL, a resource or a token.
/// </summary>
internal static partial class GatheringLog
{
    [LoggerMessage(EventId = 2201, Level = LogLevel.Information,
        Message = "FHIR fallback: {Fetched} of {Queries} query(ies) answered in {ElapsedMs:F1} ms")]
    public static partial void FallbackFetched(ILogger logger, int queries, int fetched, double elapsedMs);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning,
        Message = "FHIR fallback query for key {Key} failed: {Reason} (page {Page})")]
    public static partial void FallbackQueryFailed(ILogger logger, string key, string reason, int page);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Warning,
        Message = "FHIR fallback query for key {Key}: the next link after page {Page} leaves the FHIR base; not followed")]
    public static partial void FallbackForeignNextLink(ILogger logger, string key, int page);

    [LoggerMessage(EventId = 2204, Level = LogLevel.Information,
        Message = "Attachments: {Read} of {Wanted} read ({Fetched} fetched from the FHIR server) in {ElapsedMs:F1} ms")]
    public static partial void AttachmentsRead(ILogger logger, int wanted, int read, int fetched, double elapsedMs);

    [LoggerMessage(EventId = 2205, Level = LogLevel.Warning,
        Message = "Attachment not read: {Reason} (source {Source})")]
    public static partial void AttachmentNotRead(ILogger logger, string reason, string source);
}
