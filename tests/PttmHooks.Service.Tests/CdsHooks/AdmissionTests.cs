using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Telemetry;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.CdsHooks;

/// <summary>
/// Admission by body size (issue 20), on a real Kestrel: a budget of 64 KiB of request bodies in
/// flight, hook bodies of 40 KB (one fits, two do not). A call is held in flight by a body whose
/// sender waits on a gate, and the test waits until the service has taken its bytes, so that no
/// outcome depends on timing.
/// </summary>
public sealed class AdmissionTests : IDisposable
{
    private const int Budget = 64 * 1024;
    private const int Large = 40_000;

    private readonly ServiceApp _app = new(new Dictionary<string, string?> { ["Cds:Admission:MaxBytesInFlight"] = Budget.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    private readonly HttpClient _client;

    public AdmissionTests()
    {
        _app.UseKestrel(0);
        using var factoryClient = _app.CreateClient();
        _client = new HttpClient { BaseAddress = factoryClient.BaseAddress };
    }

    private BodyBudget Admission => _app.Services.GetRequiredService<BodyBudget>();

    public void Dispose()
    {
        _client.Dispose();
        _app.Dispose();
    }

    [Fact]
    public async Task Large_calls_beyond_the_budget_get_503_with_Retry_After_and_an_OperationOutcome_while_the_one_admitted_proceeds()
    {
        using var refusals = new RefusalCount();
        var held = await HoldLargeAsync();

        var others = await Task.WhenAll(Post(Body(Large)), Post(Body(Large)));
        foreach (var refused in others)
        {
            using (refused)
            {
                var issues = await RefusedAsync(refused);
                Assert.Equal("throttled", Assert.Single(issues).Code);
                Assert.Contains("Cds:Admission:MaxBytesInFlight", issues[0].Diagnostics, StringComparison.Ordinal);
            }
        }

        Assert.Equal(Large, Admission.InFlight);
        Assert.Equal(HttpStatusCode.OK, await ReleaseAsync(held));
        Assert.True(refusals.ContentLength >= 2, $"refusals counted: {refusals.ContentLength}");
    }

    [Fact]
    public async Task A_small_call_is_served_while_a_large_one_holds_most_of_the_budget()
    {
        var held = await HoldLargeAsync();

        using (var small = await Post(Body(0)))
        {
            Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        }

        await ReleaseAsync(held);
    }

    [Fact]
    public async Task A_call_larger_than_the_whole_budget_is_served_when_nothing_else_is_in_flight()
    {
        using (var alone = await Post(Body(3 * Budget)))
        {
            Assert.Equal(HttpStatusCode.OK, alone.StatusCode);
        }

        using (var chunked = await Post(new GatedBody(Body(3 * Budget), chunked: true, gateAt: null)))
        {
            Assert.Equal(HttpStatusCode.OK, chunked.StatusCode);
        }

        Assert.Equal(0, Admission.InFlight);
    }

    [Fact]
    public async Task The_budget_is_given_back_after_a_card_a_400_and_a_415()
    {
        using (var ok = await Post(Body(Large)))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        await InFlightAsync(0);
        using (var invalid = await Post(Encoding.UTF8.GetBytes("{\"hook\": \"patient-view\", " + new string(' ', Large))))
        {
            await invalid.ErrorAsync(HttpStatusCode.BadRequest);
        }

        await InFlightAsync(0);
        using (var content = new ByteArrayContent(Body(Large)))
        {
            content.Headers.ContentType = new("text/plain");
            using var unsupported = await _client.PostAsync(new Uri(Http.ServicePath, UriKind.Relative), content, TestContext.Current.CancellationToken);
            await unsupported.ErrorAsync(HttpStatusCode.UnsupportedMediaType);
        }

        await InFlightAsync(0);

        // Were anything left over, two of these at once could not both be admitted.
        var held = new GatedBody(Body(Budget - 100), chunked: false);
        var first = Post(held);
        await InFlightAsync(Budget - 100);
        held.Open();
        using (var answer = await first)
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        await InFlightAsync(0);
    }

    [Fact]
    public async Task The_budget_is_given_back_when_the_client_goes_away_mid_body()
    {
        foreach (var chunked in new[] { false, true })
        {
            using var abort = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            var held = new GatedBody(Body(Large), chunked);
            var call = PostAsync(held, abort.Token);
            await InFlightAsync(chunked ? held.GateAt!.Value : Large);

            await abort.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
            await InFlightAsync(0);
            held.Open();
        }
    }

    [Fact]
    public async Task A_chunked_body_is_counted_as_it_is_read()
    {
        var chunked = new GatedBody(Body(Large), chunked: true);
        var first = Post(chunked);
        await InFlightAsync(chunked.GateAt!.Value);

        // 20,000 bytes read of the chunked body, and 50,000 more would pass the 65,536.
        using (var refused = await Post(Body(50_000)))
        {
            await RefusedAsync(refused);
        }

        chunked.Open();
        using (var answer = await first)
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        await InFlightAsync(0);
    }

    [Fact]
    public async Task A_chunked_body_that_grows_past_the_budget_is_refused_with_503()
    {
        using var refusals = new RefusalCount();
        var held = await HoldLargeAsync();

        using (var refused = await Post(new GatedBody(Body(Large), chunked: true, gateAt: null)))
        {
            var issues = await RefusedAsync(refused);
            Assert.Contains("at least", issues[0].Diagnostics, StringComparison.Ordinal);
        }

        Assert.Equal(Large, Admission.InFlight);
        Assert.Equal(HttpStatusCode.OK, await ReleaseAsync(held));
        Assert.True(refusals.Chunked >= 1, $"chunked refusals counted: {refusals.Chunked}");
    }

    [Fact]
    public void The_budget_must_be_at_least_a_kilobyte()
    {
        using var app = new ServiceApp(new Dictionary<string, string?> { ["Cds:Admission:MaxBytesInFlight"] = "10" });
        var failure = Assert.ThrowsAny<Exception>(() => app.Services);
        Assert.Contains("Cds:Admission:MaxBytesInFlight", failure.ToString(), StringComparison.Ordinal);
    }

    /// <summary>A valid hook request (no data: an empty answer) padded to about <paramref name="size"/> bytes.</summary>
    private static byte[] Body(int size)
    {
        var request = Http.MinimalRequest();
        var bare = Encoding.UTF8.GetByteCount(request.ToJsonString());
        if (size > bare + 20)
        {
            request["padding"] = new string('x', size - bare - 13);
        }

        return Encoding.UTF8.GetBytes(request.ToJsonString());
    }

    /// <summary>A large call held in flight: its body sent but for the last part, its bytes counted.</summary>
    private async Task<(GatedBody Gate, Task<HttpResponseMessage> Call)> HoldLargeAsync()
    {
        var gate = new GatedBody(Body(Large), chunked: false);
        var call = Post(gate);
        await InFlightAsync(Large);
        return (gate, call);
    }

    /// <summary>
    /// Asserts a refusal by the admission budget: 503 with an OperationOutcome and a Retry-After of
    /// the configured second. Gives its issues.
    /// </summary>
    private static async Task<IReadOnlyList<(string Diagnostics, string? Expression, string Code)>> RefusedAsync(HttpResponseMessage refused)
    {
        var issues = await refused.ErrorAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        return issues;
    }

    /// <summary>Lets a held call finish, waits until nothing is in flight, and gives its status.</summary>
    private async Task<HttpStatusCode> ReleaseAsync((GatedBody Gate, Task<HttpResponseMessage> Call) held)
    {
        held.Gate.Open();
        HttpStatusCode status;
        using (var answer = await held.Call)
        {
            status = answer.StatusCode;
        }

        await InFlightAsync(0);
        return status;
    }

    private Task<HttpResponseMessage> Post(byte[] body) => PostAsync(new GatedBody(body, chunked: false, gateAt: null), TestContext.Current.CancellationToken);

    private Task<HttpResponseMessage> Post(GatedBody body) => PostAsync(body, TestContext.Current.CancellationToken);

    private async Task<HttpResponseMessage> PostAsync(GatedBody body, CancellationToken cancellationToken)
    {
        using (body)
        {
            return await _client.PostAsync(new Uri(Http.ServicePath, UriKind.Relative), body, cancellationToken);
        }
    }

    /// <summary>Waits (at most 10 s) until the service holds exactly <paramref name="bytes"/> in flight.</summary>
    private async Task InFlightAsync(long bytes)
    {
        var clock = Stopwatch.StartNew();
        while (Admission.InFlight != bytes)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"bytes in flight: {Admission.InFlight}, expected {bytes}");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>
    /// A JSON body sent with its length (or chunked) that stops after <see cref="GateAt"/> bytes
    /// (half, unless told) until <see cref="Open"/>.
    /// </summary>
    private sealed class GatedBody : HttpContent
    {
        private readonly byte[] _body;
        private readonly bool _chunked;
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public GatedBody(byte[] body, bool chunked, int? gateAt = -1)
        {
            _body = body;
            _chunked = chunked;
            GateAt = gateAt == -1 ? body.Length / 2 : gateAt;
            Headers.ContentType = new("application/json");
        }

        public int? GateAt { get; }

        public void Open() => _gate.TrySetResult();

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var first = GateAt ?? _body.Length;
            await stream.WriteAsync(_body.AsMemory(0, first), cancellationToken);
            await stream.FlushAsync(cancellationToken);
            if (first < _body.Length)
            {
                await _gate.Task.WaitAsync(cancellationToken);
                await stream.WriteAsync(_body.AsMemory(first), cancellationToken);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _body.Length;
            return !_chunked;
        }
    }

    /// <summary>The refusals counted by <c>pttm.admission.refusals</c> while it is alive.</summary>
    private sealed class RefusalCount : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _contentLength;
        private long _chunked;

        public RefusalCount()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == CdsMetrics.MeterName && instrument.Name == "pttm.admission.refusals")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "pttm.admission.body" && (string?)tag.Value == "chunked")
                    {
                        Interlocked.Add(ref _chunked, value);
                    }
                    else if (tag.Key == "pttm.admission.body")
                    {
                        Interlocked.Add(ref _contentLength, value);
                    }
                }
            });
            _listener.Start();
        }

        public long ContentLength => Interlocked.Read(ref _contentLength);

        public long Chunked => Interlocked.Read(ref _chunked);

        public void Dispose() => _listener.Dispose();
    }
}
