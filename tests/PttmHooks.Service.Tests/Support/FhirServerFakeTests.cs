using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Hl7.Fhir.Model;
using PttmHooks.Reading;
using PttmHooks.Reading.Samples;

namespace PttmHooks.Service.Tests.Support;

public sealed class FhirServerFakeTests
{
    private const string Case = "seed000-breast-perfusion-defects";
    private const string PatientId = "seed000b";

    [Fact]
    public async System.Threading.Tasks.Task Answers_a_read_and_a_missing_resource()
    {
        using var fhir = FhirServerFake.Start(FhirServerFake.LoadCase(Case));
        using var client = new HttpClient();
        Assert.Equal(new Uri(fhir.Server.Url!).Port, fhir.BaseUrl.Port);
        Assert.EndsWith("/fhir", fhir.BaseUrl.AbsoluteUri, StringComparison.Ordinal);

        using var found = await client.GetAsync(new Uri($"{fhir.BaseUrl}/Patient/{PatientId}"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal("application/fhir+json", found.Content.Headers.ContentType?.MediaType);
        var patient = Assert.IsType<Patient>(await ResourceAsync(found));
        Assert.Equal(PatientId, patient.Id);

        using var missing = await client.GetAsync(new Uri($"{fhir.BaseUrl}/Patient/nobody"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var outcome = Assert.IsType<OperationOutcome>(await ResourceAsync(missing));
        Assert.Equal(OperationOutcome.IssueType.NotFound, outcome.Issue.Single().Code);
    }

    [Fact]
    public async System.Threading.Tasks.Task Pages_a_search_and_the_next_links_give_every_match_once()
    {
        var resources = FhirServerFake.LoadCase(Case);
        using var fhir = FhirServerFake.Start(resources, pageSize: 3);
        using var client = new HttpClient();

        // The case has eight Observations, several at the same time: paging must neither lose nor repeat one.
        const string search = $"Observation?patient={PatientId}&_sort=-date&_count=100";
        var expected = ((Bundle)TemplateSearch.Run(search, resources)!).Entry.Select(e => e.Resource!.Id!).ToList();
        Assert.Equal(8, expected.Count);

        var url = new Uri($"{fhir.BaseUrl}/{search}");
        var seen = new List<string>();
        var pages = 0;
        while (url is not null)
        {
            using var response = await client.GetAsync(url, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = Assert.IsType<Bundle>(await ResourceAsync(response));
            Assert.Equal(8, page.Total);
            Assert.InRange(page.Entry.Count, 1, 3);
            seen.AddRange(page.Entry.Select(e => e.Resource!.Id!));
            pages++;
            url = page.Link.SingleOrDefault(l => l.Relation == "next")?.Url is { } next ? new Uri(next) : null;
        }

        Assert.Equal(3, pages);
        Assert.Equal(expected, seen);
        Assert.Equal(
            [
                $"/fhir/Observation?patient={PatientId}&_sort=-date&_count=100",
                $"/fhir/Observation?patient={PatientId}&_sort=-date&_count=3&_offset=3",
                $"/fhir/Observation?patient={PatientId}&_sort=-date&_count=3&_offset=6",
            ],
            fhir.Requests.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async System.Threading.Tasks.Task Records_each_request_with_its_authorization_header()
    {
        using var fhir = FhirServerFake.Start(FhirServerFake.LoadCase(Case));
        using var client = new HttpClient();
        using (var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{fhir.BaseUrl}/Condition?patient={PatientId}")))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "token-1");
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.Equal(2, Assert.IsType<Bundle>(await ResourceAsync(response)).Entry.Count);
        }

        using (var response = await client.GetAsync(new Uri($"{fhir.BaseUrl}/Patient/{PatientId}"), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(
            [
                ($"/fhir/Condition?patient={PatientId}", "Bearer token-1"),
                ($"/fhir/Patient/{PatientId}", (string?)null),
            ],
            fhir.Requests);
    }

    [Fact]
    public async System.Threading.Tasks.Task Answers_an_unsupported_search_parameter_with_400()
    {
        using var fhir = FhirServerFake.Start(FhirServerFake.LoadCase(Case));
        using var client = new HttpClient();
        using var response = await client.GetAsync(new Uri($"{fhir.BaseUrl}/Condition?patient={PatientId}&date=ge2026-01-01"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var outcome = Assert.IsType<OperationOutcome>(await ResourceAsync(response));
        Assert.Contains("date", outcome.Issue.Single().Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async System.Threading.Tasks.Task Delays_every_answer()
    {
        using var fhir = FhirServerFake.Start(FhirServerFake.LoadCase(Case), delay: TimeSpan.FromMilliseconds(300));
        using var client = new HttpClient();
        var clock = Stopwatch.StartNew();
        using var response = await client.GetAsync(new Uri($"{fhir.BaseUrl}/Patient/{PatientId}"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(280), $"answered after {clock.Elapsed}");
    }

    private static async Task<Resource?> ResourceAsync(HttpResponseMessage response) =>
        JsonSerializer.Deserialize<Resource>(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), FhirJsonFormat.Options);
}
