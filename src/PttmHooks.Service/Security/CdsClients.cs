using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Fhir;

namespace PttmHooks.Service.Security;

/// <summary>A trusted CDS client, as configured and validated.</summary>
/// <param name="Name">Its name under <c>Cds:Clients</c> (for logs and messages; not secret).</param>
/// <param name="Issuer">Its <c>iss</c>, normalised (<see cref="CdsClients.NormaliseIssuer"/>).</param>
/// <param name="JwksUrl">Where its keys are published, or null when they are inline.</param>
/// <param name="InlineKeys">Its pinned keys, when configured inline.</param>
/// <param name="Audience">The fixed <c>aud</c> its tokens carry, or null for the endpoint's URL.</param>
/// <param name="Tenants">The <c>tenant</c> values it may send; empty for any (or none).</param>
/// <param name="FhirServers">Its FHIR bases, normalised as <see cref="FhirServerPolicy.Normalise(string)"/>.</param>
public sealed record CdsClient(
    string Name,
    string Issuer,
    Uri? JwksUrl,
    IReadOnlyList<JsonWebKey> InlineKeys,
    string? Audience,
    FrozenSet<string> Tenants,
    FrozenSet<string> FhirServers)
{
    /// <summary>Its key set is fetched on its first call, and readiness does not wait for it (<see cref="CdsClientOptions.KeysOnDemand"/>).</summary>
    public bool KeysOnDemand { get; init; }
}

/// <summary>The trusted CDS clients, found by the issuer of a token.</summary>
public sealed class CdsClients
{
    /// <summary>The claim the authenticated principal carries with the client's name.</summary>
    public const string ClientClaim = "pttm_cds_client";

    private readonly FrozenDictionary<string, CdsClient> _byIssuer;

    /// <summary>Builds the clients from the validated options.</summary>
    public CdsClients(IOptions<CdsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        All = [.. options.Value.Clients.Select(pair => Build(pair.Key, pair.Value))];
        _byIssuer = All.ToFrozenDictionary(c => c.Issuer, StringComparer.Ordinal);
        ByName = All.ToFrozenDictionary(c => c.Name, StringComparer.Ordinal);
    }

    /// <summary>Every client.</summary>
    public IReadOnlyList<CdsClient> All { get; }

    /// <summary>Clients by name.</summary>
    public FrozenDictionary<string, CdsClient> ByName { get; }

    /// <summary>The client whose tokens carry <paramref name="issuer"/>, or null.</summary>
    public CdsClient? ByIssuer(string? issuer) =>
        issuer is not null && _byIssuer.TryGetValue(NormaliseIssuer(issuer), out var client) ? client : null;

    /// <summary>An issuer for comparison: as written, without a trailing slash.</summary>
    public static string NormaliseIssuer(string issuer) => issuer.Trim().TrimEnd('/');

    private static CdsClient Build(string name, CdsClientOptions settings) => new(
        name,
        NormaliseIssuer(settings.Issuer!),
        string.IsNullOrWhiteSpace(settings.JwksUrl) ? null : new Uri(settings.JwksUrl),
        string.IsNullOrWhiteSpace(settings.Jwks) ? [] : ClientKeys.Parse(settings.Jwks).Keys,
        string.IsNullOrWhiteSpace(settings.Audience) ? null : settings.Audience.Trim(),
        settings.Tenants.ToFrozenSet(StringComparer.Ordinal),
        settings.FhirServers.Select(FhirServerPolicy.Normalise).ToFrozenSet(StringComparer.Ordinal))
    {
        KeysOnDemand = settings.KeysOnDemand && !string.IsNullOrWhiteSpace(settings.JwksUrl),
    };
}

/// <summary>Reading a client's JWK Set: public EC or RSA signing keys only, each with a <c>kid</c>.</summary>
public static class ClientKeys
{
    /// <summary>The kid of the development key in <c>samples/keys</c> (published, so trusted in Development only).</summary>
    public const string DevelopmentKid = "pttm-hooks-local-dev-1";

    /// <summary>
    /// Reads a JWK Set document. A set that holds a private or symmetric key, or no usable key, is
    /// refused whole: such a set is a configuration mistake, and guessing which part was meant is not safe.
    /// </summary>
    public static (IReadOnlyList<JsonWebKey> Keys, string? Problem) Parse(string json)
    {
        JsonWebKeySet set;
        try
        {
            set = new JsonWebKeySet(json);
        }
        catch (ArgumentException)
        {
            return ([], "is not a JWK Set (a JSON object with a \"keys\" array)");
        }

        var keys = new List<JsonWebKey>();
        foreach (var key in set.Keys)
        {
            if (key.Kty == JsonWebAlgorithmsKeyTypes.Octet)
            {
                return ([], "holds a symmetric (oct) key; CDS client tokens must be signed with an asymmetric (EC or RSA) key");
            }

            if (key.HasPrivateKey)
            {
                return ([], $"holds a private key (kid '{key.Kid}'); give the public key only");
            }

            if (key.Kty is not (JsonWebAlgorithmsKeyTypes.EllipticCurve or JsonWebAlgorithmsKeyTypes.RSA)
                || (!string.IsNullOrEmpty(key.Use) && key.Use != JsonWebKeyUseNames.Sig))
            {
                continue;
            }

            if (string.IsNullOrEmpty(key.Kid))
            {
                return ([], "has a key without a kid; CDS client tokens name their key by kid");
            }

            keys.Add(key);
        }

        return keys.Count == 0 ? ([], "has no EC or RSA signing key") : (keys, null);
    }
}
