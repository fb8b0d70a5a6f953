using System.Net;
using System.Text.Json.Nodes;
using Json.Schema;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using PttmHooks.Reading.Samples;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.ApiDocs;

/// <summary>
/// The OpenAPI document: it parses, lists every endpoint with every status it answers, says how
/// to authenticate, and its examples (made by the service from a sample patient) validate against
/// its schemas, as do the public CDS Hooks fixtures.
/// </summary>
public sealed class OpenApiDocumentTests : IDisposable
{
    // The links in the example card name the public base URL, as the real answer does.
    private readonly ServiceApp _app = new(new Dictionary<string, string?> { ["Cds:PublicBaseUrl"] = "https://cds.example.org" });

    public void Dispose() => _app.Dispose();

    private async Task<(string Text, JsonObject Json)> DocumentAsync()
    {
        using var response = await _app.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.TextAsync();
        return (text, JsonNode.Parse(text)!.AsObject());
    }

    [Fact]
    public async Task The_document_is_OpenAPI_3_1_that_parses_without_errors()
    {
        var (text, json) = await DocumentAsync();

        var result = OpenApiDocument.Parse(text, "json", new OpenApiReaderSettings());

        Assert.Empty(result.Diagnostic?.Errors ?? []);
        Assert.Equal(OpenApiSpecVersion.OpenApi3_1, result.Diagnostic?.SpecificationVersion);
        Assert.StartsWith("3.1", (string?)json["openapi"], StringComparison.Ordinal);
        Assert.Equal("PttmHooks CDS Hooks service", result.Document!.Info.Title);
        Assert.Equal("https://cds.example.org", result.Document.Servers![0].Url);
    }

    [Fact]
    public async Task Every_endpoint_is_listed_with_every_status_it_answers()
    {
        var (_, json) = await DocumentAsync();

        var listed = json["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject()
                .Where(op => op.Key is "get" or "post" or "put" or "delete")
                .Select(op => $"{op.Key.ToUpperInvariant()} {path.Key}: {string.Join(",", op.Value!["responses"]!.AsObject().Select(r => r.Key).Order(StringComparer.Ordinal))}"))
            .Order(StringComparer.Ordinal);

        Assert.Equal(
        [
            "GET /cds-services: 200,401",
            "GET /docs/pttm-criteria.md: 200",
            "GET /health/live: 200,503",
            "GET /health/ready: 200,503",
            "GET /rule/{version}: 200,404",
            "POST /cds-services/{id}/feedback: 200,400,401,404,413,415",
            "POST /cds-services/{id}: 200,400,401,404,412,413,415,503",
        ], listed);
    }

    [Fact]
    public async Task Every_error_of_a_CDS_endpoint_is_an_OperationOutcome_in_FHIR_JSON()
    {
        var (_, json) = await DocumentAsync();

        foreach (var (path, item) in json["paths"]!.AsObject().Where(p => p.Key.StartsWith("/cds-services", StringComparison.Ordinal)))
        {
            foreach (var (_, operation) in item!.AsObject())
            {
                foreach (var (status, response) in operation!["responses"]!.AsObject().Where(r => r.Key[0] is '4' or '5'))
                {
                    var content = response!["content"]!.AsObject();
                    Assert.True(content.Count == 1 && content.ContainsKey("application/fhir+json"), $"{path} {status}");
                    Assert.Equal("#/components/schemas/OperationOutcome", (string?)content["application/fhir+json"]!["schema"]!["$ref"]);
                    Assert.False(string.IsNullOrWhiteSpace((string?)response["description"]));
                }
            }
        }
    }

    [Fact]
    public async Task The_CDS_endpoints_require_the_bearer_JWT_scheme_and_documents_and_probes_do_not()
    {
        var (_, json) = await DocumentAsync();

        var scheme = json["components"]!["securitySchemes"]!["cdsClientJwt"]!;
        Assert.Equal("http", (string?)scheme["type"]);
        Assert.Equal("bearer", (string?)scheme["scheme"]);
        Assert.Equal("JWT", (string?)scheme["bearerFormat"]);
        foreach (var (path, item) in json["paths"]!.AsObject())
        {
            foreach (var (_, operation) in item!.AsObject())
            {
                var security = operation!["security"]!.AsArray();
                if (path.StartsWith("/cds-services", StringComparison.Ordinal))
                {
                    Assert.Equal("cdsClientJwt", Assert.Single(Assert.Single(security)!.AsObject()).Key);
                }
                else
                {
                    Assert.Empty(security);
                }
            }
        }
    }

