namespace PttmHooks.Fuzz;

/// <summary>
/// One fuzz input: the body of a hook request, optionally followed by <see cref="Marker"/> and the
/// answer the fake FHIR server gives to every query of the FHIR fallback (a searchset Bundle, or
/// anything at all). Without the marker the fake server knows nothing: searches answer an empty
/// searchset and reads a 404.
/// </summary>
/// <remarks>Shared source: compiled into the fuzzing harness and into the service's regression test.</remarks>
/// <param name="Body">The bytes posted as the hook request, exactly as they are in the file.</param>
/// <param name="FhirAnswer">What the fake FHIR server answers, or null.</param>
public sealed record FuzzInput(byte[] Body, byte[]? FhirAnswer)
{
    /// <summary>The line between the hook request and the FHIR server's answer.</summary>
    public const string Marker = "\n--fhir-answer--\n";

    private static readonly byte[] MarkerBytes = "\n--fhir-answer--\n"u8.ToArray();

    /// <summary>Splits <paramref name="data"/> at the first <see cref="Marker"/>.</summary>
    public static FuzzInput Split(ReadOnlySpan<byte> data)
    {
        var at = data.IndexOf(MarkerBytes);
        return at < 0
            ? new FuzzInput(data.ToArray(), null)
            : new FuzzInput(data[..at].ToArray(), data[(at + MarkerBytes.Length)..].ToArray());
    }
}
