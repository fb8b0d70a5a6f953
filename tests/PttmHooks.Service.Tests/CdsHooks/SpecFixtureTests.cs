using System.Net;
using System.Text.Json.Nodes;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.CdsHooks;

/// <summary>The examples of the CDS Hooks 2.0.1 specification (tests/TestData/cds-hooks/hl7-spec).</summary>
public sealed class SpecFixtureTests(AppHost host) : IClassFixture<AppHost>
{
    private ServiceApp App => host.App;

    [Fact]
    public async Task Spec_patient_view_request_naming_an_http_fhirServer_off_the_allowlist_is_400_naming_fhirServer()
    {
        // Its fhirServer (http://hooks.smarthealthit.org:9080) is plain http to a public host and
        // not this deployment's: refused before anything is fetched, never 500. The same request
        // pointed at a trusted server is answered from it (FallbackTests).
        using var response = await App.PostJsonAsync(Http.ServicePath, TestFiles.Fixture("hl7-spec/patient-view-request.json"));

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("fhirServer", issue.Expression);
        Assert.Equal("security", issue.Code);
        Assert.Contains("https", issue.Diagnostics, StringComparison.Ordinal);
        Assert.DoesNotContain("some-opaque-fhir-access-token", await response.TextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Spec_request_with_extension_and_no_patientId_is_400_naming_context_patientId()
    {
        using var response = await App.PostJsonAsync(Http.ServicePath, TestFiles.Fixture("hl7-spec/request-with-extension.json"));

        var issues = await response.ErrorAsync(HttpStatusCode.BadRequest);
        // The extension is ignored; only the missing patientId is wrong.
        var issue = Assert.Single(issues);
        Assert.Equal("context.patientId", issue.Expression);
        Assert.Contains("context.patientId", issue.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Discovery_returns_exactly_the_services_of_cds_services_json()
    {
        using var response = await App.GetAsync("/cds-services");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var actual = await response.JsonAsync();
        using var stream = typeof(CdsDiscovery).Assembly.GetManifestResourceStream(CdsDiscovery.ResourceName)!;
        var expected = JsonNode.Parse(stream)!;
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {TestFiles.Show(expected)}\nactual {TestFiles.Show(actual)}");
    }

    [Fact]
    public async Task Discovery_has_no_null_or_empty_values_and_the_members_the_spec_requires()
    {
        using var response = await App.GetAsync("/cds-services");
        var body = await response.JsonAsync();

        var problems = new List<string>();
        NoNullOrEmpty(body, "$", problems);
        Assert.Empty(problems);
        var services = body["services"]!.AsArray();
        Assert.NotEmpty(services);
        foreach (var service in services)
        {
            Assert.False(string.IsNullOrEmpty((string?)service!["hook"]));
            Assert.False(string.IsNullOrEmpty((string?)service["id"]));
            Assert.False(string.IsNullOrEmpty((string?)service["description"]));
        }
    }

    private static void NoNullOrEmpty(JsonNode? node, string path, List<string> problems)
    {
        switch (node)
        {
            case null:
                problems.Add($"{path} is null");
                break;
            case JsonObject obj:
                if (obj.Count == 0)
                {
                    problems.Add($"{path} is an empty object");
                }

                foreach (var (name, value) in obj)
                {
                    NoNullOrEmpty(value, $"{path}.{name}", problems);
                }

                break;
            case JsonArray array:
                if (array.Count == 0)
                {
                    problems.Add($"{path} is an empty array");
                }

                for (var i = 0; i < array.Count; i++)
                {
                    NoNullOrEmpty(array[i], $"{path}[{i}]", problems);
                }

                break;
            case JsonValue value when value.TryGetValue<string>(out var text) && string.IsNullOrWhiteSpace(text):
                problems.Add($"{path} is an empty string");
                break;
        }
    }
}
