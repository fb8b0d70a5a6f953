using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Telemetry;
using StackExchange.Redis;

namespace PttmHooks.Service.Security;

/// <summary>The answer of a replay cache to a token's <c>jti</c>.</summary>
public enum ReplayVerdict
{
    /// <summary>First use: the <c>jti</c> is now remembered until the token expires.</summary>
    Fresh,

    /// <summary>The <c>jti</c> was used before and the token has not expired: a replay.</summary>
    Replayed,

    /// <summary>The cache could not be asked (Redis down): the call is refused, never let through.</summary>
    Unavailable,
}

/// <summary>Remembers every accepted token's <c>jti</c> until the token expires.</summary>
public interface IReplayCache
{
    /// <summary>Claims <paramref name="jti"/> of <paramref name="issuer"/> until <paramref name="until"/>, atomically.</summary>
    ValueTask<ReplayVerdict> ClaimAsync(string issuer, string jti, DateTimeOffset until, CancellationToken cancellationToken);

    /// <summary>True when the cache can be asked now (for the readiness check).</summary>
    ValueTask<bool> IsAvailableAsync(CancellationToken cancellationToken);
}

/// <summary>Keys of the replay cache: a hash of issuer and <c>jti</c>, so that no token value is stored as given.</summary>
internal static class ReplayKeys
{
    public static string Of(string issuer, string jti) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(CdsClients.NormaliseIssuer(issuer) + "\n" + jti)));
}

/// <summary>
/// The replay cache of one process: right for a single replica. Expired entries are swept as
/// entries are added, so memory stays proportional to the tokens alive (at most
/// <see cref="CdsAuthenticationOptions.MaxLifetime"/> of traffic, about 100 bytes per token).
/// </summary>
public sealed class MemoryReplayCache(TimeProvider time) : IReplayCache
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private long _nextSweep = time.GetUtcNow().UtcTicks;

    /// <inheritdoc />
    public ValueTask<ReplayVerdict> ClaimAsync(string issuer, string jti, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        Sweep(now);
        var key = ReplayKeys.Of(issuer, jti);
        while (true)
        {
            if (_seen.TryAdd(key, until))
            {
                return ValueTask.FromResult(ReplayVerdict.Fresh);
            }

            if (!_seen.TryGetValue(key, out var held))
            {
                continue;
            }

            if (held > now)
            {
                return ValueTask.FromResult(ReplayVerdict.Replayed);
            }

            // Remembered past its token's expiry and not yet swept: claim it again.
            if (_seen.TryUpdate(key, until, held))
            {
                return ValueTask.FromResult(ReplayVerdict.Fresh);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> IsAvailableAsync(CancellationToken cancellationToken) => ValueTask.FromResult(true);

    /// <summary>How many <c>jti</c> are remembered (tests).</summary>
    internal int Count => _seen.Count;

    private void Sweep(DateTimeOffset now)
    {
        var next = Interlocked.Read(ref _nextSweep);
        if (now.UtcTicks < next || Interlocked.CompareExchange(ref _nextSweep, now.AddSeconds(30).UtcTicks, next) != next)
        {
            return;
        }

        foreach (var (key, until) in _seen)
        {
            if (until <= now)
            {
                _seen.TryRemove(new KeyValuePair<string, DateTimeOffset>(key, until));
            }
        }
    }
}

/// <summary>
/// The replay cache shared by replicas, in Redis: one <c>SET key 1 PX ttl NX</c> per token, which
/// is atomic across replicas (a read-then-write through <c>IDistributedCache</c> would let two
/// replicas accept the same token at once). When Redis cannot be reached within its timeouts the
/// verdict is <see cref="ReplayVerdict.Unavailable"/>: the call is refused.
/// </summary>
public sealed class RedisReplayCache : IReplayCache, IAsyncDisposable
{
    private const string Prefix = "pttm:jti:";
    private readonly ConfigurationOptions _configuration;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisReplayCache> _logger;
    private readonly Lock _connecting = new();
    private Task<ConnectionMultiplexer>? _connection;

    /// <summary>Creates the cache; the connection opens on first use and reconnects by itself.</summary>
    public RedisReplayCache(IOptions<CdsOptions> options, TimeProvider time, ILogger<RedisReplayCache> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var text = options.Value.ReplayCache.Redis!;
        _configuration = ConfigurationOptions.Parse(text);
        _configuration.AbortOnConnectFail = false;
        // A call must fail fast, not queue, while Redis is unreachable: fail closed within about a second.
        _configuration.BacklogPolicy = BacklogPolicy.FailFast;
        if (!Sets(text, "connectTimeout"))
        {
            _configuration.ConnectTimeout = 1000;
        }

        if (!Sets(text, "asyncTimeout"))
        {
            _configuration.AsyncTimeout = 1000;
        }

        // The first connection is made on the first call. With the default of 3 connect retries,
        // a Redis that refuses connections holds that call (and the readiness check) 4-8 s before
        // it is refused; one attempt fails it at once. Reconnection afterwards is not affected.
        if (!Sets(text, "connectRetry"))
        {
            _configuration.ConnectRetry = 1;
        }

        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// The longest one step (connecting, or one command) may take before the call is refused: the
    /// client's own timeouts are enforced by its heartbeat, once a second, and a busy machine was
    /// seen to let a refusal take 14 s; this bound is kept by a timer of its own.
    /// </summary>
    private TimeSpan Deadline => TimeSpan.FromMilliseconds(_configuration.ConnectTimeout + _configuration.AsyncTimeout);

    /// <summary>True when the connection string gives <paramref name="option"/> itself (<c>option=value</c>).</summary>
    private static bool Sets(string connectionString, string option) =>
        connectionString.Split(',').Any(part => part.Trim().StartsWith(option + "=", StringComparison.OrdinalIgnoreCase));

    /// <summary>The shared connection; a connection attempt that failed outright is started again by the next call.</summary>
    private Task<ConnectionMultiplexer> ConnectionAsync()
    {
        lock (_connecting)
        {
            if (_connection is null || _connection.IsFaulted || _connection.IsCanceled)
            {
                _connection = ConnectionMultiplexer.ConnectAsync(_configuration);
            }

            return _connection;
        }
    }

    /// <inheritdoc />
    public async ValueTask<ReplayVerdict> ClaimAsync(string issuer, string jti, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var ttl = until - _time.GetUtcNow();
        if (ttl <= TimeSpan.Zero)
        {
            ttl = TimeSpan.FromSeconds(1);
        }

        try
        {
            var redis = await ConnectionAsync().WaitAsync(Deadline, cancellationToken).ConfigureAwait(false);
            var set = await redis.GetDatabase().StringSetAsync(Prefix + ReplayKeys.Of(issuer, jti), "1", ttl, When.NotExists)
                .WaitAsync(Deadline, cancellationToken).ConfigureAwait(false);
            return set ? ReplayVerdict.Fresh : ReplayVerdict.Replayed;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            Log.ReplayCacheUnavailable(_logger, e.GetType().Name);
            return ReplayVerdict.Unavailable;
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> IsAvailableAsync(CancellationToken cancellationToken)
    {
        try
        {
            var redis = await ConnectionAsync().WaitAsync(Deadline, cancellationToken).ConfigureAwait(false);
            await redis.GetDatabase().PingAsync().WaitAsync(Deadline, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_connection is { IsCompletedSuccessfully: true } connection)
        {
            await (await connection.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
        }
    }
}
