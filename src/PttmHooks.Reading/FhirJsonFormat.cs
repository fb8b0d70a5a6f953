using System.Text.Encodings.Web;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace PttmHooks.Reading;

/// <summary>The JSON settings of FHIR resources: prefetch values, FHIR servers' answers, files.</summary>
public static class FhirJsonFormat
{
    /// <summary>
    /// The Firely SDK's converter settings, shared with the service's CDS Hooks wire options (a
    /// FHIR resource inside a card is written with them).
    /// </summary>
    /// <remarks>
    /// Firely's element validation costs about three quarters of a prefetch parse (ecosystem.md:
    /// 630 µs with it, 183 µs without, for seed004's prefetch). The rule checks what it reads
    /// (status, codes, units, dates) itself, so the hot path parses without it. Structural errors
    /// (an object where a string belongs) are still reported, as DeserializationFailedException;
    /// an object where R4 has an array is not, and every reader settles what it parsed with FhirReadInPart.Settle.
    /// </remarks>
    internal static FhirJsonConverterOptions ConverterOptions { get; } = new() { Validator = null };

    /// <summary>FHIR R4 JSON (prefetch values, FHIR servers' answers, OperationOutcome bodies).</summary>
    public static JsonSerializerOptions Options { get; } = Freeze(new JsonSerializerOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    }.ForFhir(ModelInfo.ModelInspector, ConverterOptions));

    /// <summary>Makes <paramref name="options"/> read-only, its resolver filled in.</summary>
    internal static JsonSerializerOptions Freeze(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
