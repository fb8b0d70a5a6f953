using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using PttmHooks.Reading;
using static Hl7.Fhir.Model.OperationOutcome;

namespace PttmHooks.Service.CdsHooks;

/// <summary>Reads a JSON request body: media type (415), size (413), syntax (400).</summary>
internal static class RequestBody
{

    /// <summary>
    /// Reads and parses the body. On failure, the error is the answer to give and
    /// the document is null.
    /// </summary>
    public static async Task<(JsonDocument? Document, OperationOutcomeResult? Error)> ReadJsonAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (!IsJson(request.ContentType))
        {
            return (null, UnsupportedMediaType(request.ContentType));
        }

        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(maxBytes));
        }

        // Kestrel enforces its own limit (set to the same value at start-up); reading through a
        // bounded buffer also holds where the server has none (TestServer, IIS out of process).
        var sizeFeature = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = maxBytes;
        }

        var buffer = new ArrayBufferWriter<byte>(request.ContentLength is > 0 and < 1 << 20 ? (int)request.ContentLength.Value : 16 * 1024);
        try
        {
            while (true)
            {
                var memory = buffer.GetMemory(16 * 1024);
                var read = await request.Body.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                buffer.Advance(read);
                if (buffer.WrittenCount > maxBytes)
                {
                    return (null, TooLarge(maxBytes));
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(maxBytes));
        }

        if (buffer.WrittenCount == 0)
        {
            return (null, OperationOutcomeResult.Error(StatusCodes.Status400BadRequest, "The body is empty; a JSON object is expected.", IssueType.Required));
        }

        if (JsonInput.Check(buffer.WrittenSpan, "The body") is { } problem)
        {
            return (null, OperationOutcomeResult.Error(StatusCodes.Status400BadRequest, problem, IssueType.Structure));
        }

        try
        {
            var document = JsonDocument.Parse(buffer.WrittenMemory, JsonInput.DocumentOptions);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                return (null, OperationOutcomeResult.Error(StatusCodes.Status400BadRequest, "The body must be a JSON object.", IssueType.Structure));
            }

            return (document, null);
        }
        catch (JsonException e)
        {
            // The parser's message names the line and byte position and nothing of the content.
            return (null, OperationOutcomeResult.Error(StatusCodes.Status400BadRequest, $"The body is not valid JSON: {e.Message}", IssueType.Structure));
        }
    }

    /// <summary>
    /// The 415 answer for <paramref name="contentType"/>. The endpoints declare no
    /// <c>Accepts</c> metadata, so routing never answers 415 itself: the service id is checked (404)
    /// before the media type, and this message always says what was wrong.
    /// </summary>
    internal static OperationOutcomeResult UnsupportedMediaType(string? contentType) => OperationOutcomeResult.Error(
        StatusCodes.Status415UnsupportedMediaType,
        $"The body must be JSON, sent with Content-Type: application/json (got {(string.IsNullOrEmpty(contentType) ? "no Content-Type" : Quote(contentType))}).",
        IssueType.NotSupported);

    private static OperationOutcomeResult TooLarge(long maxBytes) => OperationOutcomeResult.Error(
        StatusCodes.Status413PayloadTooLarge,
        $"The body is larger than the limit of {maxBytes:N0} bytes (Cds:MaxRequestBytes).",
        IssueType.TooCostly);

    /// <summary><c>application/json</c>, or any <c>+json</c> type, in UTF-8.</summary>
    internal static bool IsJson(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || media.MediaType.Value is not { } type)
        {
            return false;
        }

        var json = type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
        var charset = media.Charset.Value;
        return json && (charset is null || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase));
    }

    private static string Quote(string value) => value.Length > 100 ? $"\"{value[..100]}…\"" : $"\"{value}\"";
}
