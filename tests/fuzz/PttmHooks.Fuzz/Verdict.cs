using System.Text;
using System.Text.Json;

namespace PttmHooks.Fuzz;

/// <summary>
/// What counts as a bug in the service's answer to a hook request: a 5xx; a 4xx whose body is not
/// an OperationOutcome (<c>application/fhir+json</c>, <c>resourceType</c> OperationOutcome, at
/// least one issue); a 2xx whose body is not a CDS Hooks response (a JSON object with a
/// <c>cards</c> array); any other status.
/// </summary>
/// <remarks>Shared source: compiled into the fuzzing harness and into the service's regression test.</remarks>
public static class Verdict
{
    /// <summary>Why the answer is wrong, or null when it is acceptable.</summary>
    public static string? Check(int status, string? mediaType, byte[] body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (status >= 500)
        {
            return $"{status}: a server error";
        }

        if (status is >= 400 and < 500)
        {
            if (mediaType != "application/fhir+json")
            {
                return $"{status} with content type '{mediaType}', not application/fhir+json";
            }

            return Root(body, "resourceType") is { ValueKind: JsonValueKind.String } type && type.GetString() == "OperationOutcome"
                && Root(body, "issue") is { ValueKind: JsonValueKind.Array } issues && issues.GetArrayLength() > 0
                ? null
                : $"{status} without an OperationOutcome that has an issue";
        }

        if (status is >= 200 and < 300)
        {
            return Root(body, "cards") is { ValueKind: JsonValueKind.Array }
                ? null
                : $"{status} whose body is not a CDS Hooks response with a cards array";
        }

        return $"{status}: not a status a hook call answers";
    }

    /// <summary>The start of a body, as text, for a failure message.</summary>
    public static string Excerpt(byte[] body, int length = 1500)
    {
        ArgumentNullException.ThrowIfNull(body);
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, length));
        return body.Length > length ? text + "…" : text;
    }

    private static JsonElement? Root(byte[] body, string member)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(member, out var value)
                ? value.Clone()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
