using Microsoft.Extensions.ObjectPool;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace PttmHooks.Service.Telemetry;

/// <summary>
/// Turns the redacted values of a log record into plain strings while the record is being written.
/// With redaction enabled, a classified value reaches the providers as a pooled "just in time"
/// redactor that goes back to its pool when the logging call returns; an exporter that reads the
/// record later (OTLP batches it) would read a recycled object (dotnet/extensions#5080,
/// open-telemetry/opentelemetry-dotnet#5276). This processor runs first, before any exporter.
/// </summary>
internal sealed class RedactedLogValues : BaseProcessor<LogRecord>
{
    public override void OnEnd(LogRecord data)
    {
        if (data.Attributes is not { } attributes || !attributes.Any(a => a.Value is IResettable))
        {
            return;
        }

        data.Attributes = [.. attributes.Select(a => a.Value is IResettable ? new KeyValuePair<string, object?>(a.Key, a.Value.ToString()) : a)];
    }
}
