using System.Collections;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace PttmHooks.Service.Tests.Telemetry;

/// <summary>
/// OpenTelemetry's in-memory exporters added to a test's service, beside what the service
/// registers itself: every span its tracer provider records, every metric its meter provider
/// reads (on <see cref="Metrics"/>), every OpenTelemetry log record. The activity sources and
/// meters are process-wide, so spans are told apart by trace id and the tests that count metric
/// points run alone (<see cref="TelemetryRunsAlone"/>).
/// </summary>
public sealed class TelemetryCapture
{
    private readonly Locked<Activity> _spans = new();
    private readonly Locked<MetricSnapshot> _metrics = new();
    private readonly Locked<LogRecord> _logs = new();
    private ServiceApp? _app;

    /// <summary>The trace the calls of a test belong to (sent as <c>traceparent</c> by <see cref="Traceparent"/>).</summary>
    public ActivityTraceId Trace { get; } = ActivityTraceId.CreateRandom();

    /// <summary>The made-up client span the calls' server spans are children of.</summary>
    public ActivitySpanId Parent { get; } = ActivitySpanId.CreateRandom();

    /// <summary>A <c>traceparent</c> header: this trace, the made-up parent, sampled.</summary>
    public string Traceparent => $"00-{Trace.ToHexString()}-{Parent.ToHexString()}-01";

    /// <summary>Adds the exporters to <paramref name="app"/> (before it starts).</summary>
    public static TelemetryCapture Into(ServiceApp app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var capture = new TelemetryCapture { _app = app };
        app.WithServices(services => services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddInMemoryExporter(capture._spans))
            .WithMetrics(metrics => metrics.AddInMemoryExporter(capture._metrics))
            .WithLogging(logging => logging.AddInMemoryExporter(capture._logs)));
        return capture;
    }

    /// <summary>Every span recorded by the service's tracer provider (from any trace).</summary>
    public IReadOnlyList<Activity> AllSpans => _spans.Snapshot();

    /// <summary>The spans of <see cref="Trace"/>.</summary>
    public IReadOnlyList<Activity> Spans => [.. _spans.Snapshot().Where(a => a.TraceId == Trace)];

    /// <summary>
    /// Waits (at most 10 s) until <paramref name="calls"/> hook calls have been recorded: their
    /// server spans end, and their event is written, just after the answer has gone to the client.
    /// </summary>
    public async Task CallsRecordedAsync(int calls = 1)
    {
        var clock = Stopwatch.StartNew();
        while (Logs.Count(r => r.EventId.Id == 2001) < calls
            || Spans.Count(s => s.Kind == ActivityKind.Server && ((string?)s.GetTagItem("url.path"))?.StartsWith("/cds-services", StringComparison.Ordinal) == true) < calls)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{calls} hook call(s) not recorded within 10 s");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Every OpenTelemetry log record of the service.</summary>
    public IReadOnlyList<LogRecord> Logs => _logs.Snapshot();

    /// <summary>The metrics as the service's meter provider reads them now (cumulative since it started).</summary>
    public IReadOnlyList<MetricSnapshot> Metrics()
    {
        _metrics.Clear();
        _app!.Services.GetRequiredService<MeterProvider>().ForceFlush();
        return _metrics.Snapshot();
    }

    /// <summary>The points of metric <paramref name="name"/>, each with its tags.</summary>
    public static IReadOnlyList<(IReadOnlyDictionary<string, object?> Tags, MetricPoint Point, MetricType Type)> Points(IEnumerable<MetricSnapshot> metrics, string name)
    {
        var points = new List<(IReadOnlyDictionary<string, object?>, MetricPoint, MetricType)>();
        foreach (var metric in metrics.Where(m => m.Name == name))
        {
            foreach (var point in metric.MetricPoints)
            {
                var tags = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var tag in point.Tags)
                {
                    tags[tag.Key] = tag.Value;
                }

                points.Add((tags, point, metric.MetricType));
            }
        }

        return points;
    }

    /// <summary>A span as one text: source, names, kind, status, every tag, event and link, baggage.</summary>
    public static string Text(Activity span)
    {
        ArgumentNullException.ThrowIfNull(span);
        var text = new StringBuilder()
            .Append(span.Source.Name).Append(" | ").Append(span.OperationName).Append(" | ").Append(span.DisplayName)
            .Append(" | ").Append(span.Kind).Append(" | ").Append(span.Status).Append(' ').Append(span.StatusDescription);
        foreach (var (key, value) in span.TagObjects)
        {
            text.Append(" | ").Append(key).Append('=').Append(value);
        }

        foreach (var e in span.Events)
        {
            text.Append(" | event ").Append(e.Name);
            foreach (var (key, value) in e.Tags)
            {
                text.Append(" | ").Append(key).Append('=').Append(value);
            }
        }

        foreach (var link in span.Links)
        {
            foreach (var (key, value) in link.Tags ?? [])
            {
                text.Append(" | link ").Append(key).Append('=').Append(value);
            }
        }

        foreach (var (key, value) in span.Baggage)
        {
            text.Append(" | baggage ").Append(key).Append('=').Append(value);
        }

        return text.ToString();
    }

    /// <summary>A metric point as one text: the metric's name and every tag.</summary>
    public static IEnumerable<string> Texts(IEnumerable<MetricSnapshot> metrics)
    {
        foreach (var metric in metrics)
        {
            foreach (var point in metric.MetricPoints)
            {
                var text = new StringBuilder(metric.Name);
                foreach (var tag in point.Tags)
                {
                    text.Append(" | ").Append(tag.Key).Append('=').Append(tag.Value);
                }

                yield return text.ToString();
            }
        }
    }

    /// <summary>An OpenTelemetry log record as one text: category, event, body, formatted message, every attribute, exception.</summary>
    public static string Text(LogRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var text = new StringBuilder()
            .Append(record.CategoryName).Append(" | ").Append(record.EventId.Id).Append(' ').Append(record.EventId.Name)
            .Append(" | ").Append(record.Body).Append(" | ").Append(record.FormattedMessage)
            .Append(" | ").Append(record.Exception);
        foreach (var (key, value) in record.Attributes ?? [])
        {
            text.Append(" | ").Append(key).Append('=').Append(value);
        }

        return text.ToString();
    }

    /// <summary>A collection the exporters may add to from several threads at once.</summary>
    private sealed class Locked<T> : ICollection<T>
    {
        private readonly List<T> _items = [];

        public int Count
        {
            get
            {
                lock (_items)
                {
                    return _items.Count;
                }
            }
        }

        public bool IsReadOnly => false;

        public void Add(T item)
        {
            lock (_items)
            {
                _items.Add(item);
            }
        }

        public void Clear()
        {
            lock (_items)
            {
                _items.Clear();
            }
        }

        public bool Contains(T item)
        {
            lock (_items)
            {
                return _items.Contains(item);
            }
        }

        public void CopyTo(T[] array, int arrayIndex)
        {
            lock (_items)
            {
                _items.CopyTo(array, arrayIndex);
            }
        }

        public bool Remove(T item)
        {
            lock (_items)
            {
                return _items.Remove(item);
            }
        }

        public List<T> Snapshot()
        {
            lock (_items)
            {
                return [.. _items];
            }
        }

        public IEnumerator<T> GetEnumerator() => Snapshot().GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>Tests that count metric points: the meter is process-wide, so they run alone.</summary>
[CollectionDefinition(nameof(TelemetryRunsAlone), DisableParallelization = true)]
public sealed class TelemetryRunsAlone;
