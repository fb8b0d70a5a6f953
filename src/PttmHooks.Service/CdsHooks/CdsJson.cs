using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace PttmHooks.Service.CdsHooks;

/// <summary>The JSON settings of the CDS Hooks wire format and of the FHIR resources inside it.</summary>
public static class CdsJson
{
    // Firely's element validation costs about three quarters of a prefetch parse (ecosystem.md:
    // 630 µs with it, 183 µs without, for seed004's prefetch). The rule checks what it reads
    // (status, codes, units, dates) itself, so the hot path parses without it. Structural errors
    // (an object where a string belongs) are still reported, as DeserializationFailedException;
    // an object where R4 has an array is not, and every reader settles what it parsed with FhirReadInPart.Settle.
    private static readonly FhirJsonConverterOptions s_fhirConverter = new() { Validator = null };

    /// <summary>FHIR R4 JSON (prefetch values, OperationOutcome bodies).</summary>
    public static JsonSerializerOptions Fhir { get; } = Freeze(new JsonSerializerOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    }.ForFhir(ModelInfo.ModelInspector, s_fhirConverter));

    /// <summary>
    /// CDS Hooks JSON: members as the spec names them, optional members omitted rather than
    /// written as null (the spec: "no null or empty values"), FHIR resources as FHIR JSON.
    /// </summary>
    /// <remarks>
    /// The CDS Hooks models' metadata is source-generated (<see cref="CdsWireContext"/>): no
    /// reflection when a response is written. A FHIR resource inside them (a suggestion's
    /// ServiceRequest) is written by the Firely SDK (<see cref="FhirResourceJsonConverter"/>);
    /// any other type falls back to reflection.
    /// </remarks>
    public static JsonSerializerOptions Wire { get; } = Freeze(new JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Card text carries "—", "µ" and "≥"; the wire stays readable. Responses are JSON, never
        // embedded in HTML, so the relaxed escaper is safe here.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = JsonTypeInfoResolver.Combine(CdsWireContext.Default, new DefaultJsonTypeInfoResolver()),
    }.ForFhir(ModelInfo.ModelInspector, s_fhirConverter));

    private static JsonSerializerOptions Freeze(JsonSerializerOptions options)
    {
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>Source-generated metadata of the CDS Hooks wire model (<see cref="CdsJson.Wire"/>).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CdsResponse))]
[JsonSerializable(typeof(DiscoveryDocument))]
internal sealed partial class CdsWireContext : JsonSerializerContext;

/// <summary>A FHIR resource inside a CDS Hooks model, read and written as FHIR JSON by the Firely SDK.</summary>
public sealed class FhirResourceJsonConverter : JsonConverter<Resource>
{
    /// <inheritdoc />
    public override Resource? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonSerializer.Deserialize<Resource>(ref reader, CdsJson.Fhir);

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, Resource value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, CdsJson.Fhir);
}
