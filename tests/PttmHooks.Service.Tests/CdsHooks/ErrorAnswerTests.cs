using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using PttmHooks.Service.Cards;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.CdsHooks;

/// <summary>
/// Every bad request gets its status and an OperationOutcome that says what was wrong, never a
/// stack trace, and the service goes on answering.
/// </summary>
public sealed class ErrorAnswerTests(AppHost host) : IClassFixture<AppHost>
{
    private ServiceApp App => host.App;

    [Fact]
    public async Task Malformed_json_is_400()
    {
        using var response = await App.PostAsync(Http.ServicePath, """{"hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "hook": """);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Contains("not valid JSON", issue.Diagnostics, StringComparison.Ordinal);
        Assert.Equal("structure", issue.Code);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Text_plain_content_type_is_415()
    {
        using var response = await App.PostAsync(Http.ServicePath, Http.MinimalRequest().ToJsonString(), "text/plain");

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.UnsupportedMediaType));
        Assert.Contains("application/json", issue.Diagnostics, StringComparison.Ordinal);
        Assert.Contains("text/plain", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Text_plain_feedback_is_415_saying_what_is_expected()
    {
        using var response = await App.PostAsync(Http.FeedbackPath, TestFiles.FixtureText("hl7-spec/feedback-accepted.json"), "text/plain");

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.UnsupportedMediaType));
        Assert.Contains("application/json", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Json_charset_other_than_utf8_is_415()
    {
        using var response = await App.PostAsync(Http.ServicePath, Http.MinimalRequest().ToJsonString(), "application/json; charset=iso-8859-1");

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.UnsupportedMediaType));
        Assert.Contains("iso-8859-1", issue.Diagnostics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/fhir+json")]
    public async Task Json_media_types_are_accepted(string contentType)
    {
        using var response = await App.PostAsync(Http.ServicePath, Http.MinimalRequest().ToJsonString(), contentType);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.TextAsync());
    }

