using Microsoft.Extensions.Compliance.Classification;
using Microsoft.Extensions.Compliance.Redaction;

namespace PttmHooks.Service.Telemetry;

/// <summary>
/// The classes of data the service's log events may carry besides keys, counts and codes. Each
/// class has a redactor (<see cref="TelemetryExtensions"/>): nothing of these classes reaches a log
/// provider, an OpenTelemetry log record or the console as it was sent.
/// </summary>
public static class PttmData
{
    /// <summary>The taxonomy's name.</summary>
    public const string Taxonomy = "PttmHooks";

    /// <summary>A patient's id (<c>context.patientId</c>): written as its keyed hash, or erased without a key.</summary>
    public static DataClassification PatientIdentifier { get; } = new(Taxonomy, nameof(PatientIdentifier));

    /// <summary>
    /// An identifier a request carries that leads to a patient or a person in the EHR's records
    /// (<c>hookInstance</c>, <c>context.userId</c>, <c>context.encounterId</c>): keyed hash, or erased.
    /// </summary>
    public static DataClassification RequestIdentifier { get; } = new(Taxonomy, nameof(RequestIdentifier));

    /// <summary>A credential (a JWT, <c>fhirAuthorization.access_token</c>): always erased. No event takes one; this is the net under it.</summary>
    public static DataClassification Secret { get; } = new(Taxonomy, nameof(Secret));
}

/// <summary>Marks a log parameter that holds a patient id (<see cref="PttmData.PatientIdentifier"/>).</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property | AttributeTargets.Field)]
public sealed class PatientIdentifierAttribute : DataClassificationAttribute
{
    /// <summary>Creates the attribute.</summary>
    public PatientIdentifierAttribute()
        : base(PttmData.PatientIdentifier)
    {
    }
}

/// <summary>Marks a log parameter that holds a request's identifier (<see cref="PttmData.RequestIdentifier"/>).</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property | AttributeTargets.Field)]
public sealed class RequestIdentifierAttribute : DataClassificationAttribute
{
    /// <summary>Creates the attribute.</summary>
    public RequestIdentifierAttribute()
        : base(PttmData.RequestIdentifier)
    {
    }
}

/// <summary>Marks a log parameter that holds a credential (<see cref="PttmData.Secret"/>).</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property | AttributeTargets.Field)]
public sealed class SecretAttribute : DataClassificationAttribute
{
    /// <summary>Creates the attribute.</summary>
    public SecretAttribute()
        : base(PttmData.Secret)
    {
    }
}

/// <summary>
/// The redactor of identifiers: the <see cref="KeyedHash"/> of the value (the same value a span's
/// <c>pttm.patient.hash</c> carries for a patient id, so a log record and a trace of one patient
/// can be matched), or nothing at all when no key is configured.
/// </summary>
internal sealed class KeyedHashRedactor(KeyedHash hash) : Redactor
{
    // Nothing stays nothing: an absent value (a call refused before its body was read) has no hash.
    public override int GetRedactedLength(ReadOnlySpan<char> input) => hash.Enabled && !input.IsEmpty ? KeyedHash.Length : 0;

    public override int Redact(ReadOnlySpan<char> source, Span<char> destination) => source.IsEmpty ? 0 : hash.Write(source, destination);
}
