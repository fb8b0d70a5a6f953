using System.Diagnostics;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PttmHooks.Reading.Fhir;
using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Telemetry;

namespace PttmHooks.Service.Security;

/// <summary>
/// CDS client authentication as CDS Hooks 2.0 defines it: every call carries
/// <c>Authorization: Bearer &lt;JWT&gt;</c>, signed with an asymmetric key of a trusted client
/// (<c>Cds:Clients</c>), for the URL of the endpoint called, short-lived, used once.
/// </summary>
/// <remarks>
/// ASP.NET Core's JwtBearer handler checks the signature, issuer, algorithm, <c>typ</c>, <c>exp</c>
/// and <c>nbf</c>. Its events add what depends on the client and the call: before validation the
/// header (<c>kid</c>, <c>jku</c>) and the key fetch; after it <see cref="TokenRules"/> (<c>aud</c>,
/// <c>iat</c>, lifetime, <c>jti</c>, <c>tenant</c>) and then the replay cache. Every refusal is the
/// same bare 401 (<c>WWW-Authenticate: Bearer</c>); its reason goes to the log and a metric.
/// </remarks>
public static class CdsAuthentication
{
    /// <summary>The authentication scheme and the authorization policy of the CDS endpoints.</summary>
    public const string Scheme = "CdsClient";

    /// <summary>The longest token read (client tokens are well under 2 KB).</summary>
    public const int MaxTokenLength = 16 * 1024;

    private static readonly object s_clientItem = new();
    private static readonly object s_reasonItem = new();

    /// <summary>Registers clients, keys, the replay cache, JwtBearer, the policy, CORS and the security health checks.</summary>
    public static IServiceCollection AddCdsAuthentication(this IServiceCollection services)
    {
        services.AddSingleton<CdsClients>();
        services.AddHttpClient<JwksClient>().AddOutboundResilience("jwks");
        services.AddSingleton<ClientKeyStore>();
        services.AddHostedService<ClientKeyWarmup>();
        services.AddSingleton<IReplayCache>(sp => string.IsNullOrWhiteSpace(sp.GetRequiredService<IOptions<CdsOptions>>().Value.ReplayCache.Redis)
            ? new MemoryReplayCache(sp.GetRequiredService<TimeProvider>())
            : ActivatorUtilities.CreateInstance<RedisReplayCache>(sp));

        // No default scheme (ASP.NET Core would make the only scheme the default): only the CDS
        // endpoints, whose policy names the scheme, read a token; one sent to /docs or /health is
        // never processed, so it fetches no key and spends no jti there.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        services.AddAuthentication().AddJwtBearer(Scheme, _ => { });
        services.AddOptions<JwtBearerOptions>(Scheme)
            .Configure<IServiceProvider>((jwt, sp) => Configure(jwt, sp));
        services.AddAuthorizationBuilder()
            .AddPolicy(Scheme, policy => policy.AddAuthenticationSchemes(Scheme).AddRequirements(new CdsClientRequirement()));
        services.AddSingleton<IAuthorizationHandler, CdsClientAuthorizationHandler>();

        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<CdsOptions>>((cors, cds) =>
        {
            var origins = new CorsOrigins(cds.Value.Cors.Origins);
            cors.AddDefaultPolicy(policy => policy
                .SetIsOriginAllowed(origins.IsAllowed)
                .WithMethods("GET", "POST", "OPTIONS")
                .WithHeaders("Content-Type", "Authorization"));
        });

        services.AddHealthChecks()
            .AddCheck<ClientKeysHealthCheck>("client-keys", tags: ["ready"])
            .AddCheck<ReplayCacheHealthCheck>("replay-cache", tags: ["ready"]);
        return services;
    }

    /// <summary>The client a call was authenticated as, or null for an unauthenticated (Development) call.</summary>
    public static CdsClient? ClientOf(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var name = http.User.FindFirst(CdsClients.ClientClaim)?.Value;
        return name is not null && http.RequestServices.GetRequiredService<CdsClients>().ByName.TryGetValue(name, out var client) ? client : null;
    }

    /// <summary>The URL the caller invoked, as its <c>aud</c> must name it: the public base URL and the path, no query.</summary>
    public static string EndpointUrl(HttpRequest request, CdsOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CdsHooksApi.PublicBaseUrl(request, options).AbsoluteUri + (request.Path.Value ?? string.Empty).TrimStart('/');
    }

    private static void Configure(JwtBearerOptions jwt, IServiceProvider services)
    {
        var clients = services.GetRequiredService<CdsClients>();
        var keys = services.GetRequiredService<ClientKeyStore>();
        var replay = services.GetRequiredService<IReplayCache>();
        var cds = services.GetRequiredService<IOptions<CdsOptions>>();
        var time = services.GetRequiredService<TimeProvider>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(CdsAuthentication));
        var settings = cds.Value.Authentication;

