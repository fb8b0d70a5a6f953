using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PttmHooks.Service.Security;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace PttmHooks.Service.Tests.Security;

/// <summary>
/// Fetching a client's JWK Set (ehr-a's, from a WireMock.Net JWKS URL): once, then from the cache;
/// one refetch per interval for an unknown kid (key rotation); retries on the resilient path; the
/// previous set kept when a refresh fails; and what an unreachable key set does to calls and readiness.
/// </summary>
public sealed class KeySetTests
{
    private const string Discovery = "/cds-services";

    /// <summary>Retries 10 ms apart, so that a test of a failing key set does not wait on the default backoff.</summary>
    private static readonly Dictionary<string, string?> s_fastRetries = new() { ["Cds:Fallback:RetryDelay"] = "00:00:00.010" };

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Starts the service and waits until its start-up warm-up of the key sets has finished (fetched or failed).</summary>
    private static async Task WarmedUpAsync(TokenRig rig)
    {
        var warmup = rig.App.Services.GetServices<IHostedService>().OfType<ClientKeyWarmup>().Single();
        await warmup.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30), Cancel);
    }

    /// <summary>GET /cds-services with a token of ehr-a signed by <paramref name="key"/> (valid in every other way).</summary>
    private static Task<HttpResponseMessage> DiscoveryAsync(TokenRig rig, TestKey key) =>
        rig.SendAsync(Jws.Sign(TokenRig.Header(key), rig.Payload(TokenRig.IssuerA, Discovery), key), HttpMethod.Get, Discovery);

    private static void Advance(TokenRig rig, TimeSpan by) => rig.App.Time.SetUtcNow(rig.App.Time.GetUtcNow() + by);

    /// <summary>The reasons logged for refused calls (event 2301), in order.</summary>
    private static IReadOnlyList<string> Refusals(TokenRig rig) =>
        [.. rig.App.Logs.GetSnapshot().Where(r => r.Id.Id == 2301).Select(r => r.Message)];

    [Fact]
    public async Task The_key_set_is_fetched_once_at_start_up_and_then_served_from_the_cache()
    {
        using var rig = new TokenRig();
        await WarmedUpAsync(rig);
        Assert.Equal(1, rig.JwksFetches);

        for (var i = 0; i < 3; i++)
        {
            using var ec = await DiscoveryAsync(rig, TestKey.SpecExample);
            using var rsa = await DiscoveryAsync(rig, TestKey.Rsa);
            Assert.Equal(HttpStatusCode.OK, ec.StatusCode);
            Assert.Equal(HttpStatusCode.OK, rsa.StatusCode);
        }

        Assert.Equal(1, rig.JwksFetches);
        var fetched = Assert.Single(rig.App.Logs.GetSnapshot(), r => r.Id.Id == 2303);
        Assert.Equal(LogLevel.Information, fetched.Level);
        Assert.Contains("ehr-a fetched: 2 key(s)", fetched.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_first_calls_share_one_fetch()
    {
        using var rig = new TokenRig();
        _ = rig.App.Server;

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => DiscoveryAsync(rig, TestKey.SpecExample)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        foreach (var response in responses)
        {
            response.Dispose();
        }

        // The warm-up and the calls all wait on one fetch, whichever of them starts it.
        await WarmedUpAsync(rig);
        Assert.Equal(1, rig.JwksFetches);
    }

    [Fact]
    public async Task An_unknown_kid_is_refused_after_one_refetch_and_refetched_again_only_after_the_interval()
    {
        using var rig = new TokenRig();
        await WarmedUpAsync(rig);
        Assert.Equal(1, rig.JwksFetches);

        using var first = await DiscoveryAsync(rig, TestKey.NewEc("unknown-1"));
        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        Assert.Equal(2, rig.JwksFetches);
        Assert.Contains(": key-unknown (client ehr-a)", Assert.Single(Refusals(rig)), StringComparison.Ordinal);

        // Within Cds:Authentication:JwksRefetchInterval (1 minute): no fetch for another unknown kid.
        Advance(rig, TimeSpan.FromSeconds(50));
        using var second = await DiscoveryAsync(rig, TestKey.NewEc("unknown-2"));
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
        Assert.Equal(2, rig.JwksFetches);

        // Known keys are still served from the cache meanwhile.
        using var known = await DiscoveryAsync(rig, TestKey.SpecExample);
        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
        Assert.Equal(2, rig.JwksFetches);

        Advance(rig, TimeSpan.FromSeconds(11));
        using var third = await DiscoveryAsync(rig, TestKey.NewEc("unknown-3"));
        Assert.Equal(HttpStatusCode.Unauthorized, third.StatusCode);
        Assert.Equal(3, rig.JwksFetches);
        Assert.All(Refusals(rig), m => Assert.Contains(": key-unknown (client ehr-a)", m, StringComparison.Ordinal));
        Assert.Equal(3, Refusals(rig).Count);
    }

    [Fact]
    public async Task The_refetch_interval_is_a_setting()
    {
        using var rig = new TokenRig(new Dictionary<string, string?> { ["Cds:Authentication:JwksRefetchInterval"] = "00:10:00" });
        await WarmedUpAsync(rig);

        using var first = await DiscoveryAsync(rig, TestKey.NewEc("unknown-1"));
        Advance(rig, TimeSpan.FromMinutes(9));
        using var second = await DiscoveryAsync(rig, TestKey.NewEc("unknown-2"));
        Assert.Equal(2, rig.JwksFetches);

        Advance(rig, TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        using var third = await DiscoveryAsync(rig, TestKey.NewEc("unknown-3"));
        Assert.Equal(3, rig.JwksFetches);
    }

    [Fact]
    public async Task A_rotated_key_is_accepted_thanks_to_one_refetch()
    {
        using var rig = new TokenRig();
        await WarmedUpAsync(rig);
        Assert.Equal(1, rig.JwksFetches);
        var rotated = TestKey.NewEc("rotated-1");

        // ServeKeys also clears the JWKS server's request log: fetches count from 0 again.
        rig.ServeKeys(rotated, TestKey.Rsa);
        Assert.Equal(0, rig.JwksFetches);
        using var withNewKey = await DiscoveryAsync(rig, rotated);
        using var again = await DiscoveryAsync(rig, rotated);
        using var rsa = await DiscoveryAsync(rig, TestKey.Rsa);

        Assert.Equal(HttpStatusCode.OK, withNewKey.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, rsa.StatusCode);
        Assert.Equal(1, rig.JwksFetches);
        Assert.Contains(rig.App.Logs.GetSnapshot(), r => r.Id.Id == 2303 && r.Message.Contains("(unknown kid)", StringComparison.Ordinal));

        // The retired key went with the old set.
        using var retired = await DiscoveryAsync(rig, TestKey.SpecExample);
        Assert.Equal(HttpStatusCode.Unauthorized, retired.StatusCode);
        Assert.Contains(": key-unknown (client ehr-a)", Assert.Single(Refusals(rig)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_set_answering_500_once_is_retried_and_the_call_succeeds()
    {
        using var rig = new TokenRig(s_fastRetries);
        rig.Jwks.Reset();
        rig.Jwks.Given(Request.Create().WithPath(TokenRig.JwksPath).UsingGet()).InScenario("flaky").WillSetStateTo("up")
            .RespondWith(Response.Create().WithStatusCode(500).WithBody("busy"));
        rig.Jwks.Given(Request.Create().WithPath(TokenRig.JwksPath).UsingGet()).InScenario("flaky").WhenStateIs("up")
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody(TestKey.Jwks(TestKey.SpecExample, TestKey.Rsa)));

        using var response = await DiscoveryAsync(rig, TestKey.SpecExample);
        await WarmedUpAsync(rig);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var statuses = rig.Jwks.LogEntries.Select(e => e.ResponseMessage.StatusCode).ToList();
        Assert.Equal([500, 200], statuses.Select(s => Convert.ToInt32(s, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.DoesNotContain(rig.App.Logs.GetSnapshot(), r => r.Id.Id is 2301 or 2304);
    }

    [Fact]
    public async Task An_unreachable_key_set_refuses_calls_promptly_and_the_service_is_not_ready()
    {
        using var rig = new TokenRig(new Dictionary<string, string?>(s_fastRetries)
        {
            // Port 1 on loopback: nothing listens, the connection is refused at once.
            ["Cds:Clients:ehr-a:JwksUrl"] = "http://127.0.0.1:1/jwks.json",
        });
        await WarmedUpAsync(rig);

        var clock = Stopwatch.StartNew();
        using var response = await DiscoveryAsync(rig, TestKey.SpecExample);
        clock.Stop();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(ClientAuthenticationTests.UnauthorizedText, Assert.Single(await response.IssuesAsync()).Diagnostics);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"refused after {clock.Elapsed}");
        Assert.Contains(": keys-unavailable (client ehr-a)", Assert.Single(Refusals(rig)), StringComparison.Ordinal);
        Assert.Contains(rig.App.Logs.GetSnapshot(), r => r.Id.Id == 2304 && r.Level == LogLevel.Warning && r.Message.Contains("ehr-a", StringComparison.Ordinal));

        // The other client's inline keys do not depend on it.
        using var inline = await rig.SendAsync(rig.TokenB(Discovery), HttpMethod.Get, Discovery);
        Assert.Equal(HttpStatusCode.OK, inline.StatusCode);

        using var ready = await rig.SendAsync(null, HttpMethod.Get, "/health/ready");
        using var live = await rig.SendAsync(null, HttpMethod.Get, "/health/live");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        var body = await ready.Content.ReadAsStringAsync(Cancel);
        Assert.Equal("Unhealthy", body);
    }

    [Fact]
    public async Task Readiness_follows_the_key_set_once_it_can_be_fetched()
    {
        // No retries: two failed fetches (warm-up, first check) stay below the circuit breaker's
        // minimum throughput, so the recovered key set is fetched at once.
        using var rig = new TokenRig(new Dictionary<string, string?> { ["Cds:Fallback:MaxRetries"] = "0" });
        rig.Jwks.Reset();
        rig.Jwks.Given(Request.Create().WithPath(TokenRig.JwksPath).UsingGet()).RespondWith(Response.Create().WithStatusCode(503));
        await WarmedUpAsync(rig);

        using var notReady = await rig.SendAsync(null, HttpMethod.Get, "/health/ready");
        rig.ServeKeys(TestKey.SpecExample, TestKey.Rsa);
        using var ready = await rig.SendAsync(null, HttpMethod.Get, "/health/ready");
        using var call = await DiscoveryAsync(rig, TestKey.SpecExample);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, call.StatusCode);
        Assert.Equal(1, rig.JwksFetches);
    }

    [Fact]
    public async Task An_expired_cache_is_refetched_and_kept_when_the_refresh_fails()
    {
        using var rig = new TokenRig(s_fastRetries);
        await WarmedUpAsync(rig);
        using var cached = await DiscoveryAsync(rig, TestKey.SpecExample);
        Assert.Equal(HttpStatusCode.OK, cached.StatusCode);
        Assert.Equal(1, rig.JwksFetches);

        // Within Cds:Authentication:JwksCacheDuration (1 hour): no fetch.
        Advance(rig, TimeSpan.FromMinutes(59));
        using var stillCached = await DiscoveryAsync(rig, TestKey.SpecExample);
        Assert.Equal(1, rig.JwksFetches);

        Advance(rig, TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        using var refreshed = await DiscoveryAsync(rig, TestKey.SpecExample);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.Equal(2, rig.JwksFetches);

        // The key set now fails (retried, then given up); the set fetched before stays in use.
        rig.Jwks.Reset();
        rig.Jwks.Given(Request.Create().WithPath(TokenRig.JwksPath).UsingGet()).RespondWith(Response.Create().WithStatusCode(500));
        Advance(rig, TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        using var stale = await DiscoveryAsync(rig, TestKey.SpecExample);
        using var staleRsa = await DiscoveryAsync(rig, TestKey.Rsa);

        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal(HttpStatusCode.OK, staleRsa.StatusCode);
        Assert.NotEqual(0, rig.JwksFetches);
        var failed = Assert.Single(rig.App.Logs.GetSnapshot(), r => r.Id.Id == 2304);
        Assert.Equal(LogLevel.Warning, failed.Level);
        Assert.Contains("HTTP 500; keeping the previous set: True", failed.Message, StringComparison.Ordinal);
        Assert.Empty(Refusals(rig));
    }

    [Fact]
    public async Task A_failed_refresh_is_tried_again_after_the_refetch_interval_not_on_every_call()
    {
        using var rig = new TokenRig(new Dictionary<string, string?> { ["Cds:Fallback:MaxRetries"] = "0" });
        await WarmedUpAsync(rig);
        rig.Jwks.Reset();
        rig.Jwks.Given(Request.Create().WithPath(TokenRig.JwksPath).UsingGet()).RespondWith(Response.Create().WithStatusCode(502));
        Advance(rig, TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));

        for (var i = 0; i < 4; i++)
        {
            using var stale = await DiscoveryAsync(rig, TestKey.SpecExample);
            Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
            Advance(rig, TimeSpan.FromSeconds(10));
        }

        Assert.Equal(1, rig.JwksFetches);

        // Past Cds:Authentication:JwksRefetchInterval (1 minute) since the failure, and the key set is back.
        rig.ServeKeys(TestKey.SpecExample, TestKey.Rsa);
        Advance(rig, TimeSpan.FromSeconds(21));
        using var recovered = await DiscoveryAsync(rig, TestKey.SpecExample);
        using var cached = await DiscoveryAsync(rig, TestKey.SpecExample);

        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
        Assert.Equal(HttpStatusCode.OK, cached.StatusCode);
        Assert.Equal(1, rig.JwksFetches);
    }

    [Fact]
    public async Task Concurrent_calls_waiting_on_a_failing_refresh_take_its_answer_instead_of_fetching_in_turn()
    {
        using var rig = new TokenRig(new Dictionary<string, string?> { ["Cds:Fallback:MaxRetries"] = "0" });
        await WarmedUpAsync(rig);
        rig.Jwks.Reset();
        rig.Jwks.Given(Request.Create().WithPath(TokenRig.JwksPath).UsingGet())
            .RespondWith(Response.Create().WithStatusCode(503).WithDelay(TimeSpan.FromMilliseconds(500)));
        Advance(rig, TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        var tokens = Enumerable.Range(0, 6)
            .Select(_ => Jws.Sign(TokenRig.Header(TestKey.SpecExample), rig.Payload(TokenRig.IssuerA, Discovery), TestKey.SpecExample))
            .ToList();

        var responses = await Task.WhenAll(tokens.Select(t => rig.SendAsync(t, HttpMethod.Get, Discovery)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        foreach (var response in responses)
        {
            response.Dispose();
        }

        Assert.Equal(1, rig.JwksFetches);
    }
}
