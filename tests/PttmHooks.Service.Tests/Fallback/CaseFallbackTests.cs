using System.Net;
using System.Text.Json.Nodes;
using Resource = Hl7.Fhir.Model.Resource;
using PttmHooks.Reading.Samples;
using PttmHooks.Service.Tests.Cases;
using PttmHooks.Service.Tests.CdsHooks;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Fallback;

/// <summary>
/// Every shared and own case gives the same answer with full prefetch, with no prefetch (all of it
/// fetched from a FHIR server over HTTP), and with half the keys prefetched. The server pages every
/// search by 3, so every key with more than three results is fetched across pages.
/// </summary>
public sealed class CaseFallbackTests(CaseFallbackTests.Host host) : IClassFixture<CaseFallbackTests.Host>
{
    public sealed class Host : IDisposable
    {
        public const string Token = "case-fallback-token-3f9b";

        public Host()
        {
            var resources = new List<Resource>();
            foreach (var set in new[] { "cases", "own-cases" })
            {
                foreach (var sample in SampleCase.LoadAll(TestFiles.Path(set)))
                {
                    resources.AddRange(FhirServerFake.LoadCase(sample.Folder));
                }
            }

            Fhir = FhirServerFake.Start(resources, pageSize: 3);
            App = new ServiceApp(new Dictionary<string, string?>
            {
                ["Cds:FhirServers:0"] = Fhir.BaseUrl.AbsoluteUri,
                // Pages of 3 are a test's choice, not a server's: follow them all.
                ["Cds:Fallback:MaxPages"] = "100",
                // Dozens of sequential pages on a loaded CI machine: the default 2 s is the EHR's
                // budget, not this test's subject (FallbackScenarioTests checks the budget).
                ["Cds:Fallback:Budget"] = "00:00:30",
            });
        }

        public FhirServerFake Fhir { get; }

        public ServiceApp App { get; }

        public void Dispose()
        {
            App.Dispose();
            Fhir.Dispose();
        }
    }

    public static TheoryData<string> Cases() => CaseHookTests.Cases();

    private async Task<string> AnswerAsync(string name, params string[] omit)
    {
        var sample = SampleCase.Load(TestFiles.Path(name.Split('/')));
        host.App.Time.SetUtcNow(sample.EvaluatedAt);
        var request = SampleRequests.Build(sample, TestFiles.Templates, at: null, Guid.NewGuid(), omit);
        if (omit.Length > 0)
        {
            request["fhirServer"] = host.Fhir.BaseUrl.AbsoluteUri;
            request["fhirAuthorization"] = ErrorAnswerTests.Authorization(Host.Token);
        }

        using var response = await host.App.PostJsonAsync(Http.ServicePath, request);
        var text = await response.TextAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name} without {string.Join(",", omit)}: {text}");
        return text;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Case_gives_the_same_answer_with_full_prefetch_no_prefetch_and_half_the_keys(string name)
    {
        var keys = TestFiles.Templates.Keys.Order(StringComparer.Ordinal).ToArray();
        var full = await AnswerAsync(name);

        var before = host.Fhir.Requests.Count;
        var none = await AnswerAsync(name, keys);
        var half = await AnswerAsync(name, [.. keys.Where((_, i) => i % 2 == 0)]);
        var other = await AnswerAsync(name, [.. keys.Where((_, i) => i % 2 == 1)]);

        Assert.Equal(JsonNode.Parse(full), JsonNode.Parse(none), JsonNode.DeepEquals);
        Assert.Equal(JsonNode.Parse(full), JsonNode.Parse(half), JsonNode.DeepEquals);
        Assert.Equal(JsonNode.Parse(full), JsonNode.Parse(other), JsonNode.DeepEquals);
        var sent = host.Fhir.Requests.Skip(before).ToList();
        Assert.True(sent.Count >= 2 * keys.Length, $"{sent.Count} requests");
        Assert.All(sent, r => Assert.Equal("Bearer " + Host.Token, r.Authorization));
    }

    [Fact]
    public async Task A_key_with_more_results_than_a_page_is_fetched_across_three_pages()
    {
        // seed000 has three DiagnosticReports; a server with pages of one answers recentReports in three.
        var sample = Http.Case("seed000-breast-perfusion-defects");
        using var fhir = FhirServerFake.Start(FhirServerFake.LoadCase(sample.Folder), pageSize: 1);
        using var app = new ServiceApp(new Dictionary<string, string?> { ["Cds:FhirServers:0"] = fhir.BaseUrl.AbsoluteUri });
        var full = app.CaseRequest(sample.Id);
        var request = app.CaseRequest(sample.Id, "recentReports");
        request["fhirServer"] = fhir.BaseUrl.AbsoluteUri;
        request["fhirAuthorization"] = ErrorAnswerTests.Authorization(Host.Token);

        using var expected = await app.PostJsonAsync(Http.ServicePath, full);
        using var fetched = await app.PostJsonAsync(Http.ServicePath, request);

        Assert.Equal(await expected.TextAsync(), await fetched.TextAsync());
        var pages = fhir.Requests.Select(r => r.PathAndQuery).ToList();
        Assert.Equal(3, pages.Count);
        Assert.All(pages, p => Assert.StartsWith("/fhir/DiagnosticReport?patient=", p, StringComparison.Ordinal));
        Assert.Contains("_offset=1", pages[1], StringComparison.Ordinal);
        Assert.Contains("_offset=2", pages[2], StringComparison.Ordinal);
    }
}