        // No reason in the challenge, no token kept in the authentication properties, claims as sent.
        jwt.IncludeErrorDetails = false;
        jwt.SaveToken = false;
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidAlgorithms = TokenAlgorithms.Allowed,
            ValidTypes = ["JWT", "jwt"],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = settings.ClockSkew,
            // exp and nbf against the service's TimeProvider (the handler's own check reads the system clock).
            LifetimeValidator = (notBefore, expires, _, _) => Lifetime(notBefore, expires, time.GetUtcNow().UtcDateTime, settings.ClockSkew),
            ValidateIssuer = true,
            IssuerValidator = (issuer, _, _) => clients.ByIssuer(issuer) is not null
                ? issuer
                : throw new SecurityTokenInvalidIssuerException("The issuer is not a trusted CDS client."),
            // The expected aud is the URL of the endpoint called (or the client's fixed value), so
            // it is checked per call in TokenRules, with the request at hand.
            ValidateAudience = false,
            TryAllIssuerSigningKeys = false,
            IssuerSigningKeyResolver = (_, token, kid, _) =>
                clients.ByIssuer((token as JsonWebToken)?.Issuer) is { } client ? keys.Cached(client, kid) : [],
        };

        jwt.Events = new JwtBearerEvents
        {
            OnMessageReceived = async context =>
            {
                var header = context.Request.Headers.Authorization.ToString();
                if (header.Length == 0)
                {
                    return;
                }

                if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length > MaxTokenLength)
                {
                    Fail(context, RejectReasons.Malformed, null);
                    return;
                }

                var raw = header["Bearer ".Length..].Trim();
                JsonWebToken token;
                try
                {
                    token = new JsonWebToken(raw);
                }
                catch (ArgumentException)
                {
                    Fail(context, RejectReasons.Malformed, null);
                    return;
                }

                var reason = HeaderProblem(token, clients, out var client);
                if (reason is not null)
                {
                    Fail(context, reason, client);
                    return;
                }

                var found = await keys.EnsureAsync(client!, token.Kid, context.HttpContext.RequestAborted).ConfigureAwait(false);
                if (found != KeyLookup.Found)
                {
                    Fail(context, found == KeyLookup.Unknown ? RejectReasons.KeyUnknown : RejectReasons.KeysUnavailable, client);
                    return;
                }

                context.HttpContext.Items[s_clientItem] = client;
                context.Token = raw;
            },
            OnTokenValidated = async context =>
            {
                var token = (JsonWebToken)context.SecurityToken;
                var client = (CdsClient)context.HttpContext.Items[s_clientItem]!;
                var reason = TokenRules.Check(token, client, EndpointUrl(context.Request, cds.Value), time.GetUtcNow(), settings);
                if (reason is not null)
                {
                    Fail(context, reason, client);
                    return;
                }

                // Remembered as long as the token could still be accepted.
                var until = new DateTimeOffset(token.ValidTo, TimeSpan.Zero) + settings.ClockSkew;
                var verdict = await replay.ClaimAsync(client.Issuer, token.Id, until, context.HttpContext.RequestAborted).ConfigureAwait(false);
                if (verdict != ReplayVerdict.Fresh)
                {
                    Fail(context, verdict == ReplayVerdict.Replayed ? RejectReasons.Replayed : RejectReasons.ReplayCacheUnavailable, client);
                    return;
                }

                context.Principal = new ClaimsPrincipal(new ClaimsIdentity(
                    [new Claim(CdsClients.ClientClaim, client.Name), new Claim(JwtRegisteredClaimNames.Iss, client.Issuer)],
                    Scheme));
                Activity.Current?.SetTag("pttm.cds_client", client.Name);
            },
            OnAuthenticationFailed = context =>
            {
                Record(context.HttpContext, Reason(context.Exception), context.HttpContext.Items[s_clientItem] as CdsClient);
                return Task.CompletedTask;
            },
            OnChallenge = context =>
            {
                if (!context.HttpContext.Items.ContainsKey(s_reasonItem))
                {
                    Record(context.HttpContext, context.Request.Headers.Authorization.Count == 0 ? RejectReasons.Missing : RejectReasons.Invalid, null);
                }

                return Task.CompletedTask;
            },
        };

        void Fail(ResultContext<JwtBearerOptions> context, string reason, CdsClient? client)
        {
            Record(context.HttpContext, reason, client);
            context.Fail(reason);
        }

        void Record(HttpContext http, string reason, CdsClient? client)
        {
            if (!http.Items.TryAdd(s_reasonItem, reason))
            {
                return;
            }

            Log.TokenRejected(logger, reason, client?.Name ?? "unknown", http.Request.Path.Value ?? "/");
            CdsMetrics.RecordRejection(reason);
            Activity.Current?.SetTag("pttm.auth.rejected", reason);
        }
    }

    /// <summary>exp (required) not passed, nbf (optional) reached, each give or take the clock skew.</summary>
    private static bool Lifetime(DateTime? notBefore, DateTime? expires, DateTime now, TimeSpan skew)
    {
        if (expires is not { } exp)
        {
            throw new SecurityTokenNoExpirationException("The token has no exp.");
        }

        if (notBefore is { } nbf && nbf > now + skew)
        {
            throw new SecurityTokenNotYetValidException("The token is not valid yet (nbf).") { NotBefore = nbf };
        }

        if (exp < now - skew)
        {
            throw new SecurityTokenExpiredException("The token has expired (exp).") { Expires = exp };
        }

        return true;
    }

    /// <summary>What the header and issuer of an unverified token rule out before any key is looked for.</summary>
    private static string? HeaderProblem(JsonWebToken token, CdsClients clients, out CdsClient? client)
    {
        client = null;
        if (!TokenAlgorithms.Allowed.Contains(token.Alg, StringComparer.Ordinal))
        {
            return RejectReasons.Algorithm;
        }

        if (string.IsNullOrEmpty(token.Kid))
        {
            return RejectReasons.KidMissing;
        }

        if (!string.Equals(token.Typ, "JWT", StringComparison.OrdinalIgnoreCase))
        {
            return RejectReasons.Type;
        }

        client = clients.ByIssuer(token.Issuer);
        if (client is null)
        {
            return RejectReasons.Issuer;
        }

        // A jku is never fetched. It must name the client's own JWKS URL; with pinned inline keys it has no use.
        if (token.TryGetHeaderValue<string>("jku", out var jku) && client.JwksUrl is { } jwksUrl && !TokenRules.SameUrl(jku, jwksUrl.AbsoluteUri))
        {
            return RejectReasons.Jku;
        }

        return null;
    }

    private static string Reason(Exception exception) => exception switch
    {
        SecurityTokenExpiredException => RejectReasons.Expired,
        SecurityTokenNotYetValidException => RejectReasons.NotYetValid,
        SecurityTokenNoExpirationException => RejectReasons.LifetimeMissing,
        SecurityTokenSignatureKeyNotFoundException => RejectReasons.KeyUnknown,
        SecurityTokenInvalidSignatureException => RejectReasons.Signature,
        SecurityTokenInvalidIssuerException => RejectReasons.Issuer,
        SecurityTokenInvalidAlgorithmException => RejectReasons.Algorithm,
        SecurityTokenInvalidTypeException => RejectReasons.Type,
        SecurityTokenMalformedException => RejectReasons.Malformed,
        _ => RejectReasons.Invalid,
    };
}

