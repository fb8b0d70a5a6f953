using System.Net;
using System.Text.Json.Nodes;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.CdsHooks;

/// <summary>
/// The AHRQ CDS Connect patient-view requests (tests/TestData/cds-hooks/ahrq), re-keyed onto our
/// prefetch templates by <see cref="AhrqFixtures"/>.
/// </summary>
public sealed class AhrqFixtureTests(AppHost host) : IClassFixture<AppHost>
{
    private ServiceApp App => host.App;

    [Fact]
    public async Task Null_prefetch_values_mean_no_data_and_answer_exactly_the_spec_empty_response()
    {
        var request = AhrqFixtures.Rekeyed("R4-null_prefetch_values_invocation.json");
        Assert.Null(request["prefetch"]!["conditions"]);

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        var expected = TestFiles.Fixture("hl7-spec/response-empty-cards.json");
        Assert.True(JsonNode.DeepEquals(expected, body), TestFiles.Show(body));
    }

    [Fact]
    public async Task Active_person_with_nothing_to_report_answers_an_empty_cards_array()
    {
        using var response = await App.PostJsonAsync(Http.ServicePath, AhrqFixtures.Rekeyed("R4-active_person_invocation.json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"cards":[]}""", await response.TextAsync());
    }

    [Fact]
    public async Task Lazy_person_with_invalid_R4_clinicalStatus_strings_answers_200_never_500()
    {
        using var response = await App.PostJsonAsync(Http.ServicePath, AhrqFixtures.Rekeyed("R4-lazy_person_invocation.json"));

        var text = await response.TextAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var body = JsonNode.Parse(text)!;
        Assert.IsType<JsonArray>(body["cards"]);
    }

    [Fact]
    public async Task Missing_conditions_key_is_412_naming_prefetch_conditions_without_fhirServer_or_fhirAuthorization()
    {
        var request = AhrqFixtures.Rekeyed("R4-missing_prefetch_keys_invocation.json");
        Assert.True(request.Remove("fhirServer"));
        Assert.True(request.Remove("fhirAuthorization"));

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.PreconditionFailed));
        Assert.Equal("prefetch.conditions", issue.Expression);
        Assert.Contains("no fhirServer", issue.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resources_of_another_patient_than_context_patientId_are_400_and_never_evaluated()
    {
        // Re-keyed but with context.patientId 1288992 left as it is: the Patient and the Observation
        // belong to Patient/1.
        var request = AhrqFixtures.Rekeyed("R4-active_person_invocation.json", fixPatientId: false);
        Assert.Equal("1288992", (string?)request["context"]!["patientId"]);

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var issues = await response.ErrorAsync(HttpStatusCode.BadRequest);
        Assert.All(issues, i => Assert.Contains("resources of other patients are never evaluated", i.Diagnostics, StringComparison.Ordinal));
        Assert.Contains("prefetch.patient", issues.Expressions());
        Assert.Contains(issues, i => i.Expression?.StartsWith("prefetch.oxygenation.entry[0]", StringComparison.Ordinal) == true);
        await App.StillAnswersDiscoveryAsync();
    }
}
