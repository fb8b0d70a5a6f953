using System.Net;
using Microsoft.Extensions.Logging.Testing;
using PttmHooks.Service.Tests.Support;
using WireMock.RequestBuilders;

namespace PttmHooks.Service.Tests.Fallback;

/// <summary>
/// The token and the patient never reach a log: not the service's own events, not the HTTP
/// client's, not the resilience pipeline's retries and circuit events (every level, every category).
/// </summary>
public sealed class FallbackSecrecyTests
{
    private static void AssertClean(FakeLogCollector logs, params string[] secrets)
    {
        var records = logs.GetSnapshot();
        Assert.NotEmpty(records);
        foreach (var record in records)
        {
            var text = string.Join(" | ",
                [record.Category ?? string.Empty, record.Message, record.Exception?.ToString() ?? string.Empty,
                 .. record.StructuredState?.Select(p => $"{p.Key}={p.Value}") ?? []]);
            foreach (var secret in secrets)
            {
                Assert.False(text.Contains(secret, StringComparison.OrdinalIgnoreCase), $"'{secret}' in a log record: {text}");
            }
        }
    }

    [Fact]
    public async Task Neither_the_token_nor_the_patient_id_is_logged_through_retries_failures_and_success()
    {
        using var rig = new FallbackRig(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Polly"] = "Trace",
            ["Logging:LogLevel:System.Net.Http"] = "Trace",
            // The test is about what is logged, not about time: the retry must happen (and be
            // logged) even when a busy machine makes the first call, at Trace, slower than 2 s.
            ["Cds:Fallback:Budget"] = "00:00:20",
            ["Cds:Fallback:AttemptTimeout"] = "00:00:10",
        });
        var (request, omitted) = rig.CaseRequest("seed000-breast-perfusion-defects", "conditions", "oxygenation", "imagingReports");
        var patientId = (string)request["context"]!["patientId"]!;
        rig.Search("Condition").InScenario("flaky").WillSetStateTo("up")
            .RespondWith(FallbackRig.FhirJson(503, FallbackRig.Outcome("transient", "busy")));
        rig.Search("Condition").InScenario("flaky").WhenStateIs("up")
            .RespondWith(FallbackRig.FhirJson(200, omitted["conditions"]!.ToJsonString()));
        rig.Search("Observation").RespondWith(FallbackRig.FhirJson(401, FallbackRig.Outcome("security", "expired")));

        using var response = await rig.PostAsync(request);

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Contains(rig.App.Logs.GetSnapshot(), r => r.Category?.StartsWith("Polly", StringComparison.Ordinal) == true);
        Assert.Contains(rig.Requests, r => r.PathAndQuery.Contains(patientId, StringComparison.Ordinal));
        AssertClean(rig.App.Logs, FallbackRig.Token, patientId);
    }
}
