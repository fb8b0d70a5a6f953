using System.Net;
using System.Text.Json.Nodes;
using PttmHooks.Service.Tests.CdsHooks;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Gathering;

/// <summary>
/// What each prefetch value means (CDS Hooks 2.0 "Prefetch"): absent or an OperationOutcome is
/// unsatisfied (412 here, with no FHIR fallback); null and an empty Bundle are "no data"; a first
/// page or a value read in part is said on the card.
/// </summary>
public sealed class PrefetchSemanticsTests(AppHost host) : IClassFixture<AppHost>
{
    private const string CardCase = "seed000-breast-perfusion-defects";

    private ServiceApp App => host.App;

    [Fact]
    public async Task Absent_search_keys_are_412_listing_exactly_those_keys()
    {
        // The optional patient key is absent too, and is not listed.
        var request = App.CaseRequest(CardCase, "conditions", "markers", "recentReports", "patient");

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var issues = await response.ErrorAsync(HttpStatusCode.PreconditionFailed);
        Assert.Equal(["prefetch.conditions", "prefetch.markers", "prefetch.recentReports"], issues.Expressions().Order(StringComparer.Ordinal));
        Assert.All(issues, i => Assert.Equal("incomplete", i.Code));
        Assert.Contains(issues, i => i.Diagnostics.Contains("Condition?patient={{context.patientId}}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_search_key_absent_is_412_listing_all_of_them()
    {
        var request = App.CaseRequest(CardCase, [.. TestFiles.Templates.Keys]);
        Assert.Null(request["prefetch"]);

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var issues = await response.ErrorAsync(HttpStatusCode.PreconditionFailed);
        Assert.Equal(Http.SearchKeys.Select(k => "prefetch." + k), issues.Expressions().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Absent_patient_key_alone_still_answers_with_the_card()
    {
        using var response = await App.PostJsonAsync(Http.ServicePath, App.CaseRequest(CardCase, "patient"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single((await response.JsonAsync())["cards"]!.AsArray());
    }

    [Fact]
    public async Task OperationOutcome_as_a_prefetch_value_is_412_that_says_so()
    {
        var request = App.CaseRequest(CardCase);
        request["prefetch"]!["markers"] = JsonNode.Parse("""
            {"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"timeout","diagnostics":"The markers search timed out"}]}
            """);

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.PreconditionFailed));
        Assert.Equal("prefetch.markers", issue.Expression);
        Assert.Contains("OperationOutcome", issue.Diagnostics, StringComparison.Ordinal);
        Assert.Contains("The markers search timed out", issue.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Null_prefetch_value_is_no_data_not_missing()
    {
        var request = App.CaseRequest(CardCase);
        request["prefetch"]!["markers"] = null;

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single((await response.JsonAsync())["cards"]!.AsArray());
    }

    [Fact]
    public async Task Empty_searchset_Bundle_for_one_key_answers_200()
    {
        var request = App.CaseRequest(CardCase);
        request["prefetch"]!["markers"] = JsonNode.Parse("""{"resourceType":"Bundle","type":"searchset","total":0}""");

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single((await response.JsonAsync())["cards"]!.AsArray());
    }

    [Fact]
    public async Task Bundle_with_a_next_link_is_noted_on_the_card_as_the_first_page()
    {
        var request = App.CaseRequest(CardCase);
        request["prefetch"]!["oxygenation"]!["link"] = JsonNode.Parse("""
            [{"relation":"self","url":"https://ehr.example.org/fhir/Observation?patient=seed000b"},
             {"relation":"next","url":"https://ehr.example.org/fhir/Observation?patient=seed000b&page=2"}]
            """);

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var detail = (string)Assert.Single((await response.JsonAsync())["cards"]!.AsArray())!["detail"]!;
        Assert.Contains("first page", detail, StringComparison.Ordinal);
        Assert.Contains("oxygenation", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Condition_with_an_invalid_R4_clinicalStatus_is_read_in_part_and_the_card_says_so()
    {
        var request = App.CaseRequest(CardCase);
        var entries = request["prefetch"]!["conditions"]!["entry"]!.AsArray();
        entries.Add(JsonNode.Parse("""
            {"resource":{"resourceType":"Condition","id":"seed000b-lazy","clinicalStatus":"active","verificationStatus":"confirmed",
             "code":{"text":"Laziness"},"subject":{"reference":"Patient/seed000b"},"onsetDateTime":"2026-10-01"}}
            """));

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var body = await response.JsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, TestFiles.Show(body));
        var detail = (string)Assert.Single(body["cards"]!.AsArray())!["detail"]!;
        Assert.Contains("not valid FHIR R4", detail, StringComparison.Ordinal);
        Assert.Contains("conditions", detail, StringComparison.Ordinal);
        // The rest of the conditions was read: the malignancy still decides C1.
        Assert.StartsWith("PTTM suspected", (string)body["cards"]![0]!["summary"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Access_token_never_appears_in_a_card_answer()
    {
        const string Token = "secret-fhir-token-5b1d0c9e";
        var request = App.CaseRequest(CardCase);
        request["fhirServer"] = ServiceApp.TrustedFhirServer;
        request["fhirAuthorization"] = ErrorAnswerTests.Authorization(Token);

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single((await response.JsonAsync())["cards"]!.AsArray());
        Assert.DoesNotContain(Token, await response.TextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Access_token_never_appears_in_a_400_answer()
    {
        const string Token = "secret-fhir-token-93c1b7aa";
        var request = App.CaseRequest(CardCase);
        request["fhirServer"] = ServiceApp.TrustedFhirServer;
        var authorization = ErrorAnswerTests.Authorization(Token);
        authorization["token_type"] = "MAC";
        request["fhirAuthorization"] = authorization;

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("fhirAuthorization.token_type", issue.Expression);
        Assert.DoesNotContain(Token, await response.TextAsync(), StringComparison.Ordinal);
    }
}
