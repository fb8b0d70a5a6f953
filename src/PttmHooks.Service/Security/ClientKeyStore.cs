using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Polly.CircuitBreaker;
using Polly.Timeout;
using PttmHooks.Reading.Fhir;
using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Telemetry;

namespace PttmHooks.Service.Security;

/// <summary>
/// Fetches a client's JWK Set over the service's one outbound HTTP path (the same retries,
/// circuit breaker per host and timeouts as FHIR queries; no redirects).
/// </summary>
public sealed class JwksClient(HttpClient http)
{
    /// <summary>The largest JWK Set read (a set of a few keys is a few KB).</summary>
    public const int MaxBytes = 256 * 1024;

    private static readonly MediaTypeWithQualityHeaderValue s_json = new("application/json");

    /// <summary>GETs and reads the JWK Set at <paramref name="url"/>; never throws for a failure it can name.</summary>
    public async Task<(IReadOnlyList<JsonWebKey> Keys, string? Failure)> GetAsync(Uri url, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(s_json);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return ([], $"HTTP {(int)response.StatusCode}");
            }

            if (response.Content.Headers.ContentLength > MaxBytes)
            {
                return ([], $"larger than {MaxBytes} bytes");
            }

            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using var limited = new FhirClient.LimitedStream(stream, MaxBytes);
            using var reader = new StreamReader(limited);
            var json = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            var (keys, problem) = ClientKeys.Parse(json);
            return problem is null ? (keys, null) : ([], "the document " + problem);
        }
        catch (BrokenCircuitException)
        {
            return ([], "circuit open after repeated failures");
        }
        catch (TimeoutRejectedException)
        {
            return ([], "timeout");
        }
        catch (HttpRequestException e)
        {
            return ([], $"connection failed ({e.HttpRequestError})");
        }
        catch (FhirClient.LimitedStream.TooLargeException)
        {
            return ([], $"larger than {MaxBytes} bytes");
        }
    }
}

/// <summary>What the key store knows of a token's key.</summary>
public enum KeyLookup
{
    /// <summary>The client has a key with the token's <c>kid</c>.</summary>
    Found,

    /// <summary>The client's keys are known, and none has that <c>kid</c> (after at most one refetch).</summary>
    Unknown,

    /// <summary>The client's key set could not be had (never fetched successfully).</summary>
    Unavailable,
}