    [Fact]
    public async Task Missing_content_type_is_415()
    {
        using var response = await App.PostAsync(Http.ServicePath, Http.MinimalRequest().ToJsonString(), contentType: null);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.UnsupportedMediaType));
        Assert.Contains("no Content-Type", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Missing_hookInstance_is_400()
    {
        var request = Http.MinimalRequest();
        request.Remove("hookInstance");

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("hookInstance", issue.Expression);
        Assert.Equal("required", issue.Code);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task HookInstance_that_is_not_a_uuid_is_400()
    {
        var request = Http.MinimalRequest();
        request["hookInstance"] = "hook-42";

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("hookInstance", issue.Expression);
        Assert.Contains("UUID", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Missing_context_userId_is_400()
    {
        var request = Http.MinimalRequest();
        request["context"]!.AsObject().Remove("userId");

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("context.userId", issue.Expression);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task PatientId_written_as_a_reference_is_400()
    {
        var request = Http.MinimalRequest();
        request["context"]!["patientId"] = "Patient/123";

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("context.patientId", issue.Expression);
        Assert.Contains("Patient/123", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Hook_other_than_patient_view_is_400()
    {
        var request = Http.MinimalRequest();
        request["hook"] = "order-select";

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("hook", issue.Expression);
        Assert.Contains("order-select", issue.Diagnostics, StringComparison.Ordinal);
        Assert.Contains("patient-view", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Unknown_service_id_is_404()
    {
        using var response = await App.PostJsonAsync("/cds-services/no-such-service", Http.MinimalRequest());

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.NotFound));
        Assert.Equal("not-found", issue.Code);
        Assert.Contains("no-such-service", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Unknown_service_id_is_404_whatever_the_media_type()
    {
        // The service id is checked before the body: a wrong path is the first thing to fix.
        using var response = await App.PostAsync("/cds-services/no-such-service", "hello", "text/plain");

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.NotFound));
        Assert.Equal("not-found", issue.Code);
    }

    [Fact]
    public async Task Prefetch_value_that_is_a_string_is_400_naming_the_key()
    {
        var request = Http.MinimalRequest();
        request["prefetch"]!["conditions"] = "<snipped for brevity>";

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("prefetch.conditions", issue.Expression);
        Assert.Contains("not FHIR JSON", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Prefetch_object_without_resourceType_is_400_naming_the_key()
    {
        var request = Http.MinimalRequest();
        request["prefetch"]!["patient"] = new JsonObject { ["name"] = new JsonArray(new JsonObject { ["given"] = new JsonArray("Test") }) };

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("prefetch.patient", issue.Expression);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Prefetch_with_an_unknown_resourceType_is_400_naming_the_key()
    {
        var request = Http.MinimalRequest();
        request["prefetch"]!["markers"] = new JsonObject { ["resourceType"] = "Widget", ["id"] = "w1" };

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("prefetch.markers", issue.Expression);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Bare_Patient_for_a_search_key_is_400_naming_the_key()
    {
        var request = Http.MinimalRequest();
        request["prefetch"]!["conditions"] = new JsonObject { ["resourceType"] = "Patient", ["id"] = "p1" };

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("prefetch.conditions", issue.Expression);
        Assert.Contains("must be a Bundle", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    /// <summary>
    /// A search Bundle whose own structure is wrong (its entry or link list written as an object
    /// or a string) is not a search result: 400 naming the key and the element. The Firely SDK reads such values in part, and the partial
    /// Bundle threw from <c>Entry</c> when read (a 500 before this was mended).
    /// </summary>
    [Theory]
    [InlineData("""{"resourceType": "Bundle", "type": "searchset", "entry": {"resource": {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"}}}}""", "Bundle.entry")]
    [InlineData("""{"resourceType": "Bundle", "type": "searchset", "entry": "none"}""", "Bundle.entry")]
    [InlineData("""{"resourceType": "Bundle", "type": "searchset", "link": {"relation": "next", "url": "https://ehr.example.org/fhir/Condition?page=2"}}""", "Bundle.link")]
    public async Task Bundle_whose_structure_cannot_be_read_is_400_naming_the_element(string bundle, string element)
    {
        var request = Http.MinimalRequest();
        request["prefetch"]!["conditions"] = JsonNode.Parse(bundle);

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("prefetch.conditions", issue.Expression);
        Assert.Equal("structure", issue.Code);
        Assert.Contains($"not a FHIR R4 Bundle: {element}", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    /// <summary>
    /// Inside a resource, an element in the wrong shape (a coding object where R4 has an array, a
    /// subject written as an array or a string) is emptied and the rest of the chart is read, as
    /// docs/clinical-rule.md says: the answer is a 200 whose card says what was skipped.
    /// </summary>
    [Theory]
    [InlineData("""{"resourceType": "Condition", "id": "bad", "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]}, "code": {"coding": {"system": "http://snomed.info/sct", "code": "38341003"}}, "subject": {"reference": "Patient/seed004"}}""", "Condition/bad.code.coding")]
    [InlineData("""{"resourceType": "Condition", "id": "bad", "code": {"text": "hypertension"}, "subject": [{"reference": "Patient/seed004"}]}""", "Condition/bad.subject")]
    [InlineData("""{"resourceType": "Condition", "id": "bad", "code": {"coding": [null, {"system": "http://snomed.info/sct", "code": "38341003"}]}, "subject": {"reference": "Patient/seed004"}}""", "Condition/bad.code.coding[0]")]
    [InlineData("""{"resourceType": "Condition", "id": "bad", "code": {"text": "hypertension"}, "recordedDate": ["2026-01-01"], "subject": {"reference": "Patient/seed004"}}""", "Condition/bad.recordedDate")]
    public async Task Resource_with_a_misshapen_element_is_read_in_part_and_the_card_says_so(string resource, string element)
    {
        var request = App.CaseRequest("seed004-breast-history-hypoxaemia-vq");
        var conditions = request["prefetch"]!["conditions"]!.AsObject();
        var entries = conditions["entry"]!.AsArray();
        entries.Insert(0, new JsonObject { ["resource"] = JsonNode.Parse(resource) });

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var card = Assert.Single((await response.JsonAsync())["cards"]!.AsArray())!;
        Assert.Contains("cytology", (string)card["summary"]!, StringComparison.OrdinalIgnoreCase);
        var note = Assert.Single(((string)card["detail"]!).Split('\n'), line => line.StartsWith("- Prefetch 'conditions': ", StringComparison.Ordinal));
        Assert.Contains("not valid FHIR R4", note, StringComparison.Ordinal);
        Assert.Contains(MarkdownText.Escape(element), note, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    /// <summary>
    /// An entry of a search Bundle that cannot be read (null, or its resource slot an array or a
    /// string) is one entry left out, named on the card; the rest of the search still counts, so
    /// the malignancy in the other entries still decides C1 (a 400 lost the whole card).
    /// </summary>
    [Theory]
    [InlineData("""[{"resourceType": "Condition", "id": "c1"}]""", "Bundle.entry[0].resource")]
    [InlineData("\"Condition/c1\"", "Bundle.entry[0]")]
    [InlineData(null, "Bundle.entry[0]")]
    public async Task Unreadable_entry_is_left_out_and_named_and_the_rest_of_the_search_counts(string? slot, string element)
    {
        var request = App.CaseRequest("seed004-breast-history-hypoxaemia-vq");
        var entries = request["prefetch"]!["conditions"]!["entry"]!.AsArray();
        entries.Insert(0, slot is null ? null : new JsonObject { ["resource"] = JsonNode.Parse(slot) });

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var card = Assert.Single((await response.JsonAsync())["cards"]!.AsArray())!;
        Assert.Contains("cytology", (string)card["summary"]!, StringComparison.OrdinalIgnoreCase);
        var note = Assert.Single(((string)card["detail"]!).Split('\n'), line => line.StartsWith("- Prefetch 'conditions': ", StringComparison.Ordinal));
        Assert.Contains(MarkdownText.Escape(element), note, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task FhirAuthorization_without_fhirServer_is_400()
    {
        var request = Http.MinimalRequest();
        request["fhirAuthorization"] = Authorization("token-without-server");

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("fhirAuthorization", issue.Expression);
        Assert.Contains("fhirServer", issue.Diagnostics, StringComparison.Ordinal);
        Assert.DoesNotContain("token-without-server", await response.TextAsync(), StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task FhirAuthorization_without_access_token_is_400()
    {
        var request = Http.MinimalRequest();
        request["fhirServer"] = "https://ehr.example.org/fhir";
        var authorization = Authorization("unused");
        authorization.Remove("access_token");
        request["fhirAuthorization"] = authorization;

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("fhirAuthorization.access_token", issue.Expression);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Empty_body_is_400()
    {
        using var response = await App.PostAsync(Http.ServicePath, string.Empty);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Contains("empty", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Json_array_body_is_400()
    {
        using var response = await App.PostAsync(Http.ServicePath, "[" + Http.MinimalRequest().ToJsonString() + "]");

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Contains("JSON object", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Unknown_path_is_404_with_an_OperationOutcome()
    {
        using var response = await App.GetAsync("/nothing");

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.NotFound));
        Assert.Equal("not-found", issue.Code);
        Assert.Contains("/nothing", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Get_on_the_service_url_is_405_with_an_OperationOutcome()
    {
        using var response = await App.GetAsync(Http.ServicePath);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.MethodNotAllowed));
        Assert.Contains("GET", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Minimal_valid_request_with_no_data_answers_200()
    {
        // The base the error tests change one thing in: valid as it stands.
        using var response = await App.PostJsonAsync(Http.ServicePath, Http.MinimalRequest());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"cards":[]}""", await response.TextAsync());
    }

    internal static JsonObject Authorization(string token) => new()
    {
        ["access_token"] = token,
        ["token_type"] = "Bearer",
        ["expires_in"] = 300,
        ["scope"] = "patient/*.read",
        ["subject"] = "cds-service",
    };
}

/// <summary>The request body limit (Cds:MaxRequestBytes): 413, with the same OperationOutcome shape.</summary>
public sealed class BodyLimitTests : IDisposable
{
    private readonly ServiceApp _app = new(new Dictionary<string, string?> { ["Cds:MaxRequestBytes"] = "2048" });

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Body_over_the_limit_is_413()
    {
        var request = _app.CaseRequest("seed000-breast-perfusion-defects");
        Assert.True(Encoding.UTF8.GetByteCount(request.ToJsonString()) > 2048);

        using var response = await _app.PostJsonAsync(Http.ServicePath, request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.RequestEntityTooLarge));
        Assert.Contains("Cds:MaxRequestBytes", issue.Diagnostics, StringComparison.Ordinal);
        Assert.Contains("2,048", issue.Diagnostics, StringComparison.Ordinal);
        await _app.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Body_over_the_limit_sent_without_a_Content_Length_is_413()
    {
        var bytes = Encoding.UTF8.GetBytes(_app.CaseRequest("seed000-breast-perfusion-defects").ToJsonString());
        using var content = new UnknownLengthContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var client = _app.CreateClient();

        using var response = await client.PostAsync(new Uri(Http.ServicePath, UriKind.Relative), content, TestContext.Current.CancellationToken);

        Assert.Single(await response.ErrorAsync(HttpStatusCode.RequestEntityTooLarge));
        await _app.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Body_under_the_limit_is_read()
    {
        using var response = await _app.PostJsonAsync(Http.ServicePath, Http.MinimalRequest());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Content whose length is not known up front (sent chunked).</summary>
    private sealed class UnknownLengthContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            stream.WriteAsync(bytes, 0, bytes.Length);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
