using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using PttmHooks.Service.Telemetry;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Telemetry;

/// <summary>
/// The console logger that writes in batches (<see cref="BatchedConsoleLoggerProvider"/>): it is
/// the service's console logger, writes what Microsoft's would (the configured formatter, its
/// filters, errors to standard error, the redacted event), loses nothing on stopping, and never
/// holds a caller when the console is blocked and the queue is set to drop.
/// </summary>
public sealed class BatchedConsoleLoggerTests
{
    private static readonly Action<ILogger, int, Exception?> s_numbered = LoggerMessage.Define<int>(LogLevel.Information, new EventId(7, "Numbered"), "event {Number}");
    private static readonly Action<ILogger, int, Exception?> s_queued = LoggerMessage.Define<int>(LogLevel.Warning, new EventId(9), "queued {Number}");
    private static readonly Action<ILogger, Exception?> s_wrong = LoggerMessage.Define(LogLevel.Error, new EventId(8), "went wrong");
    private static readonly Action<ILogger, Exception?> s_after = LoggerMessage.Define(LogLevel.Warning, new EventId(10), "after the end");

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>A stream the writer thread writes and the test reads, or that blocks every write until released.</summary>
    private sealed class Capture : Stream
    {
        private readonly MemoryStream _bytes = new();
        private readonly ManualResetEventSlim _open;

        public Capture(bool blocked = false) => _open = new ManualResetEventSlim(!blocked);

        public int Writes { get; private set; }

        public string Text
        {
            get
            {
                lock (_bytes)
                {
                    return Encoding.UTF8.GetString(_bytes.ToArray());
                }
            }
        }

        public void Release() => _open.Set();

