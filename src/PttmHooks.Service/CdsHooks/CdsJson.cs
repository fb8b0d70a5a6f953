using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using PttmHooks.Reading;
using PttmHooks.Reading.CdsHooks;

namespace PttmHooks.Service.CdsHooks;

/// <summary>
/// The JSON settings of the CDS Hooks wire format; the FHIR resources inside it are FHIR JSON as
/// the reading library writes it (<see cref="FhirJsonFormat"/>).
/// </summary>
public static class CdsJson
{
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
    public static JsonSerializerOptions Wire { get; } = FhirJsonFormat.Freeze(new JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Card text carries "—", "µ" and "≥"; the wire stays readable. Responses are JSON, never
        // embedded in HTML, so the relaxed escaper is safe here.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = JsonTypeInfoResolver.Combine(CdsWireContext.Default, new DefaultJsonTypeInfoResolver()),
    }.ForFhir(ModelInfo.ModelInspector, FhirJsonFormat.ConverterOptions));
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
        JsonSerializer.Deserialize<Resource>(ref reader, FhirJsonFormat.Options);

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, Resource value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, FhirJsonFormat.Options);
}