/// <summary>
/// Every client's public keys: inline sets as configured; JWKS URLs fetched on first need (and
/// warmed at start-up), kept for <see cref="CdsAuthenticationOptions.JwksCacheDuration"/>, the
/// previous set kept when a refresh fails (and that refresh tried again only after
/// <see cref="CdsAuthenticationOptions.JwksRefetchInterval"/>), and refetched at most once per
/// <see cref="CdsAuthenticationOptions.JwksRefetchInterval"/> when a token names an unknown <c>kid</c>.
/// Calls that wait while a fetch is under way take its answer rather than fetch again.
/// </summary>
public sealed class ClientKeyStore
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly IHttpClientFactory _httpClients;
    private readonly ITypedHttpClientFactory<JwksClient> _jwksClients;
    private readonly CdsAuthenticationOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ClientKeyStore> _logger;

    /// <summary>Creates the store; nothing is fetched until asked.</summary>
    public ClientKeyStore(
        CdsClients clients,
        IHttpClientFactory httpClients,
        ITypedHttpClientFactory<JwksClient> jwksClients,
        IOptions<CdsOptions> options,
        TimeProvider time,
        ILogger<ClientKeyStore> logger)
    {
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(options);
        _httpClients = httpClients;
        _jwksClients = jwksClients;
        _options = options.Value.Authentication;
        _time = time;
        _logger = logger;
        foreach (var client in clients.All)
        {
            _entries[client.Name] = client.JwksUrl is null ? Entry.Pinned(client.InlineKeys) : new Entry();
        }

        Clients = clients;
    }

    /// <summary>The clients whose keys this store holds.</summary>
    public CdsClients Clients { get; }

    /// <summary>The keys of <paramref name="client"/> with <paramref name="kid"/>, from what is cached (for the token handler's key resolver).</summary>
    public IReadOnlyList<SecurityKey> Cached(CdsClient client, string? kid)
    {
        ArgumentNullException.ThrowIfNull(client);
        return _entries.TryGetValue(client.Name, out var entry) && entry.Keys is { } keys
            ? [.. keys.Where(k => string.Equals(k.Kid, kid, StringComparison.Ordinal))]
            : [];
    }

    /// <summary>True when every client's keys are at hand (inline, or fetched at least once); clients with keys on demand aside.</summary>
    public bool AllAvailable => Clients.All.Where(c => !c.KeysOnDemand).All(c => _entries[c.Name].Keys is not null);

    /// <summary>
    /// Makes sure the key <paramref name="kid"/> of <paramref name="client"/> is cached if it can
    /// be: fetches a set never fetched or older than the cache duration, and refetches once per
    /// interval for an unknown <c>kid</c>.
    /// </summary>
    public async ValueTask<KeyLookup> EnsureAsync(CdsClient client, string kid, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var entry = _entries[client.Name];
        if (client.JwksUrl is not { } url)
        {
            return entry.Has(kid) ? KeyLookup.Found : KeyLookup.Unknown;
        }

        var now = _time.GetUtcNow();
        if (RefreshDue(entry, now))
        {
            await RefreshAsync(client, url, entry, unknownKid: false, cancellationToken).ConfigureAwait(false);
        }

        if (entry.Has(kid))
        {
            return KeyLookup.Found;
        }

        if (KidRefetchDue(entry, now))
        {
            await RefreshAsync(client, url, entry, unknownKid: true, cancellationToken).ConfigureAwait(false);
        }

        return entry.Has(kid) ? KeyLookup.Found : entry.Keys is null ? KeyLookup.Unavailable : KeyLookup.Unknown;
    }

    /// <summary>Fetches every JWKS URL client's keys once (the start-up warm-up), except those on demand; failures are logged and retried on first need.</summary>
    public async Task WarmAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(Clients.All
            .Where(c => c.JwksUrl is not null && !c.KeysOnDemand)
            .Select(c => RefreshAsync(c, c.JwksUrl!, _entries[c.Name], unknownKid: false, cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>
    /// A fetch is due when the set was never had, or when it is older than the cache duration and
    /// no refresh of it has failed within the refetch interval (a failing key set is not asked
    /// again on every call, each one waiting for its retries).
    /// </summary>
    private bool RefreshDue(Entry entry, DateTimeOffset now) =>
        entry.Keys is null
        || (now - entry.FetchedAt >= _options.JwksCacheDuration && now - entry.LastFailure >= _options.JwksRefetchInterval);

    private bool KidRefetchDue(Entry entry, DateTimeOffset now) =>
        entry.Keys is not null && now - entry.LastKidRefetch >= _options.JwksRefetchInterval;

    private async Task RefreshAsync(CdsClient client, Uri url, Entry entry, bool unknownKid, CancellationToken cancellationToken)
    {
        var calledAt = _time.GetUtcNow();
        var seen = entry.Completed;
        await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another call fetched while this one waited (or since it looked): its answer, success
            // or failure, is this one's.
            if (entry.Completed != seen || !(unknownKid ? KidRefetchDue(entry, calledAt) : RefreshDue(entry, calledAt)))
            {
                return;
            }

            if (unknownKid)
            {
                entry.LastKidRefetch = calledAt;
            }

            using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            budget.CancelAfter(_options.JwksTimeout);
            var jwks = _jwksClients.CreateClient(_httpClients.CreateClient(nameof(JwksClient)));
            (IReadOnlyList<JsonWebKey> Keys, string? Failure) result;
            try
            {
                result = await jwks.GetAsync(url, budget.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                result = ([], $"no answer within {_options.JwksTimeout.TotalSeconds:0.#} s");
            }

            entry.Completed++;
            if (result.Failure is { } failure)
            {
                entry.LastFailure = _time.GetUtcNow();
                Log.KeysUnavailable(_logger, client.Name, failure, entry.Keys is not null);
                CdsMetrics.RecordJwksFetch(client.Name, "failure");
                return;
            }

            entry.Keys = result.Keys;
            entry.FetchedAt = _time.GetUtcNow();
            Log.KeysFetched(_logger, client.Name, result.Keys.Count, unknownKid ? "unknown kid" : "cache");
            CdsMetrics.RecordJwksFetch(client.Name, "success");
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    private sealed class Entry
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public IReadOnlyList<JsonWebKey>? Keys { get; set; }

        public DateTimeOffset FetchedAt { get; set; }

        public DateTimeOffset LastKidRefetch { get; set; }

        /// <summary>When a fetch last failed.</summary>
        public DateTimeOffset LastFailure { get; set; }

        /// <summary>Fetches finished, successful or not (changed under <see cref="Gate"/> only).</summary>
        public int Completed { get; set; }

        public bool Has(string kid) => Keys?.Any(k => string.Equals(k.Kid, kid, StringComparison.Ordinal)) == true;

        public static Entry Pinned(IReadOnlyList<JsonWebKey> keys) => new() { Keys = keys, FetchedAt = DateTimeOffset.MaxValue };
    }
}

/// <summary>Fetches the clients' key sets once at start-up, so that the first calls do not wait for them.</summary>
internal sealed class ClientKeyWarmup(ClientKeyStore keys) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => keys.WarmAsync(stoppingToken);
}