/// <summary>A call is from an authenticated CDS client, or unauthenticated where that is allowed.</summary>
internal sealed class CdsClientRequirement : IAuthorizationRequirement;

/// <summary>
/// Lets an authenticated client through; lets an unauthenticated call through only when
/// <c>Cds:Authentication:Required</c> is false (Development) and the call sent no token at all
/// (a token that is sent is checked, and a bad one is refused). Such calls are warned about on the
/// first one and then at most once a minute, with the count since the last warning: a warning on
/// every call was half the console's output under load, and its lock showed in the profile
/// (bench/README.md). Every such call's span still says so.
/// </summary>
internal sealed class CdsClientAuthorizationHandler(IOptions<CdsOptions> options, ILogger<CdsClientAuthorizationHandler> logger, TimeProvider time)
    : AuthorizationHandler<CdsClientRequirement>
{
    private static readonly long s_warnEvery = TimeSpan.FromMinutes(1).Ticks;
    private long _nextWarning = long.MinValue;
    private long _unwarned;

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, CdsClientRequirement requirement)
    {
        if (context.User.HasClaim(c => c.Type == CdsClients.ClientClaim))
        {
            context.Succeed(requirement);
        }
        else if (!options.Value.Authentication.Required && context.Resource is HttpContext http && http.Request.Headers.Authorization.Count == 0)
        {
            Interlocked.Increment(ref _unwarned);
            var now = time.GetUtcNow().UtcTicks;
            var next = Interlocked.Read(ref _nextWarning);
            if (now >= next && Interlocked.CompareExchange(ref _nextWarning, now + s_warnEvery, next) == next)
            {
                Log.UnauthenticatedCall(logger, http.Request.Method, http.Request.Path.Value ?? "/", Interlocked.Exchange(ref _unwarned, 0));
            }

            Activity.Current?.SetTag("pttm.auth", "disabled");
            Activity.Current?.AddEvent(new ActivityEvent("unauthenticated call: Cds:Authentication:Required=false"));
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}

/// <summary>Ready only when every client's keys are at hand (inline, fetched, or cached from an earlier fetch).</summary>
internal sealed class ClientKeysHealthCheck(ClientKeyStore keys) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!keys.AllAvailable)
        {
            await keys.WarmAsync(cancellationToken).ConfigureAwait(false);
        }

        return keys.AllAvailable ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("a CDS client's key set could not be fetched");
    }
}

/// <summary>Ready only when the replay cache can be asked (Redis reachable, when configured).</summary>
internal sealed class ReplayCacheHealthCheck(IReplayCache cache) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await cache.IsAvailableAsync(cancellationToken).ConfigureAwait(false)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("the replay cache cannot be reached: calls are refused until it can");
}
