using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using PttmHooks.Service.Tests.Fallback;
using PttmHooks.Service.Tests.Support;
using WireMock;
using WireMock.ResponseBuilders;
using WireMock.Types;
using WireMock.Util;

namespace PttmHooks.Service.Tests.Telemetry;

/// <summary>
/// Stopping the service (SIGTERM: the host's StopAsync) on a real Kestrel: readiness turns 503 at
/// once, the service keeps listening for the drain delay, and a hook call in flight, waiting on a
/// slow FHIR server, still gets its answer.
/// </summary>
public sealed class GracefulShutdownTests
{
    private const string CardCase = "seed000-breast-perfusion-defects";

    [Fact]
    public async Task A_hook_in_flight_gets_its_answer_while_readiness_answers_503_during_the_stop()
    {
        var slow = TimeSpan.FromSeconds(5);
        using var rig = new FallbackRig(new Dictionary<string, string?>
        {
            ["Cds:ShutdownDelay"] = "00:00:02",
            ["Cds:ShutdownTimeout"] = "00:00:30",
            ["Cds:Fallback:AttemptTimeout"] = "00:00:08",
            ["Cds:Fallback:Budget"] = "00:00:10",
        });
        rig.App.UseKestrel(0);
        var (request, omitted) = rig.CaseRequest(CardCase, "conditions");
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var conditions = omitted["conditions"]!.ToJsonString();
        rig.Search("Condition").RespondWith(Response.Create().WithCallback(_ =>
        {
            arrived.TrySetResult();
            Thread.Sleep(slow);
            return new ResponseMessage
            {
                StatusCode = 200,
                Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/fhir+json") },
                BodyData = new BodyData { BodyAsString = conditions, DetectedBodyType = BodyType.String, Encoding = Encoding.UTF8 },
            };
        }));
        Uri baseAddress;
        using (var factoryClient = rig.App.CreateClient())
        {
            // A real port (TestServer's clients have http://localhost/); the factory disposes its own
            // clients when it stops, so the calls go through clients of the test's own.
            baseAddress = factoryClient.BaseAddress!;
            Assert.NotEqual(80, baseAddress.Port);
        }

        using var client = new HttpClient { BaseAddress = baseAddress };
        using var probe = new HttpClient { BaseAddress = baseAddress };
        using (var before = await probe.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        // The hook call waits on the FHIR server; the stop begins while it does.
        using var content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json");
        var hook = client.PostAsync(new Uri(Http.ServicePath, UriKind.Relative), content, TestContext.Current.CancellationToken);
        var clock = Stopwatch.StartNew();
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        var arrivedAt = clock.Elapsed;
        var lifetime = rig.App.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>();
        var stoppingAt = TimeSpan.Zero;
        lifetime.ApplicationStopping.Register(() => stoppingAt = clock.Elapsed);
        var stopping = Task.Run(async () => await rig.App.DisposeAsync(), TestContext.Current.CancellationToken);
        HttpStatusCode? during = null;
        var seen = new List<string>();
        while (!hook.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            try
            {
                using var ready = await probe.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken);
                seen.Add($"{clock.Elapsed.TotalMilliseconds:F0} ms: {(int)ready.StatusCode}");
                if (ready.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    during = ready.StatusCode;
                    break;
                }
            }
            catch (HttpRequestException e)
            {
                seen.Add($"{clock.Elapsed.TotalMilliseconds:F0} ms: {e.HttpRequestError}");
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        using var answer = await hook;
        var answeredAt = clock.Elapsed;
        await stopping;

        var story = $"readiness while stopping: {string.Join(", ", seen.Distinct())}; FHIR query at {arrivedAt}, servers stopping at {stoppingAt}, answered at {answeredAt}";
        Assert.True(during == HttpStatusCode.ServiceUnavailable, story);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Single((await answer.JsonAsync())["cards"]!.AsArray());
        // The drain delay passed and the servers were stopping (the stopping token fires after it)
        // while the call still waited on the FHIR server: it was answered, not cut off.
        Assert.True(stoppingAt > arrivedAt && answeredAt > stoppingAt, story);
        // Stopped: nothing listens any more.
        await Assert.ThrowsAsync<HttpRequestException>(() => probe.GetAsync(new Uri("/health/live", UriKind.Relative), TestContext.Current.CancellationToken));
    }
}
