using System.Net;
using System.Text.Json.Nodes;
using PttmHooks.Reading.Samples;
using PttmHooks.Service.Tests.Cards;

namespace PttmHooks.Service.Tests.Cases;

/// <summary>
/// Every sample patient (samples/cases, the shared cases) and every own case, posted as a
/// patient-view hook with prefetch filled from the discovery templates, answers with the card the
/// case expects (or none), and every answer keeps the CDS Hooks card invariants.
/// </summary>
public sealed class CaseHookTests(CaseHookTests.Host host) : IClassFixture<CaseHookTests.Host>
{
    public sealed class Host : IDisposable
    {
        public ServiceApp App { get; } = new();

        public void Dispose() => App.Dispose();
    }

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var set in new[] { "cases", "own-cases" })
        {
            foreach (var sample in SampleCase.LoadAll(TestFiles.Path(set)))
            {
                data.Add(set + "/" + Path.GetFileName(sample.Folder));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Case_answers_with_its_expected_card(string name)
    {
        var folder = TestFiles.Path(name.Split('/'));
        var sample = SampleCase.Load(folder);
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "case.json")))!["expected"]!;
        host.App.Time.SetUtcNow(sample.EvaluatedAt);
        var request = SampleRequests.Build(sample, TestFiles.Templates, at: null, Guid.NewGuid());

        using var response = await host.App.PostJsonAsync("/cds-services/pttm-screening", request);

        var body = await response.JsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, TestFiles.Show(body));
        Assert.Empty(CardInvariants.Violations(body));
        var cards = body["cards"]!.AsArray();
        var recommendation = (string)expected["recommendation"]!;
        if (recommendation == "none")
        {
            Assert.Empty(cards);
            Assert.Equal("""{"cards":[]}""", body.ToJsonString());
            return;
        }

        var card = Assert.Single(cards)!;
        var order = card["suggestions"]![0]!["actions"]![0]!["resource"]!;
        Assert.Equal("ServiceRequest", (string?)order["resourceType"]);
        var orderCode = (string)order["code"]!["coding"]![0]!["code"]!;
        Assert.Equal(recommendation == "wedged-pa-cytology" ? "40403005" : "35202002", orderCode);
        Assert.Equal((string)expected["indicator"]!, (string?)card["indicator"]);
        var summary = (string)card["summary"]!;
        Assert.StartsWith((string?)expected["suspicion"] == "possible" ? "PTTM possible" : "PTTM suspected", summary, StringComparison.Ordinal);
        Assert.Equal("Patient/" + sample.PatientId, (string?)order["subject"]!["reference"]);

        // The evidence a clinician needs is in the detail, by resource reference as written.
        var detail = (string)card["detail"]!;
        foreach (var reference in expected["evidence"]!.AsArray().Select(e => (string)e!))
        {
            Assert.Contains(reference, detail, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Moving_every_date_to_now_gives_the_same_answer(string name)
    {
        // What the samples command does: the case read as if evaluated today.
        var sample = SampleCase.Load(TestFiles.Path(name.Split('/')));
        var now = new DateTimeOffset(2031, 3, 7, 8, 30, 0, TimeSpan.Zero);
        host.App.Time.SetUtcNow(sample.EvaluatedAt);
        using var atCase = await host.App.PostJsonAsync("/cds-services/pttm-screening", SampleRequests.Build(sample, TestFiles.Templates, null, Guid.NewGuid()));
        var expected = await atCase.JsonAsync();
        host.App.Time.SetUtcNow(now);
        using var atNow = await host.App.PostJsonAsync("/cds-services/pttm-screening", SampleRequests.Build(sample, TestFiles.Templates, now, Guid.NewGuid()));
        var actual = await atNow.JsonAsync();

        Assert.Equal(expected["cards"]!.AsArray().Count, actual["cards"]!.AsArray().Count);
        if (expected["cards"]!.AsArray().Count == 1)
        {
            // Same patient, recommendation and evidence: the same card id, summary and indicator.
            Assert.Equal((string?)expected["cards"]![0]!["uuid"], (string?)actual["cards"]![0]!["uuid"]);
            Assert.Equal((string?)expected["cards"]![0]!["summary"], (string?)actual["cards"]![0]!["summary"]);
            Assert.Equal((string?)expected["cards"]![0]!["indicator"], (string?)actual["cards"]![0]!["indicator"]);
        }
    }
}
