using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace PttmHooks.Service.Telemetry;

/// <summary>
/// The console logger, writing in batches: each event is formatted on the caller's thread by the
/// console formatter configured as for <c>AddConsole</c> (<c>Logging:Console:FormatterName</c>
/// simple, json or systemd, and its <c>FormatterOptions</c>), queued without waking anything, and a
/// writer thread writes what has queued every <see cref="Interval"/> in one write.
/// </summary>
/// <remarks>
/// <para>
/// Microsoft's console logger wakes its writer thread for every event that finds its queue empty,
/// under the queue's lock: at a thousand calls a second that is a thousand futex wake-ups, context
/// switches and single-line writes. A profile of the service under load (bench/README.md,
/// "Logging") put that wake-up at about a sixth of a hook call's time. Here the caller only
/// enqueues; the writer sleeps between batches.
/// </para>
/// <para>
/// What stays as Microsoft's provider has it: the alias <c>Console</c> (so
/// <c>Logging:Console:LogLevel</c> filters it), the formatters, scopes, errors from
/// <see cref="ConsoleLoggerOptions.LogToStandardErrorThreshold"/> up to standard error, and
/// <see cref="ConsoleLoggerOptions.MaxQueueLength"/> with <see cref="ConsoleLoggerOptions.QueueFullMode"/>
/// (wait, the default, or drop, which writes how many were dropped). An event at Error or above
/// is written at once. Disposing the provider (the host stopping) and the process exiting write
/// what is queued.
/// </para>
/// </remarks>
[ProviderAlias("Console")]
public sealed class BatchedConsoleLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    /// <summary>How long an event may wait for the writer: the batch interval.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    private readonly IOptionsMonitor<ConsoleLoggerOptions> _options;
    private readonly Dictionary<string, ConsoleFormatter> _formatters;
    private readonly ConcurrentDictionary<string, BatchedConsoleLogger> _loggers = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Text, bool Error)> _queue = new();
    private readonly SemaphoreSlim _room;
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _writer;
    private readonly TextWriter _out;
    private readonly TextWriter _error;
    private readonly Lock _writing = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();
    private long _dropped;
    private volatile bool _stopping;

    /// <summary>Creates the provider on the process's standard output and error.</summary>
    public BatchedConsoleLoggerProvider(IOptionsMonitor<ConsoleLoggerOptions> options, IEnumerable<ConsoleFormatter> formatters)
        : this(options, formatters, Console.OpenStandardOutput(), Console.OpenStandardError())
    {
    }

    /// <summary>Creates the provider on <paramref name="standardOutput"/> and <paramref name="standardError"/>.</summary>
    internal BatchedConsoleLoggerProvider(IOptionsMonitor<ConsoleLoggerOptions> options, IEnumerable<ConsoleFormatter> formatters, Stream standardOutput, Stream standardError)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(formatters);
        _options = options;
        _formatters = formatters.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Last(), StringComparer.OrdinalIgnoreCase);
        _room = new SemaphoreSlim(Math.Max(1, options.CurrentValue.MaxQueueLength));
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        _out = new StreamWriter(standardOutput, utf8, 64 * 1024) { AutoFlush = false };
        _error = new StreamWriter(standardError, utf8, 16 * 1024) { AutoFlush = false };
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "Console logger (batched)" };
        _writer.Start();
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, static (name, self) => new BatchedConsoleLogger(name, self), this);

    /// <inheritdoc />
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    /// <summary>The formatter the options name now (simple when they name none or an unknown one).</summary>
    private ConsoleFormatter Formatter =>
        _formatters.TryGetValue(_options.CurrentValue.FormatterName ?? ConsoleFormatterNames.Simple, out var named) ? named
        : _formatters.TryGetValue(ConsoleFormatterNames.Simple, out var simple) ? simple
        : _formatters.Values.First();

    [ThreadStatic]
    private static StringWriter? t_buffer;

    /// <summary>Formats one event on the caller's thread and queues it.</summary>
    internal void Write<TState>(in LogEntry<TState> entry)
    {
        var buffer = t_buffer ??= new StringWriter(new StringBuilder(256), System.Globalization.CultureInfo.InvariantCulture);
        Formatter.Write(in entry, _scopes, buffer);
        var builder = buffer.GetStringBuilder();
        if (builder.Length == 0)
        {
            return;
        }

        var text = builder.ToString();
        builder.Clear();
        if (builder.Capacity > 16 * 1024)
        {
            builder.Capacity = 256;
        }

        var options = _options.CurrentValue;
        var error = entry.LogLevel >= options.LogToStandardErrorThreshold;
        if (_stopping)
        {
            WriteNow(text, error);
            return;
        }

        if (!_room.Wait(0))
        {
            if (options.QueueFullMode == ConsoleLoggerQueueFullMode.DropWrite)
            {
                Interlocked.Increment(ref _dropped);
                return;
            }

            _wake.Set();
            if (!_room.Wait(TimeSpan.FromSeconds(5)))
            {
                // The writer is stuck (a blocked pipe): never hold a request forever for a log line.
                Interlocked.Increment(ref _dropped);
                return;
            }
        }

        _queue.Enqueue((text, error));
        if (_stopping)
        {
            // Stopped while this event was being queued: the writer's last drain may have missed it.
            Drain();
        }
        else if (entry.LogLevel >= LogLevel.Error)
        {
            _wake.Set();
        }
    }

    private void WriteLoop()
    {
        while (!_stopping)
        {
            _wake.WaitOne(Interval);
            Drain();
        }
    }

    /// <summary>Writes what is queued, each stream flushed once.</summary>
    private void Drain()
    {
        lock (_writing)
        {
            var wroteOut = false;
            var wroteError = false;
            try
            {
                while (_queue.TryDequeue(out var item))
                {
                    _room.Release();
                    (item.Error ? _error : _out).Write(item.Text);
                    wroteOut |= !item.Error;
                    wroteError |= item.Error;
                }

                if (Interlocked.Exchange(ref _dropped, 0) is > 0 and var dropped)
                {
                    _out.Write($"warn: {typeof(BatchedConsoleLoggerProvider).FullName}[0]{Environment.NewLine}      {dropped} log events were dropped: the console could not keep up (Logging:Console:QueueFullMode, MaxQueueLength).{Environment.NewLine}");
                    wroteOut = true;
                }

                if (wroteOut)
                {
                    _out.Flush();
                }

                if (wroteError)
                {
                    _error.Flush();
                }
            }
            catch (IOException)
            {
                // A closed console (the pipe's reader gone) must not end the service.
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private void WriteNow(string text, bool error)
    {
        lock (_writing)
        {
            try
            {
                var writer = error ? _error : _out;
                writer.Write(text);
                writer.Flush();
            }
            catch (IOException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => Stop();

    private void Stop()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _wake.Set();
        _writer.Join(TimeSpan.FromSeconds(2));
        Drain();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        Stop();
    }

    /// <summary>One category's logger.</summary>
    private sealed class BatchedConsoleLogger(string category, BatchedConsoleLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            provider.Write(new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter));
        }
    }
}

/// <summary>Registers <see cref="BatchedConsoleLoggerProvider"/> in place of Microsoft's console logger.</summary>
public static class BatchedConsoleLoggerExtensions
{
    /// <summary>
    /// Replaces the console logger (of <c>AddConsole</c>, which the default host adds) with the
    /// batched one, keeping its options, formatters and filters.
    /// </summary>
    public static ILoggingBuilder AddBatchedConsole(this ILoggingBuilder logging)
    {
        ArgumentNullException.ThrowIfNull(logging);
        // AddConsole registers the options (bound from Logging:Console), the formatters and the
        // provider; the provider alone is replaced.
        logging.AddConsole();
        foreach (var microsoft in logging.Services.Where(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider)).ToList())
        {
            logging.Services.Remove(microsoft);
        }

        logging.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, BatchedConsoleLoggerProvider>());
        return logging;
    }
}
