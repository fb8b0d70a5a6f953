using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.Options;
using PttmHooks.Service.Telemetry;
using static Hl7.Fhir.Model.OperationOutcome;

namespace PttmHooks.Service.CdsHooks;

/// <summary>Admission of hook calls by the size of their bodies (configuration section <c>Cds:Admission</c>).</summary>
public sealed class AdmissionOptions
{
    /// <summary>
    /// The request body bytes of hook calls the service holds at once. A call whose body would take
    /// the total over it gets 503 with <c>Retry-After</c>, unless nothing else is in flight: one call
    /// larger than the budget (and within <c>Cds:MaxRequestBytes</c>) is still served alone.
    /// </summary>
    /// <value>
    /// 8,388,608 bytes (8 MiB). A call allocates about 23 bytes per byte of body (84 MB for a
    /// 3.6 MB, 5,000-resource prefetch); the Kubernetes limit of 512 MiB less the 217 MB the process
    /// holds at rest, less a quarter for small calls and the GC's headroom, leaves about 220 MB:
    /// 9.6 MB of body. docs/configuration.md has the arithmetic.
    /// </value>
    [Range(1024, long.MaxValue)]
    public long MaxBytesInFlight { get; set; } = 8 * 1024 * 1024;

    /// <summary>The <c>Retry-After</c> of a refused call, in seconds.</summary>
    /// <value>1: a large chart's call takes 0.2–2 s.</value>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 1;
}

/// <summary>
/// The budget of request body bytes in flight, shared by every hook call. Lock-free: a call is
/// admitted or refused at once, never queued, so a small call that fits is never kept waiting
/// behind a large one that does not.
/// </summary>
internal sealed class BodyBudget(IOptions<CdsOptions> options)
{
    private long _inFlight;

    /// <summary>The budget (<c>Cds:Admission:MaxBytesInFlight</c>).</summary>
    public long MaxBytes { get; } = options.Value.Admission.MaxBytesInFlight;

    /// <summary>The body bytes held by calls in flight.</summary>
    public long InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// Takes <paramref name="bytes"/> more for a call that holds <paramref name="held"/> already:
    /// granted if the total stays within the budget, or if that call holds everything in flight
    /// (alone, it is served whatever its size: never starved).
    /// </summary>
    public bool TryTake(long bytes, long held)
    {
        var current = Volatile.Read(ref _inFlight);
        while (true)
        {
            var wanted = current + bytes;
            if (wanted > MaxBytes && current != held)
            {
                return false;
            }

            var seen = Interlocked.CompareExchange(ref _inFlight, wanted, current);
            if (seen == current)
            {
                CdsMetrics.RecordAdmittedBytes(bytes);
                return true;
            }

            current = seen;
        }
    }

    /// <summary>Gives back what a call held.</summary>
    public void Return(long bytes)
    {
        if (bytes > 0)
        {
            Interlocked.Add(ref _inFlight, -bytes);
            CdsMetrics.RecordAdmittedBytes(-bytes);
        }
    }
}

/// <summary>What one call holds of the <see cref="BodyBudget"/>; disposing gives it back, once.</summary>
internal sealed class BodyLease(BodyBudget budget) : IDisposable
{
    private long _held;

    /// <summary>The bytes held.</summary>
    public long Held => Volatile.Read(ref _held);

    /// <summary>Takes <paramref name="bytes"/> more; false if the budget refuses them.</summary>
    public bool TryTake(long bytes)
    {
        if (bytes <= 0)
        {
            return true;
        }

        if (!budget.TryTake(bytes, Held))
        {
            return false;
        }

        Interlocked.Add(ref _held, bytes);
        return true;
    }

    /// <inheritdoc />
    public void Dispose() => budget.Return(Interlocked.Exchange(ref _held, 0));
}

