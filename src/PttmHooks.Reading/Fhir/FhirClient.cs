using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;
using PttmHooks.Reading.CdsHooks;

namespace PttmHooks.Reading.Fhir;

/// <summary>Why a FHIR query failed: a short code for telemetry, and a sentence for the OperationOutcome.</summary>
/// <param name="Code">timeout, budget, unauthorized, forbidden, not-found, rate-limited, server-error, client-error, circuit-open, connection, operation-outcome, not-fhir, too-large, wrong-patient.</param>
/// <param name="Text">What happened, as a sentence fragment ("the FHIR server refused the access token (401)").</param>
public sealed record FhirFailure(string Code, string Text);

/// <summary>One FHIR response: the resource it carried, or why there is none.</summary>
/// <param name="Resource">The resource read (a Bundle for a search), when the query succeeded.</param>
/// <param name="Failure">Why it failed, otherwise.</param>
/// <param name="NotFound">True for a 404 or 410 (a read of something the server does not have).</param>
/// <param name="PartialNotes">Set when some elements were not valid FHIR R4 and were left out: one sentence per kind.</param>
public sealed record FhirResponse(Resource? Resource, FhirFailure? Failure, bool NotFound = false, IReadOnlyList<string>? PartialNotes = null);

/// <summary>One Binary fetched for an attachment: its bytes and media type, or why there are none.</summary>
/// <param name="Data">The content, when it was fetched.</param>
/// <param name="ContentType">Its media type (with parameters such as a charset), when known.</param>
/// <param name="Failure">Why it could not be fetched, otherwise.</param>
/// <param name="NotFound">True for a 404 or 410.</param>
public sealed record BinaryResponse(byte[]? Data, string? ContentType, FhirFailure? Failure, bool NotFound = false)
{
    internal static BinaryResponse Failed(string code, string text) => new(null, null, new FhirFailure(code, text));
}

/// <summary>
/// The typed <see cref="HttpClient"/> for the EHR's FHIR servers: one GET at a time, through the
/// resilience pipeline registered with it (per-attempt timeout, retries of idempotent GETs,
/// a circuit breaker per FHIR base). Bodies are read with the Firely SDK. It never throws for a
/// failure it can explain, and never logs the URL (it names the patient) or the token.
/// </summary>
public sealed class FhirClient(HttpClient http, IOptions<FhirFallbackOptions> options, TimeProvider time)
{
    /// <summary>The FHIR base a request belongs to: the resilience pipeline (and its circuit) is chosen by it.</summary>
    internal static readonly HttpRequestOptionsKey<string> BaseKey = new("PttmHooks.FhirBase");

    /// <summary>When the hook call's budget ends (a <see cref="TimeProvider.GetTimestamp"/> value): no retry is scheduled past it.</summary>
    internal static readonly HttpRequestOptionsKey<long> DeadlineKey = new("PttmHooks.FhirDeadline");

    private static readonly MediaTypeWithQualityHeaderValue s_fhirJson = new("application/fhir+json");

    /// <summary>
    /// A request's URL as telemetry may show it (the HttpClient span's <c>url.full</c>): the FHIR
    /// base, then only the resource type (<c>Observation</c>, <c>Patient/{id}</c>), and <c>?*</c>
    /// for a query, which names the patient; a path that is not a type (a server's own paging link)
    /// becomes <c>{path}</c>. Another request (a key set) shows its URL without the query.
    /// </summary>
    internal static string TelemetryUrl(HttpRequestMessage request, Uri url)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(url);
        var authority = url.GetLeftPart(UriPartial.Authority);
        var query = url.Query.Length > 0 ? "?*" : string.Empty;
        if (!request.Options.TryGetValue(BaseKey, out var fhirBase) || !Uri.TryCreate(fhirBase, UriKind.Absolute, out var baseUri))
        {
            return url.GetLeftPart(UriPartial.Path) + query;
        }

        var basePath = baseUri.AbsolutePath.TrimEnd('/');
        var path = url.AbsolutePath;
        if (!path.StartsWith(basePath, StringComparison.OrdinalIgnoreCase))
        {
            return authority + "/{path}" + query;
        }

