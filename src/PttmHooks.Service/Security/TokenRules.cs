using Microsoft.IdentityModel.JsonWebTokens;

namespace PttmHooks.Service.Security;

/// <summary>
/// Why a client token was refused: a short code for logs and the <c>pttm.auth.rejections</c>
/// metric. The caller never sees it (its 401 says only that a valid token is required).
/// </summary>
public static class RejectReasons
{
    /// <summary>No <c>Authorization: Bearer</c> header.</summary>
    public const string Missing = "missing";

    /// <summary>Not a compact JWS, or longer than a token can be.</summary>
    public const string Malformed = "malformed";

    /// <summary><c>alg</c> is not an asymmetric signature algorithm (<c>none</c>, HS256, …).</summary>
    public const string Algorithm = "algorithm";

    /// <summary>No <c>kid</c> in the header.</summary>
    public const string KidMissing = "kid-missing";

    /// <summary><c>typ</c> is not <c>JWT</c>.</summary>
    public const string Type = "type";

    /// <summary><c>iss</c> is not a trusted client.</summary>
    public const string Issuer = "issuer";

    /// <summary><c>jku</c> is not the client's configured JWKS URL.</summary>
    public const string Jku = "jku";

    /// <summary>The client's key set could not be fetched.</summary>
    public const string KeysUnavailable = "keys-unavailable";

    /// <summary>No key of the client has the token's <c>kid</c> (after one refetch).</summary>
    public const string KeyUnknown = "key-unknown";

    /// <summary>The signature does not verify.</summary>
    public const string Signature = "signature";

    /// <summary><c>exp</c> has passed.</summary>
    public const string Expired = "expired";

    /// <summary><c>nbf</c> or <c>iat</c> is in the future.</summary>
    public const string NotYetValid = "not-yet-valid";

    /// <summary><c>exp</c> or <c>iat</c> is missing.</summary>
    public const string LifetimeMissing = "lifetime-missing";

    /// <summary><c>exp</c> − <c>iat</c> is longer than allowed.</summary>
    public const string LifetimeTooLong = "lifetime-too-long";

    /// <summary><c>aud</c> is not the URL of the endpoint called (or the client's fixed audience).</summary>
    public const string Audience = "audience";

    /// <summary>No usable <c>jti</c>.</summary>
    public const string JtiMissing = "jti-missing";

    /// <summary>The <c>jti</c> was used before.</summary>
    public const string Replayed = "replayed";

    /// <summary>The replay cache could not be asked (fail closed).</summary>
    public const string ReplayCacheUnavailable = "replay-cache-unavailable";

    /// <summary><c>tenant</c> is not on the client's list.</summary>
    public const string Tenant = "tenant";

    /// <summary>Any other validation failure of the token handler.</summary>
    public const string Invalid = "invalid";
}

/// <summary>
/// The checks of a signed, unexpired client token that the token handler does not make, because
/// they depend on the call (the endpoint's URL) or on the client: <c>aud</c>, <c>iat</c>, the
/// lifetime limit, <c>jti</c>'s presence and <c>tenant</c>. Pure, so each is tested on its own.
/// </summary>
public static class TokenRules
{
    /// <summary>The longest <c>jti</c> accepted (a UUID is 36 characters).</summary>
    public const int MaxJtiLength = 256;

    /// <summary>The reason <paramref name="token"/> may not be used for this call, or null.</summary>
    /// <param name="token">A token whose signature, issuer, algorithm, type and <c>exp</c>/<c>nbf</c> have been checked.</param>
    /// <param name="client">The client that signed it.</param>
    /// <param name="endpointUrl">The URL of the endpoint called (public base + path), the expected <c>aud</c> unless the client fixes one.</param>
    /// <param name="now">The time.</param>
    /// <param name="settings">Clock skew and lifetime limit.</param>
    public static string? Check(JsonWebToken token, CdsClient client, string endpointUrl, DateTimeOffset now, CdsAuthenticationOptions settings)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(settings);
        var expected = client.Audience ?? endpointUrl;
        if (!token.Audiences.Any(aud => SameUrl(aud, expected)))
        {
            return RejectReasons.Audience;
        }

        // iat is REQUIRED by CDS Hooks; the handler checks exp and nbf only.
        if (!token.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Iat, out _) || !token.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Exp, out _))
        {
            return RejectReasons.LifetimeMissing;
        }

        var issuedAt = new DateTimeOffset(token.IssuedAt, TimeSpan.Zero);
        var expires = new DateTimeOffset(token.ValidTo, TimeSpan.Zero);
        if (issuedAt > now + settings.ClockSkew)
        {
            return RejectReasons.NotYetValid;
        }

        if (expires - issuedAt > settings.MaxLifetime)
        {
            return RejectReasons.LifetimeTooLong;
        }

        if (string.IsNullOrWhiteSpace(token.Id) || token.Id.Length > MaxJtiLength)
        {
            return RejectReasons.JtiMissing;
        }

        if (client.Tenants.Count > 0)
        {
            // A client with a tenant list must name its tenant: a token without one could stand for any.
            if (!token.TryGetPayloadValue<string>("tenant", out var tenant) || !client.Tenants.Contains(tenant))
            {
                return RejectReasons.Tenant;
            }
        }

        return null;
    }

    /// <summary>
    /// Two URLs compared as an <c>aud</c>: case-insensitively (scheme and host are; the service's
    /// routes are), and with or without one trailing slash.
    /// </summary>
    public static bool SameUrl(string? a, string b) =>
        a is not null && string.Equals(a.Trim().TrimEnd('/'), b.Trim().TrimEnd('/'), StringComparison.OrdinalIgnoreCase);
}
