using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Security;
using PttmHooks.Service.Tests.Support;
using StackExchange.Redis;

namespace PttmHooks.Service.Tests.Security;

/// <summary>
/// A client token is used once (CDS Hooks 2.0: <c>jti</c>): the in-memory replay cache of one
/// replica, the Redis cache shared by replicas (a real <c>redis-server</c>), and what happens
/// when Redis cannot be reached (every call refused, the replica not ready).
/// </summary>
public sealed class ReplayTests
{
    private const string OtherIssuer = "https://ehr-other.example.org";

    /// <summary>The "fail closed promptly" limit: the service's Redis timeouts are 1-2 s; this is generous for a loaded CI machine.</summary>
    private static readonly TimeSpan s_prompt = TimeSpan.FromSeconds(5);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_token_is_accepted_once_and_the_same_token_again_is_401_logged_as_replayed()
    {
        using var rig = new TokenRig();
        var request = rig.App.CaseRequest(TokenRig.CardCase);
        var token = rig.TokenA();

        using var first = await rig.PostHookAsync(token, request);
        using var again = await rig.PostHookAsync(token, request);
        using var otherJti = await rig.PostHookAsync(rig.TokenA(), request);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, otherJti.StatusCode);
        var record = Assert.Single(rig.App.Logs.GetSnapshot(), r => r.Id.Id == 2301);
        Assert.Equal($"CDS client call to {Http.ServicePath} refused (401): replayed (client ehr-a)", record.Message);
        Assert.DoesNotContain("replayed", await again.TextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_jti_used_at_one_endpoint_cannot_be_used_again_at_another()
    {
        using var rig = new TokenRig();
        var request = rig.App.CaseRequest(TokenRig.CardCase);
        var service = rig.Payload(TokenRig.IssuerA);
        var discovery = rig.Payload(TokenRig.IssuerA, "/cds-services");
        discovery["jti"] = (string)service["jti"]!;

        using var first = await rig.PostHookAsync(Jws.Sign(TokenRig.Header(TestKey.SpecExample), service, TestKey.SpecExample), request);
        using var second = await rig.SendAsync(Jws.Sign(TokenRig.Header(TestKey.SpecExample), discovery, TestKey.SpecExample), HttpMethod.Get, "/cds-services");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
        Assert.Contains(rig.App.Logs.GetSnapshot(), r => r.Id.Id == 2301 && r.Message.Contains(": replayed (client ehr-a)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Two_clients_may_use_the_same_jti()
    {
        using var rig = new TokenRig();
        var request = rig.App.CaseRequest(TokenRig.CardCase);
        var payloadA = rig.Payload(TokenRig.IssuerA);
        var headerB = TokenRig.Header(TestKey.Sandbox);
        var payloadB = rig.Payload(TokenRig.IssuerB);
        payloadB["jti"] = (string)payloadA["jti"]!;

        using var fromA = await rig.PostHookAsync(Jws.Sign(TokenRig.Header(TestKey.SpecExample), payloadA, TestKey.SpecExample), request);
        using var fromB = await rig.PostHookAsync(Jws.Sign(headerB, payloadB, TestKey.Sandbox), request);

        Assert.Equal(HttpStatusCode.OK, fromA.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fromB.StatusCode);
    }

    [Fact]
    public async Task With_Redis_a_token_accepted_by_one_replica_is_refused_by_another()
    {
        using var redis = RedisServer.Start();
        var shared = new Dictionary<string, string?> { ["Cds:ReplayCache:Redis"] = redis.ConnectionString };
        using var replicaA = new TokenRig(shared);
        using var replicaB = new TokenRig(shared);
        var request = replicaA.App.CaseRequest(TokenRig.CardCase);
        replicaB.App.Time.SetUtcNow(replicaA.App.Time.GetUtcNow());
        var token = replicaA.TokenA();

        using var atA = await replicaA.PostHookAsync(token, request);
        using var atB = await replicaB.PostHookAsync(token, request);
        using var freshAtB = await replicaB.PostHookAsync(replicaB.TokenA(), request);
        using var freshAgainAtA = await replicaA.PostHookAsync(replicaB.TokenA(), request);

        Assert.Equal(HttpStatusCode.OK, atA.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, atB.StatusCode);
        Assert.Equal(HttpStatusCode.OK, freshAtB.StatusCode);
        Assert.Equal(HttpStatusCode.OK, freshAgainAtA.StatusCode);
        var record = Assert.Single(replicaB.App.Logs.GetSnapshot(), r => r.Id.Id == 2301);
        Assert.Contains(": replayed (client ehr-a)", record.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(replicaA.App.Logs.GetSnapshot(), r => r.Id.Id == 2301);
    }

    [Fact]
    public async Task Redis_holds_a_hash_of_each_jti_until_the_token_expires_not_the_jti_itself()
    {
        using var redis = RedisServer.Start();
        using var rig = new TokenRig(new Dictionary<string, string?> { ["Cds:ReplayCache:Redis"] = redis.ConnectionString });
        var request = rig.App.CaseRequest(TokenRig.CardCase);
        var payload = rig.Payload(TokenRig.IssuerA);
        var jti = (string)payload["jti"]!;

        using var response = await rig.PostHookAsync(Jws.Sign(TokenRig.Header(TestKey.SpecExample), payload, TestKey.SpecExample), request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var keys = new List<RedisKey>();
        await foreach (var key in connection.GetServer(connection.GetEndPoints()[0]).KeysAsync(pattern: "*"))
        {
            keys.Add(key);
        }

        var stored = Assert.Single(keys);
        Assert.StartsWith("pttm:jti:", stored.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(jti, stored.ToString(), StringComparison.OrdinalIgnoreCase);
        // exp is 5 minutes after iat (the rig's clock); the entry lives until exp + 1 minute's clock skew.
        var ttl = await connection.GetDatabase().KeyTimeToLiveAsync(stored);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(6));
    }

    [Fact]
    public async Task Two_Redis_caches_claiming_one_jti_at_once_let_exactly_one_claim_through()
    {
        using var redis = RedisServer.Start();
        var options = Options.Create(new CdsOptions { ReplayCache = { Redis = redis.ConnectionString } });
        var clock = new TestClock();
        await using var replicaA = new RedisReplayCache(options, clock, NullLogger<RedisReplayCache>.Instance);
        await using var replicaB = new RedisReplayCache(options, clock, NullLogger<RedisReplayCache>.Instance);
        var until = clock.GetUtcNow().AddMinutes(6);

        var claims = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            (i % 2 == 0 ? replicaA : replicaB).ClaimAsync(TokenRig.IssuerA, "one-jti", until, Cancel).AsTask()));

        Assert.Equal(1, claims.Count(v => v == ReplayVerdict.Fresh));
        Assert.Equal(39, claims.Count(v => v == ReplayVerdict.Replayed));
    }

    [Fact]
    public async Task With_Redis_up_and_the_JWKS_reachable_the_service_is_ready_without_a_token()
    {
        using var redis = RedisServer.Start();
        using var rig = new TokenRig(new Dictionary<string, string?> { ["Cds:ReplayCache:Redis"] = redis.ConnectionString });

        using var ready = await rig.App.GetAsync("/health/ready");
        using var live = await rig.App.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task When_Redis_goes_down_a_valid_token_is_refused_promptly_and_the_service_is_not_ready_but_live()
    {
        using var redis = RedisServer.Start();
        using var rig = new TokenRig(new Dictionary<string, string?> { ["Cds:ReplayCache:Redis"] = redis.ConnectionString });
        var request = rig.App.CaseRequest(TokenRig.CardCase);
        using var before = await rig.PostHookAsync(rig.TokenA(), request);
        using var readyBefore = await rig.App.GetAsync("/health/ready");

        redis.Stop();
        Assert.False(redis.Answers());
        var clock = Stopwatch.StartNew();
        using var refused = await rig.PostHookAsync(rig.TokenA(), request);
        var elapsed = clock.Elapsed;
        using var ready = await rig.App.GetAsync("/health/ready");
        using var live = await rig.App.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.OK, readyBefore.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.True(elapsed < s_prompt, $"the refusal took {elapsed.TotalSeconds:F1} s");
        var record = Assert.Single(rig.App.Logs.GetSnapshot(), r => r.Id.Id == 2301);
        Assert.Equal($"CDS client call to {Http.ServicePath} refused (401): replay-cache-unavailable (client ehr-a)", record.Message);
        Assert.Contains(rig.App.Logs.GetSnapshot(), r => r.Id.Id == 2305);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task When_Redis_comes_back_calls_are_accepted_again_without_a_restart()
    {
        using var redis = RedisServer.Start();
        using var rig = new TokenRig(new Dictionary<string, string?> { ["Cds:ReplayCache:Redis"] = redis.ConnectionString });
        var request = rig.App.CaseRequest(TokenRig.CardCase);
        using var before = await rig.PostHookAsync(rig.TokenA(), request);
        redis.Stop();
        using var down = await rig.PostHookAsync(rig.TokenA(), request);

        redis.Restart();
        // The client reconnects on its own schedule (a heartbeat a second, then backoff): give it a while.
        var status = HttpStatusCode.Unauthorized;
        var clock = Stopwatch.StartNew();
        while (status != HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(250, Cancel);
            using var after = await rig.PostHookAsync(rig.TokenA(), request);
            status = after.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, down.StatusCode);
        using var ready = await rig.App.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task With_nothing_listening_at_the_Redis_address_every_call_is_refused_promptly_and_not_ready()
    {
        var port = ClosedPort();
        using var rig = new TokenRig(new Dictionary<string, string?> { ["Cds:ReplayCache:Redis"] = $"127.0.0.1:{port}" });
        var request = rig.App.CaseRequest(TokenRig.CardCase);
        // The host starts on its first request: start it untimed (liveness runs no check, so
        // Redis is not touched), so that the clock measures the refusal, not the start.
        using (var started = await rig.App.GetAsync("/health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        }

        var clock = Stopwatch.StartNew();
        using var first = await rig.PostHookAsync(rig.TokenA(), request);
        var firstTook = clock.Elapsed;
        clock.Restart();
        using var second = await rig.PostHookAsync(rig.TokenA(), request);
        var secondTook = clock.Elapsed;
        using var ready = await rig.App.GetAsync("/health/ready");
        using var live = await rig.App.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
        Assert.True(firstTook < s_prompt, $"the first refusal took {firstTook.TotalSeconds:F1} s");
        Assert.True(secondTook < s_prompt, $"the second refusal took {secondTook.TotalSeconds:F1} s");
        var records = rig.App.Logs.GetSnapshot().Where(r => r.Id.Id == 2301).ToList();
        Assert.Equal(2, records.Count);
        Assert.All(records, r => Assert.EndsWith(": replay-cache-unavailable (client ehr-a)", r.Message, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        // No detail for an unauthenticated caller: not what is down, nor where it is.
        Assert.DoesNotContain("redis", await ready.TextAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(port.ToString(System.Globalization.CultureInfo.InvariantCulture), await ready.TextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_memory_cache_lets_a_jti_be_claimed_again_only_after_its_expiry()
    {
        var clock = new TestClock();
        var cache = new MemoryReplayCache(clock);
        var until = clock.GetUtcNow().AddMinutes(6);

        var first = await cache.ClaimAsync(TokenRig.IssuerA, "jti-1", until, Cancel);
        var again = await cache.ClaimAsync(TokenRig.IssuerA, "jti-1", until, Cancel);
        clock.SetUtcNow(until.AddSeconds(-1));
        var justBefore = await cache.ClaimAsync(TokenRig.IssuerA, "jti-1", until, Cancel);
        clock.SetUtcNow(until.AddSeconds(1));
        var after = await cache.ClaimAsync(TokenRig.IssuerA, "jti-1", until.AddMinutes(6), Cancel);
        var afterAgain = await cache.ClaimAsync(TokenRig.IssuerA, "jti-1", until.AddMinutes(6), Cancel);

        Assert.Equal(ReplayVerdict.Fresh, first);
        Assert.Equal(ReplayVerdict.Replayed, again);
        Assert.Equal(ReplayVerdict.Replayed, justBefore);
        Assert.Equal(ReplayVerdict.Fresh, after);
        Assert.Equal(ReplayVerdict.Replayed, afterAgain);
    }

    [Fact]
    public async Task The_memory_cache_keeps_issuers_apart_and_reads_an_issuer_with_a_trailing_slash_as_the_same()
    {
        var clock = new TestClock();
        var cache = new MemoryReplayCache(clock);
        var until = clock.GetUtcNow().AddMinutes(6);

        var a = await cache.ClaimAsync(TokenRig.IssuerA, "shared-jti", until, Cancel);
        var other = await cache.ClaimAsync(OtherIssuer, "shared-jti", until, Cancel);
        var aWithSlash = await cache.ClaimAsync(TokenRig.IssuerA + "/", "shared-jti", until, Cancel);
        var otherAgain = await cache.ClaimAsync(OtherIssuer, "shared-jti", until, Cancel);

        Assert.Equal(ReplayVerdict.Fresh, a);
        Assert.Equal(ReplayVerdict.Fresh, other);
        Assert.Equal(ReplayVerdict.Replayed, aWithSlash);
        Assert.Equal(ReplayVerdict.Replayed, otherAgain);
    }

    [Fact]
    public async Task The_memory_cache_forgets_expired_jtis_as_new_ones_arrive()
    {
        var clock = new TestClock();
        var cache = new MemoryReplayCache(clock);
        var until = clock.GetUtcNow().AddMinutes(6);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(ReplayVerdict.Fresh, await cache.ClaimAsync(TokenRig.IssuerA, $"jti-{i}", until, Cancel));
        }

        var whileAlive = cache.Count;
        clock.SetUtcNow(until.AddMinutes(1));
        Assert.Equal(ReplayVerdict.Fresh, await cache.ClaimAsync(TokenRig.IssuerA, "late", until.AddMinutes(7), Cancel));

        Assert.Equal(100, whileAlive);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task The_memory_cache_lets_exactly_one_of_many_simultaneous_claims_through()
    {
        var clock = new TestClock();
        var cache = new MemoryReplayCache(clock);
        var until = clock.GetUtcNow().AddMinutes(6);

        var claims = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ =>
            Task.Run(() => cache.ClaimAsync(TokenRig.IssuerA, "raced", until, Cancel).AsTask(), Cancel)));

        Assert.Equal(1, claims.Count(v => v == ReplayVerdict.Fresh));
    }

    /// <summary>A loopback port nothing listens on (it was free a moment ago).</summary>
    private static int ClosedPort()
    {
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
