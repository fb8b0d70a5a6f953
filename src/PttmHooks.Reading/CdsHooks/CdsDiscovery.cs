using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PttmHooks.Reading.CdsHooks;

/// <summary>
/// The discovery document (<c>cds-services.json</c> at the repository root, embedded in this
/// assembly): the services, and the prefetch templates that every reader of a hook request (the
/// service, the CLI) checks prefetch against and fetches what it lacks with.
/// </summary>
public static class CdsDiscovery
{
    /// <summary>The name of the embedded discovery document.</summary>
    public const string ResourceName = "PttmHooks.Reading.cds-services.json";

    /// <summary>The id of the PTTM screening service in the discovery document.</summary>
    public const string ScreeningServiceId = "pttm-screening";

    /// <summary>
    /// The JSON settings of a discovery document, read or written: members as the spec names
    /// them, optional members omitted rather than written as null.
    /// </summary>
    public static JsonSerializerOptions Json { get; } = FhirJsonFormat.Freeze(new JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = DiscoveryJsonContext.Default,
    });

    /// <summary>Reads the embedded <c>cds-services.json</c>.</summary>
    public static DiscoveryDocument LoadEmbedded()
    {
        using var stream = typeof(CdsDiscovery).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from the build.");
        return JsonSerializer.Deserialize<DiscoveryDocument>(stream, Json)
            ?? throw new InvalidOperationException("cds-services.json is empty.");
    }
}

/// <summary>Source-generated metadata of the discovery document (<see cref="CdsDiscovery.Json"/>).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DiscoveryDocument))]
internal sealed partial class DiscoveryJsonContext : JsonSerializerContext;

/// <summary>The discovery document: <c>{"services": [...]}</c>.</summary>
public sealed record DiscoveryDocument([property: JsonPropertyName("services")] IReadOnlyList<ServiceDefinition> Services);

/// <summary>One service in the discovery document.</summary>
public sealed record ServiceDefinition
{
    /// <summary>The hook the service answers.</summary>
    [JsonPropertyName("hook")]
    public required string Hook { get; init; }

    /// <summary>Human-readable name.</summary>
    [JsonPropertyName("title")]
    public string? Title { get; init; }

    /// <summary>What the service does.</summary>
    [JsonPropertyName("description")]
    public required string Description { get; init; }

    /// <summary>The id: the last segment of the service's URL.</summary>
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary>Prefetch templates by key.</summary>
    [JsonPropertyName("prefetch")]
    public IReadOnlyDictionary<string, string>? Prefetch { get; init; }

    /// <summary>Human-readable usage requirements.</summary>
    [JsonPropertyName("usageRequirements")]
    public string? UsageRequirements { get; init; }
}