        public override void Write(byte[] buffer, int offset, int count)
        {
            _open.Wait();
            lock (_bytes)
            {
                _bytes.Write(buffer, offset, count);
                Writes++;
            }
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private static (BatchedConsoleLoggerProvider Provider, ServiceProvider Services) Provider(Capture output, Capture error, Action<ConsoleLoggerOptions>? configure = null, string formatter = ConsoleFormatterNames.Simple)
    {
        var services = new ServiceCollection()
            .AddLogging(logging => logging.AddBatchedConsole())
            .Configure<ConsoleLoggerOptions>(options =>
            {
                options.FormatterName = formatter;
                configure?.Invoke(options);
            })
            .BuildServiceProvider();
        return (new BatchedConsoleLoggerProvider(services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>(), services.GetServices<ConsoleFormatter>(), output, error), services);
    }

    private static async Task<string> WaitForAsync(Capture capture, string text)
    {
        var clock = Stopwatch.StartNew();
        while (!capture.Text.Contains(text, StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20, Cancel);
        }

        return capture.Text;
    }

    [Fact]
    public void The_service_logs_to_the_batched_console_and_not_to_Microsofts()
    {
        using var app = new ServiceApp();

        var providers = app.Services.GetServices<ILoggerProvider>().ToList();

        Assert.Contains(providers, p => p is BatchedConsoleLoggerProvider);
        Assert.DoesNotContain(providers, p => p is ConsoleLoggerProvider);
    }

    [Fact]
    public async Task Events_are_written_in_order_with_the_configured_formatter_and_from_the_threshold_to_standard_error()
    {
        var output = new Capture();
        var error = new Capture();
        var (provider, services) = Provider(output, error, options => options.LogToStandardErrorThreshold = LogLevel.Error, ConsoleFormatterNames.Json);
        using (services)
        using (provider)
        {
            var logger = provider.CreateLogger("PttmHooks.Test");
            for (var i = 0; i < 200; i++)
            {
                s_numbered(logger, i, null);
            }

            s_wrong(logger, null);

            var written = await WaitForAsync(output, "event 199");
            var lines = written.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(200, lines.Length);
            for (var i = 0; i < lines.Length; i++)
            {
                using var json = JsonDocument.Parse(lines[i]);
                Assert.Equal($"event {i}", json.RootElement.GetProperty("Message").GetString());
                Assert.Equal(7, json.RootElement.GetProperty("EventId").GetInt32());
                Assert.Equal("PttmHooks.Test", json.RootElement.GetProperty("Category").GetString());
            }

            // Written in batches: far fewer writes than events.
            Assert.True(output.Writes < 50, $"{output.Writes} writes for 200 events");
            Assert.Contains("went wrong", await WaitForAsync(error, "went wrong"), StringComparison.Ordinal);
            Assert.DoesNotContain("went wrong", output.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Stopping_writes_every_event_still_queued()
    {
        var output = new Capture();
        var (provider, services) = Provider(output, new Capture());
        using (services)
        {
            var logger = provider.CreateLogger("PttmHooks.Test");
            for (var i = 0; i < 1_000; i++)
            {
                s_queued(logger, i, null);
            }

            provider.Dispose();

            var text = output.Text;
            Assert.Contains("queued 0", text, StringComparison.Ordinal);
            Assert.Contains("queued 999", text, StringComparison.Ordinal);
            Assert.Equal(1_000, text.Split("queued ").Length - 1);

            // After stopping, an event is written at once.
            s_after(logger, null);
            Assert.Contains("after the end", output.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void With_QueueFullMode_DropWrite_a_blocked_console_holds_no_caller_and_the_drops_are_counted()
    {
        var output = new Capture(blocked: true);
        var (provider, services) = Provider(output, new Capture(), options =>
        {
            options.MaxQueueLength = 10;
            options.QueueFullMode = ConsoleLoggerQueueFullMode.DropWrite;
        });
        using (services)
        using (provider)
        {
            var logger = provider.CreateLogger("PttmHooks.Test");
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < 500; i++)
            {
                s_numbered(logger, i, null);
            }

            var elapsed = clock.Elapsed;
            output.Release();
            provider.Dispose();

            Assert.True(elapsed < TimeSpan.FromSeconds(4), $"500 events took {elapsed.TotalSeconds:F1} s with the console blocked");
            var text = output.Text;
            var written = text.Split("event ").Length - 1;
            Assert.InRange(written, 10, 499);
            Assert.Contains($"{500 - written} log events were dropped", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_hook_call_event_reaches_the_console_filtered_as_configured_and_without_the_patient()
    {
        var output = new Capture();
        using var app = new ServiceApp(new Dictionary<string, string?>
        {
            ["Logging:Console:FormatterName"] = "json",
            ["Logging:Console:LogLevel:Default"] = "Warning",
            ["Logging:Console:LogLevel:PttmHooks.Service.Telemetry.HookCallTelemetry"] = "Information",
        }).WithServices(services =>
        {
            foreach (var batched in services.Where(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(BatchedConsoleLoggerProvider)).ToList())
            {
                services.Remove(batched);
            }

            services.AddSingleton<ILoggerProvider>(sp => new BatchedConsoleLoggerProvider(
                sp.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>(), sp.GetServices<ConsoleFormatter>(), output, new Capture()));
        });
        var request = app.CaseRequest("seed004-breast-history-hypoxaemia-vq");
        var patientId = (string)request["context"]!["patientId"]!;

        using var response = await app.PostJsonAsync("/cds-services/pttm-screening", request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await WaitForAsync(output, "\"EventId\":2001");
        var events = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        var answered = Assert.Single(events, e => e.GetProperty("EventId").GetInt32() == 2001);
        Assert.Equal("PttmHooks.Service.Telemetry.HookCallTelemetry", answered.GetProperty("Category").GetString());
        Assert.StartsWith("Hook patient-view for pttm-screening answered 200", answered.GetProperty("Message").GetString(), StringComparison.Ordinal);
        // Information of other categories is filtered out by Logging:Console:LogLevel:Default.
        Assert.All(events, e => Assert.True(
            e.GetProperty("Category").GetString() == "PttmHooks.Service.Telemetry.HookCallTelemetry" || e.GetProperty("LogLevel").GetString() is "Warning" or "Error" or "Critical",
            e.ToString()));
        Assert.DoesNotContain(patientId, text, StringComparison.OrdinalIgnoreCase);
    }
}
