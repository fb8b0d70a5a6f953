using System.Net;
using PttmHooks.Service.Tests.Fallback;
using PttmHooks.Service.Tests.Support;
using WireMock.RequestBuilders;

namespace PttmHooks.Service.Tests.Telemetry;

/// <summary>The <c>pttm.fhir.circuit.state</c> gauge follows the circuit breaker of a FHIR server.</summary>
public sealed class CircuitGaugeTests
{
    private const string CardCase = "seed000-breast-perfusion-defects";

    [Fact]
    public async Task The_gauge_reads_2_while_the_circuit_to_a_FHIR_server_is_open_and_0_once_it_closes()
    {
        using var rig = new FallbackRig(new Dictionary<string, string?>
        {
            ["Cds:Fallback:MaxRetries"] = "0",
            ["Cds:Fallback:Circuit:MinimumThroughput"] = "2",
            ["Cds:Fallback:Circuit:BreakDuration"] = "00:00:00.500",
        });
        var capture = TelemetryCapture.Into(rig.App);
        var server = new Uri(rig.FhirBase);
        var address = $"{server.Host}:{server.Port}";
        long State() => Assert.Single(TelemetryCapture.Points(capture.Metrics(), "pttm.fhir.circuit.state"), p => (string?)p.Tags["server.address"] == address).Point.GetGaugeLastValueLong();
        rig.Fhir.Given(Request.Create().UsingGet()).AtPriority(1).RespondWith(FallbackRig.FhirJson(503, FallbackRig.Outcome("transient", "down")));

        var (failing, _) = rig.CaseRequest(CardCase, "conditions", "oxygenation", "markers");
        using (var response = await rig.PostAsync(failing))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        }

        Assert.Equal(2, State());

        rig.Fhir.ResetMappings();
        rig.AnswerDefaults();
        var closed = false;
        for (var attempt = 0; attempt < 30 && !closed; attempt++)
        {
            await Task.Delay(200, TestContext.Current.CancellationToken);
            var (again, _) = rig.CaseRequest(CardCase, "conditions");
            rig.App.Time.SetUtcNow(rig.App.Time.GetUtcNow().AddSeconds(1 + attempt));
            using var response = await rig.PostAsync(again);
            closed = response.StatusCode == HttpStatusCode.OK;
        }

        Assert.True(closed, "the circuit did not close after the server recovered");
        Assert.Equal(0, State());
    }
}
