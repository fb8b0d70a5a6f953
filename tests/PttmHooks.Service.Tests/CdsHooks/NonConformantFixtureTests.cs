using System.Net;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.CdsHooks;

/// <summary>
/// Requests from HAPI FHIR and sandbox-cds-services (tests/TestData/cds-hooks/hapi,
/// sandbox-cds-services) that are not CDS Hooks 2.0 patient-view requests: each is a 400 whose
/// OperationOutcome names what is wrong, never a 500 and never cards.
/// </summary>
public sealed class NonConformantFixtureTests(AppHost host) : IClassFixture<AppHost>
{
    private ServiceApp App => host.App;

    public static TheoryData<string, string[]> Requests() => new()
    {
        // "Hook Name", no hookInstance, no userId, patientId "Patient/123".
        { "hapi/CdsServiceRequestJson.json", ["hook", "hookInstance", "context.userId", "context.patientId"] },
        // order-sign, hookInstance not a UUID, empty scope, no userId, patientId "Patient/123".
        { "hapi/ASLPCrdServiceRequest.json", ["hook", "hookInstance", "fhirAuthorization.scope", "context.userId", "context.patientId"] },
        // No hookInstance, no context (and a Patient without resourceType, never read).
        { "sandbox-cds-services/patient-greeting-requestWithPrefetch.json", ["hookInstance", "context"] },
        { "sandbox-cds-services/patient-greeting-requestWithoutPrefetch.json", ["hookInstance", "context"] },
        // fhirAuthorization with only access_token; no hookInstance; no userId.
        { "sandbox-cds-services/patient-greeting-requestWithSecuredFhirServer.json", ["hookInstance", "fhirAuthorization.token_type", "fhirAuthorization.expires_in", "fhirAuthorization.scope", "fhirAuthorization.subject", "context.userId"] },
        { "sandbox-cds-services/patient-greeting-requestWithOpenFhirServer.json", ["hookInstance", "context.userId"] },
        // order-select, and a placeholder for hookInstance.
        { "sandbox-cds-services/pama-imaging-s1r1.json", ["hook", "hookInstance"] },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task Non_conformant_request_is_400_naming_each_problem(string fixture, string[] expressions)
    {
        using var response = await App.PostJsonAsync(Http.ServicePath, TestFiles.Fixture(fixture));

        var issues = await response.ErrorAsync(HttpStatusCode.BadRequest);
        Assert.Equal(expressions.Order(StringComparer.Ordinal), issues.Expressions().Order(StringComparer.Ordinal));
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Sandbox_malformed_body_is_400()
    {
        using var response = await App.PostAsync(Http.ServicePath, TestFiles.FixtureText("sandbox-cds-services/malformed-body.txt"));

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Contains("not valid JSON", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }
}
