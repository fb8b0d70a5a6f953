using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;

namespace PttmHooks.Reading;

/// <summary>
/// The byte-level checks every JSON input passes before anything reads it (a hook request, a
/// feedback body, a FHIR server's answer, a file given to the CLI): UTF-8 throughout, no byte
/// order mark, nesting no deeper than <see cref="MaxDepth"/>, no string longer than
/// <see cref="MaxStringBytes"/>, no number longer than <see cref="MaxNumberLength"/>, and no
/// escape that decodes to invalid UTF-16 (a lone surrogate).
/// </summary>
/// <remarks>
/// System.Text.Json parses all of these without complaint and throws later, when a string is
/// read (<see cref="InvalidOperationException"/>, which no reader expects: a 500), or holds them
/// in memory. One pass of <see cref="Utf8JsonReader"/> finds them all and says where, so that the
/// caller can answer a 400 that names the problem. Duplicate members are left to the parser
/// (<see cref="JsonDocumentOptions.AllowDuplicateProperties"/>, Firely's own check).
/// </remarks>
public static class JsonInput
{
    /// <summary>
    /// The deepest nesting accepted. A FHIR resource inside a CDS Hooks request is about 12 deep
    /// (request, prefetch, Bundle, entry, resource, component, code, coding); 64 leaves room for
    /// extensions of extensions and keeps every recursive reader far from its stack's end.
    /// </summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// The longest string accepted, in bytes as sent (8 MiB): room for a report's PDF inline
    /// (<c>presentedForm.data</c>), which is the largest string a chart holds.
    /// </summary>
    public const int MaxStringBytes = 8 * 1024 * 1024;

    /// <summary>The longest number accepted, in characters: no measurement has 100 digits.</summary>
    public const int MaxNumberLength = 100;

    private static readonly byte[] s_bom = [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// How a JSON input that passed <see cref="Check"/> is parsed into a document: at most
    /// <see cref="MaxDepth"/> deep, and duplicate members refused (which of two "status" members an
    /// EHR meant is a guess, and the Firely SDK and System.Text.Json would each take a different one).
    /// </summary>
    public static JsonDocumentOptions DocumentOptions { get; } = new() { MaxDepth = MaxDepth, AllowDuplicateProperties = false };

    /// <summary>True when <paramref name="json"/> starts with a UTF-8 byte order mark.</summary>
    public static bool HasByteOrderMark(ReadOnlySpan<byte> json) => json.StartsWith(s_bom);

    /// <summary>
    /// Checks <paramref name="json"/>; null when it passes, otherwise a sentence saying what is
    /// wrong and where (a byte offset, never the content). JSON syntax errors are left to the parser.
    /// </summary>
    /// <param name="json">The bytes.</param>
    /// <param name="what">What they are, for the sentence: "The body", "prefetch".</param>
    public static string? Check(ReadOnlySpan<byte> json, string what)
    {
        if (HasByteOrderMark(json))
        {
            return $"{what} starts with a byte order mark (EF BB BF): JSON is sent without one (RFC 8259, section 8.1).";
        }

        if (Utf8.IsValid(json) is false)
        {
            var at = FirstInvalidUtf8(json);
            return $"{what} is not valid UTF-8 (at byte {at}): JSON is UTF-8 (RFC 8259, section 8.1).";
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth + 8, CommentHandling = JsonCommentHandling.Disallow });
        char[]? scratch = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray when reader.CurrentDepth >= MaxDepth:
                        return $"{what} is nested deeper than {MaxDepth} levels (at byte {reader.TokenStartIndex}).";
                    case JsonTokenType.String or JsonTokenType.PropertyName:
                        var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
                        if (length > MaxStringBytes)
                        {
                            return $"{what} holds a string of {length:N0} bytes at byte {reader.TokenStartIndex}, more than the limit of {MaxStringBytes:N0}.";
                        }

                        if (reader.ValueIsEscaped && !DecodesToUtf16(ref reader, ref scratch, (int)length))
                        {
                            return $"{what} holds a string at byte {reader.TokenStartIndex} whose escapes are not valid UTF-16 (a lone surrogate such as \\ud800).";
                        }

                        break;
                    case JsonTokenType.Number:
                        var digits = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
                        if (digits > MaxNumberLength)
                        {
                            return $"{what} holds a number of {digits:N0} characters at byte {reader.TokenStartIndex}, more than the limit of {MaxNumberLength}.";
                        }

                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Syntax: the parser that reads it next says where, in its own words.
            return null;
        }
        finally
        {
            if (scratch is not null)
            {
                ArrayPool<char>.Shared.Return(scratch);
            }
        }

        return null;
    }

    private static bool DecodesToUtf16(ref Utf8JsonReader reader, ref char[]? scratch, int length)
    {
        if (scratch is null || scratch.Length < length)
        {
            if (scratch is not null)
            {
                ArrayPool<char>.Shared.Return(scratch);
            }

            scratch = ArrayPool<char>.Shared.Rent(Math.Max(length, 256));
        }

        try
        {
            _ = reader.CopyString(scratch);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static long FirstInvalidUtf8(ReadOnlySpan<byte> json)
    {
        long offset = 0;
        while (!json.IsEmpty)
        {
            var status = System.Text.Rune.DecodeFromUtf8(json, out _, out var consumed);
            if (status != OperationStatus.Done)
            {
                return offset;
            }

            json = json[consumed..];
            offset += consumed;
        }

        return offset;
    }
}