/// <summary>
/// Admits a hook call by its body size before the endpoint reads it (<see cref="AdmissionOptions"/>):
/// a <c>Content-Length</c> is taken from the budget at once; a chunked body is taken as it is read
/// (<see cref="CountedBody"/>), so it cannot pass uncounted. What was taken is given back when the
/// call ends, whatever ended it (an answer, an exception, the client going away). It runs after
/// authentication: a call without a valid token holds nothing.
/// </summary>
internal sealed class BodyAdmission(RequestDelegate next, BodyBudget budget, IOptions<CdsOptions> options, ILogger<BodyAdmission> logger)
{
    /// <summary>Handles one request.</summary>
    public async Task InvokeAsync(HttpContext http)
    {
        var request = http.Request;
        if (!HttpMethods.IsPost(request.Method) || http.GetEndpoint()?.Metadata.GetMetadata<HookCallEndpoint>() is null
            || request.ContentLength > options.Value.MaxRequestBytes)
        {
            // Over Cds:MaxRequestBytes: RequestBody answers 413 without reading it.
            await next(http).ConfigureAwait(false);
            return;
        }

        using var lease = new BodyLease(budget);
        if (request.ContentLength is { } length && !lease.TryTake(length))
        {
            await RefuseAsync(http, length, chunked: false).ConfigureAwait(false);
            return;
        }

        var body = request.Body;
        if (request.ContentLength is null)
        {
            request.Body = new CountedBody(body, lease);
        }

        try
        {
            await next(http).ConfigureAwait(false);
        }
        catch (BodyBudgetExceededException refused) when (!http.Response.HasStarted)
        {
            await RefuseAsync(http, refused.Bytes, chunked: true).ConfigureAwait(false);
        }
        finally
        {
            request.Body = body;
        }
    }

    private async Task RefuseAsync(HttpContext http, long bytes, bool chunked)
    {
        var admission = options.Value.Admission;
        CdsMetrics.RecordAdmissionRefusal(chunked ? "chunked" : "content-length");
        Log.AdmissionRefused(logger, bytes, chunked, budget.InFlight, budget.MaxBytes);
        http.Response.Headers.RetryAfter = admission.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        await Refusal(bytes, chunked, budget.MaxBytes, admission.RetryAfterSeconds).ExecuteAsync(http).ConfigureAwait(false);
    }

    /// <summary>The 503 answer (its <c>Retry-After</c> header is set by the caller).</summary>
    internal static OperationOutcomeResult Refusal(long bytes, bool chunked, long maxBytes, int retryAfterSeconds) => OperationOutcomeResult.Error(
        StatusCodes.Status503ServiceUnavailable,
        $"The service is busy: this call's body ({(chunked ? "at least " : string.Empty)}{bytes:N0} bytes) and those in flight would exceed " +
        $"its budget of {maxBytes:N0} bytes in flight (Cds:Admission:MaxBytesInFlight). Retry after {retryAfterSeconds} s.",
        IssueType.Throttled);
}

/// <summary>A chunked body was refused by the budget while being read.</summary>
internal sealed class BodyBudgetExceededException(long bytes) : IOException("The request body exceeds the budget of bytes in flight.")
{
    /// <summary>The bytes read so far, this read included.</summary>
    public long Bytes { get; } = bytes;
}

/// <summary>A request body of unknown length that takes each read's bytes from the call's lease.</summary>
internal sealed class CountedBody(Stream inner, BodyLease lease) : Stream
{
    private long _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Take(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Take(inner.Read(buffer, offset, count));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Take(int read)
    {
        _read += read;
        return lease.TryTake(read) ? read : throw new BodyBudgetExceededException(_read);
    }
}

/// <summary>Registers and places <see cref="BodyAdmission"/>.</summary>
public static class BodyAdmissionExtensions
{
    /// <summary>The budget of body bytes in flight (its settings are <see cref="CdsOptions.Admission"/>).</summary>
    public static IServiceCollection AddBodyAdmission(this IServiceCollection services)
    {
        services.AddSingleton<BodyBudget>();
        return services;
    }

    /// <summary>Admission of hook calls by body size: after authentication, before the endpoints.</summary>
    public static WebApplication UseBodyAdmission(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<BodyAdmission>();
        return app;
    }
}