    [Fact]
    public async Task Every_example_validates_against_its_schema()
    {
        var (_, json) = await DocumentAsync();
        var checkedExamples = 0;

        foreach (var (where, schema, example) in Examples(json))
        {
            AssertValid(json, schema, example, where);
            checkedExamples++;
        }

        // Discovery, the hook request, the card, 400 and 412 answers, two feedback bodies, two probes each way.
        Assert.True(checkedExamples >= 11, $"only {checkedExamples} examples");
    }

    [Fact]
    public async Task The_example_card_is_what_the_service_answers_to_the_example_request()
    {
        var (_, json) = await DocumentAsync();
        var media = json["paths"]!["/cds-services/{id}"]!["post"]!;
        var request = media["requestBody"]!["content"]!["application/json"]!["example"]!.AsObject();
        var example = media["responses"]!["200"]!["content"]!["application/json"]!["example"]!;

        using var response = await _app.PostJsonAsync(Http.ServicePath, request);
        var answer = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(JsonNode.DeepEquals(example, answer), $"example:\n{TestFiles.Show(example)}\nanswer:\n{TestFiles.Show(answer)}");
        var card = Assert.Single(example["cards"]!.AsArray())!;
        Assert.Equal("critical", (string?)card["indicator"]);
        Assert.Contains("wedged pulmonary artery cytology", (string?)card["summary"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_error_examples_are_what_the_service_answers()
    {
        var (_, json) = await DocumentAsync();
        var operation = json["paths"]!["/cds-services/{id}"]!["post"]!;
        var request = operation["requestBody"]!["content"]!["application/json"]!["example"]!.AsObject();

        var incomplete = (JsonObject)request.DeepClone();
        incomplete["hookInstance"] = Guid.NewGuid().ToString();
        incomplete["prefetch"]!.AsObject().Remove("imagingReports");
        incomplete["prefetch"]!.AsObject().Remove("pathologyReports");
        using var unsatisfied = await _app.PostJsonAsync(Http.ServicePath, incomplete);
        Assert.Equal(HttpStatusCode.PreconditionFailed, unsatisfied.StatusCode);
        Assert.True(JsonNode.DeepEquals(operation["responses"]!["412"]!["content"]!["application/fhir+json"]!["example"], await unsatisfied.JsonAsync()));

        var example400 = operation["responses"]!["400"]!["content"]!["application/fhir+json"]!["example"]!;
        Assert.Equal(["hookInstance", "context.patientId"], example400["issue"]!.AsArray().Select(i => (string?)i!["expression"]![0]));
    }

    [Fact]
    public async Task Writing_the_document_is_not_counted_as_a_hook_call()
    {
        await DocumentAsync();
        await DocumentAsync();

        Assert.DoesNotContain(_app.Logs.GetSnapshot(), r => r.Id.Id is >= 2000 and < 4000);
    }

    [Fact]
    public async Task The_schemas_accept_every_sample_request_and_the_public_fixtures()
    {
        var (_, json) = await DocumentAsync();
        var hookRequest = Ref("HookRequestBody");

        foreach (var sample in SampleCase.LoadAll(TestFiles.Path("cases")))
        {
            AssertValid(json, hookRequest, SampleRequests.Build(sample, TestFiles.Templates, at: null, Guid.NewGuid()), sample.Id);
        }

        AssertValid(json, hookRequest, TestFiles.Fixture("hl7-spec/patient-view-request.json"), "spec request");
        // The sandbox's request lacks members CDS Hooks 2.0 requires, and the service refuses it
        // (NonConformantFixtureTests): so does the schema.
        Assert.False(Schema(json, hookRequest).Evaluate(TestFiles.Fixture("sandbox-cds-services/patient-greeting-requestWithSecuredFhirServer.json")).IsValid);
        AssertValid(json, Ref("FeedbackBody"), TestFiles.Fixture("hl7-spec/feedback-accepted.json"), "spec feedback");
        AssertValid(json, Ref("FeedbackBody"), TestFiles.Fixture("hl7-spec/feedback-overridden-with-reason.json"), "spec override");
        AssertValid(json, Ref("CdsResponse"), TestFiles.Fixture("hl7-spec/response-cards.json"), "spec cards");
        AssertValid(json, Ref("DiscoveryDocument"), TestFiles.Fixture("hl7-spec/discovery-response.json"), "spec discovery");
    }

    [Theory]
    [InlineData("hook", "\"order-select\"")]
    [InlineData("hookInstance", "\"not-a-uuid\"")]
    [InlineData("context", "{\"userId\": \"Practitioner/1\", \"patientId\": \"Patient/123\"}")]
    [InlineData("context", "{\"userId\": \"Device/1\", \"patientId\": \"123\"}")]
    [InlineData("context", "{\"patientId\": \"123\"}")]
    [InlineData("prefetch", "{\"patient\": {\"id\": \"no-resourceType\"}}")]
    [InlineData("fhirAuthorization", "{\"access_token\": \"t\", \"token_type\": \"Bearer\"}")]
    public async Task The_request_schema_rejects_what_the_service_rejects(string member, string value)
    {
        var (_, json) = await DocumentAsync();
        var request = TestFiles.Fixture("hl7-spec/patient-view-request.json").AsObject();
        request.Remove("fhirAuthorization");
        request["fhirServer"] = ServiceApp.TrustedFhirServer;
        request[member] = JsonNode.Parse(value);

        var result = Schema(json, Ref("HookRequestBody")).Evaluate(request, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });

        Assert.False(result.IsValid, $"{member}: {value} passed the schema");
        using var answer = await _app.PostJsonAsync(Http.ServicePath, request);
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
    }

    [Fact]
    public async Task Scalar_is_served_in_Development_with_its_script_from_the_service_and_no_fonts_or_telemetry()
    {
        using var page = await _app.GetAsync("/scalar/");
        var html = await page.TextAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<script src=\"scalar.js\"></script>", html, StringComparison.Ordinal);
        Assert.DoesNotMatch("src=\"https?://", html);
        Assert.Contains("\"withDefaultFonts\":false", html, StringComparison.Ordinal);
        Assert.Contains("\"telemetry\":false", html, StringComparison.Ordinal);
        Assert.Contains("\"agent\":{\"disabled\":true}", html, StringComparison.Ordinal);
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
        using var script = await _app.GetAsync("/scalar/scalar.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.True((await script.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken)).Length > 100_000);
    }

    private static JsonObject Ref(string component) => new() { ["$ref"] = "#/components/schemas/" + component };

    /// <summary>Every example in the document with its schema and where it is.</summary>
    private static IEnumerable<(string Where, JsonNode Schema, JsonNode Example)> Examples(JsonObject document)
    {
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var media = new List<(string, JsonNode?)>();
                media.AddRange((operation!["requestBody"]?["content"]?.AsObject() ?? []).Select(c => ($"{method} {path} request {c.Key}", c.Value)));
                foreach (var (status, response) in operation["responses"]!.AsObject())
                {
                    media.AddRange((response!["content"]?.AsObject() ?? []).Select(c => ($"{method} {path} {status} {c.Key}", c.Value)));
                }

                foreach (var (where, content) in media)
                {
                    if (content?["example"] is { } example)
                    {
                        yield return (where, content["schema"]!, example);
                    }

                    foreach (var (name, named) in content?["examples"]?.AsObject() ?? [])
                    {
                        yield return ($"{where} ({name})", content!["schema"]!, named!["value"]!);
                    }
                }
            }
        }
    }

    /// <summary>
    /// A JSON Schema (2020-12, as OpenAPI 3.1 uses) for <paramref name="schema"/>, with the
    /// document's components as its <c>$defs</c>.
    /// </summary>
    private static JsonSchema Schema(JsonObject document, JsonNode schema)
    {
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$defs"] = document["components"]!["schemas"]!.DeepClone(),
            ["allOf"] = new JsonArray(schema.DeepClone()),
        };
        return JsonSchema.FromText(root.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal));
    }

    private static void AssertValid(JsonObject document, JsonNode schema, JsonNode instance, string where)
    {
        var result = Schema(document, schema).Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        Assert.True(result.IsValid, $"{where}: " + string.Join("; ", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} {e.Key}: {e.Value}"))));
    }
}