        var segments = path[basePath.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries);
        var rest = segments switch
        {
            [] => string.Empty,
            [var type] when IsResourceType(type) => "/" + type,
            [var type, ..] when IsResourceType(type) => "/" + type + "/{id}",
            _ => "/{path}",
        };
        return authority + basePath + rest + query;
    }

    private static bool IsResourceType(string segment) =>
        segment.Length is > 1 and <= 64 && char.IsAsciiLetterUpper(segment[0]) && segment.All(char.IsAsciiLetter);

    /// <summary>GETs <paramref name="url"/> from the FHIR server whose base is <paramref name="fhirBase"/>.</summary>
    /// <param name="url">The absolute URL (a search or read under <paramref name="fhirBase"/>, or a <c>next</c> link on it).</param>
    /// <param name="fhirBase">The normalised FHIR base, which selects the circuit breaker.</param>
    /// <param name="token">The bearer token, or null for an open server.</param>
    /// <param name="deadline">The end of the hook call's budget, as a timestamp of <see cref="TimeProvider.System"/>.</param>
    /// <param name="cancellationToken">Cancelled when the budget runs out or the caller goes away.</param>
    public async Task<FhirResponse> GetAsync(Uri url, string fhirBase, string? token, long deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(s_fhirJson);
        var (response, failure) = await SendAsync(request, fhirBase, token, deadline, "queried", cancellationToken).ConfigureAwait(false);
        if (response is null)
        {
            return new FhirResponse(null, failure);
        }

        using (response)
        {
            return await ReadAsync(response, deadline, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// GETs a <c>Binary</c> (an attachment's <c>url</c>) from the FHIR server whose base is
    /// <paramref name="fhirBase"/>, through the same pipeline as every query, accepting both forms
    /// FHIR servers answer: the Binary resource as FHIR JSON (its <c>contentType</c> and base64
    /// <c>data</c>), or the raw content in its own media type.
    /// </summary>
    /// <param name="url">The absolute URL, on <paramref name="fhirBase"/>.</param>
    /// <param name="fhirBase">The normalised FHIR base, which selects the circuit breaker.</param>
    /// <param name="token">The bearer token, or null for an open server.</param>
    /// <param name="contentType">The attachment's own content type, asked for beside FHIR JSON, and used when the answer names none.</param>
    /// <param name="maxBytes">The largest content read, in bytes.</param>
    /// <param name="deadline">The end of the hook call's budget, as a timestamp of the time provider.</param>
    /// <param name="cancellationToken">Cancelled when the budget runs out or the caller goes away.</param>
    public async Task<BinaryResponse> GetBinaryAsync(Uri url, string fhirBase, string? token, string? contentType, long maxBytes, long deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(s_fhirJson);
        if (MediaTypeHeaderValue.TryParse(contentType, out var declared) && declared.MediaType is { } media && !IsJson(media))
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(media, 0.9));
        }

        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("*/*", 0.5));
        var (response, failure) = await SendAsync(request, fhirBase, token, deadline, "fetched", cancellationToken).ConfigureAwait(false);
        if (response is null)
        {
            return new BinaryResponse(null, null, failure);
        }

        using (response)
        {
            if (await StatusFailureAsync(response, deadline, cancellationToken).ConfigureAwait(false) is { } failed)
            {
                return new BinaryResponse(null, null, failed.Failure, failed.NotFound);
            }

            var limit = Math.Min(maxBytes, (long)options.Value.MaxResponseBytes);
            var answered = response.Content.Headers.ContentType;
            var isJson = answered?.MediaType is { } answeredType && IsJson(answeredType);

            // FHIR JSON carries the content base64-encoded: a third larger than the content.
            var bodyLimit = isJson ? (limit * 4 / 3) + 64 * 1024 : limit;
            if (response.Content.Headers.ContentLength > bodyLimit)
            {
                return BinaryResponse.Failed("too-large", $"the Binary is larger than {limit} bytes");
            }

            byte[] body;
            try
            {
                body = await ReadBodyAsync(response, bodyLimit, cancellationToken).ConfigureAwait(false);
            }
            catch (LimitedStream.TooLargeException)
            {
                return BinaryResponse.Failed("too-large", $"the Binary is larger than {limit} bytes");
            }
            catch (Exception e) when (e is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
            {
                return BinaryResponse.Failed("connection", "the FHIR server's answer broke off before its end");
            }

            if (!isJson)
            {
                // The raw content: its media type is the answer's, unless the answer names none
                // or only application/octet-stream, when the attachment's own is used.
                var type = answered?.MediaType is null or "application/octet-stream" ? contentType : answered.ToString();
                return new BinaryResponse(body, type, null);
            }

            var json = body.AsMemory();
            if (JsonInput.HasByteOrderMark(json.Span))
            {
                json = json[3..];
            }

            if (JsonInput.Check(json.Span, "the answer") is { } problem)
            {
                return BinaryResponse.Failed("not-fhir", $"the FHIR server's answer cannot be read: {problem.TrimEnd('.')}");
            }

            var read = FhirReadInPart.Read(json.Span, "fhir-server");
            return read switch
            {
                { Problem: { } unreadable } => BinaryResponse.Failed("not-fhir", $"the FHIR server's answer is {Shorten(unreadable)}"),
                { Resource: OperationOutcome outcome } => BinaryResponse.Failed("operation-outcome", "the FHIR server answered with an OperationOutcome" + Diagnostics(outcome)),
                { Resource: Binary { Data: { } data } binary } when data.LongLength > limit => BinaryResponse.Failed("too-large", $"the Binary is larger than {limit} bytes"),
                { Resource: Binary { Data: { } data } binary } => new BinaryResponse(data, binary.ContentType ?? contentType, null),
                { Resource: Binary } => BinaryResponse.Failed("no-data", "the Binary has no data"),
                { Resource: { } other } => BinaryResponse.Failed("wrong-type", $"the FHIR server answered a {other.TypeName}, not a Binary"),
                _ => BinaryResponse.Failed("not-fhir", "the FHIR server's answer is not a FHIR resource"),
            };
        }
    }

    private static bool IsJson(string mediaType) =>
        mediaType.Equals("application/fhir+json", StringComparison.OrdinalIgnoreCase) || mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    private static async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, long limit, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using var limited = new LimitedStream(stream, limit);
        using var copy = new MemoryStream();
        await limited.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
        return copy.ToArray();
    }

    /// <summary>The failure a response's status means (401, 403, 404, 429, 5xx, another 4xx), or null for a 2xx.</summary>
    private async Task<FhirResponse?> StatusFailureAsync(HttpResponseMessage response, long deadline, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        switch (response.StatusCode)
        {
            case HttpStatusCode.Unauthorized:
                return Failed("unauthorized", "the FHIR server refused the access token (401)");
            case HttpStatusCode.Forbidden:
                return Failed("forbidden", "the FHIR server denied access (403): the token's scopes may not cover this query");
            case HttpStatusCode.NotFound or HttpStatusCode.Gone:
                return new FhirResponse(null, new FhirFailure("not-found", $"the FHIR server has no such resource or endpoint ({status})"), NotFound: true);
            case HttpStatusCode.TooManyRequests:
                // Retried while Retry-After fitted the budget; this is the answer that ended it.
                var retryAfter = FhirHttp.RetryAfter(response, time) is { } wait
                    ? $", Retry-After {Math.Ceiling(Math.Max(0, wait.TotalSeconds))} s" + (FhirHttp.OutlastsBudget(wait, deadline, time) ? ", beyond this call's time budget" : ", retries included")
                    : ", retries included";
                return Failed("rate-limited", $"the FHIR server is rate-limiting requests (429{retryAfter})");
        }

        if (status >= 500)
        {
            return Failed("server-error", $"the FHIR server failed (HTTP {status}), retries included");
        }

        if (status is < 200 or >= 300)
        {
            // A 4xx with an OperationOutcome body: its diagnostics say more than the status.
            var said = await OutcomeTextAsync(response, cancellationToken).ConfigureAwait(false);
            return Failed("client-error", $"the FHIR server rejected the query (HTTP {status}{(said is null ? string.Empty : ": " + said)})");
        }

        return null;
    }

    private async Task<FhirResponse> ReadAsync(HttpResponseMessage response, long deadline, CancellationToken cancellationToken)
    {
        if (await StatusFailureAsync(response, deadline, cancellationToken).ConfigureAwait(false) is { } failed)
        {
            return failed;
        }

        if (response.Content.Headers.ContentLength > options.Value.MaxResponseBytes)
        {
            return Failed("too-large", $"the FHIR server's answer is larger than {options.Value.MaxResponseBytes} bytes");
        }

        byte[] body;
        try
        {
            body = await ReadBodyAsync(response, options.Value.MaxResponseBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (LimitedStream.TooLargeException)
        {
            return Failed("too-large", $"the FHIR server's answer is larger than {options.Value.MaxResponseBytes} bytes");
        }
        catch (Exception e) when (e is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return Failed("connection", "the FHIR server's answer broke off before its end");
        }

        // Read what can be read: a byte order mark is skipped (servers send one), any other
        // problem of the bytes (not UTF-8, nested too deep) makes the answer unreadable.
        var json = body.AsMemory();
        if (JsonInput.HasByteOrderMark(json.Span))
        {
            json = json[3..];
        }

        if (JsonInput.Check(json.Span, "the answer") is { } problem)
        {
            return Failed("not-fhir", $"the FHIR server's answer cannot be read: {problem.TrimEnd('.')}");
        }

        var read = FhirReadInPart.Read(json.Span, "fhir-server");
        return read switch
        {
            { Problem: { } unreadable } => Failed("not-fhir", $"the FHIR server's answer is {Shorten(unreadable)}"),
            { Resource: OperationOutcome outcome } => Failed("operation-outcome", "the FHIR server answered with an OperationOutcome" + Diagnostics(outcome)),
            { Settled.Broken: { } broken } => Failed("not-fhir", $"the FHIR server's answer is not a FHIR R4 Bundle ({broken} cannot be read{(read.FirstError is null ? string.Empty : ": " + Shorten(read.FirstError))})"),
            _ => new FhirResponse(read.Resource, null, PartialNotes: read.Settled.Notes),
        };
    }

    private static async Task<string?> OutcomeTextAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using var limited = new LimitedStream(stream, 64 * 1024);
            return await JsonSerializer.DeserializeAsync<Resource>(limited, FhirJsonFormat.Options, cancellationToken).ConfigureAwait(false) is OperationOutcome outcome
                ? Diagnostics(outcome).Trim(' ', '(', ')')
                : null;
        }
        catch (Exception e) when (e is JsonException or DeserializationFailedException or LimitedStream.TooLargeException or InvalidOperationException or IOException or HttpRequestException)
        {
            return null;
        }
    }

    private static string Diagnostics(OperationOutcome outcome)
    {
        var said = outcome.Issue.Select(i => i.Diagnostics ?? i.Details?.Text).FirstOrDefault(s => !string.IsNullOrWhiteSpace(s));
        return said is null ? string.Empty : $" ({Shorten(said)})";
    }

    /// <summary>
    /// Sends <paramref name="request"/> through the resilience pipeline with the token, the FHIR base
    /// (which selects the circuit breaker) and the deadline: the response, or the transport failure
    /// (an open circuit, a timeout, no connection) in words; <paramref name="verb"/> says what was not done.
    /// </summary>
    private async Task<(HttpResponseMessage? Response, FhirFailure? Failure)> SendAsync(
        HttpRequestMessage request, string fhirBase, string? token, long deadline, string verb, CancellationToken cancellationToken)
    {
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        request.Options.Set(BaseKey, fhirBase);
        request.Options.Set(DeadlineKey, deadline);
        try
        {
            return (await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false), null);
        }
        catch (BrokenCircuitException)
        {
            return (null, new FhirFailure("circuit-open", $"the circuit to this FHIR server is open after repeated failures, so it was not {verb}"));
        }
        catch (TimeoutRejectedException)
        {
            return (null, new FhirFailure("timeout", $"the FHIR server did not answer within the {Seconds(options.Value.AttemptTimeout)} per-attempt timeout, retries included"));
        }
        catch (HttpRequestException e)
        {
            return (null, new FhirFailure("connection", $"the FHIR server could not be reached ({e.HttpRequestError})"));
        }
    }

    private static FhirResponse Failed(string code, string text) => new(null, new FhirFailure(code, text));

    internal static string Seconds(TimeSpan span) => span.TotalSeconds >= 1 && span.Milliseconds == 0
        ? $"{span.TotalSeconds:0} s"
        : $"{span.TotalMilliseconds:0} ms";

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    /// <summary>A read-only view of a stream that throws once more than a limit has been read.</summary>
    internal sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read)
        {
            _read += read;
            return _read > limit ? throw new TooLargeException() : read;
        }

        public sealed class TooLargeException : IOException;
    }
}
