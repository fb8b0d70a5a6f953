namespace PttmHooks.Service.Viewer;

/// <summary>
/// The card viewer's log events (ids 1101–1109 at start-up, 4001–4009 per call, beside
/// <see cref="Telemetry.Log"/>'s ranges). Never a token, never a patient id.
/// </summary>
internal static partial class ViewerLog
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Information,
        Message = "Card viewer at / (environment {Environment}); development tokens: {Tokens}")]
    public static partial void Enabled(ILogger logger, string environment, string tokens);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning,
        Message = "The card viewer is ON outside Development (Cds:Viewer:Enabled=true, environment {Environment}): it serves synthetic sample patients and a page that calls this service; it signs no tokens here. Switch it off unless this instance is for trying the rule.")]
    public static partial void EnabledOutsideDevelopment(ILogger logger, string environment);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information,
        Message = "Viewer: development token signed as client {Client} for {Path}")]
    public static partial void TokenSigned(ILogger logger, string client, string path);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning,
        Message = "Viewer: development token refused to a caller that is not local ({Reason})")]
    public static partial void TokenRefusedNotLocal(ILogger logger, string reason);
}
