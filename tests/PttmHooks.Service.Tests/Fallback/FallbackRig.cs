using System.Text.Json.Nodes;
using PttmHooks.Service.Tests.CdsHooks;
using PttmHooks.Service.Tests.Support;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace PttmHooks.Service.Tests.Fallback;

/// <summary>
/// The service in-process with a WireMock.Net FHIR server it trusts (Cds:FhirServers:0). By
/// default every search answers an empty searchset and every Patient read 404; tests add their
/// own answers at a higher priority.
/// </summary>
public sealed class FallbackRig : IDisposable
{
    public const string Token = "fallback-token-7c1e9a42d0";
    public const string EmptyBundle = """{"resourceType":"Bundle","type":"searchset","total":0}""";

    public FallbackRig(IReadOnlyDictionary<string, string?>? settings = null)
    {
        Fhir = WireMockServer.Start();
        var all = new Dictionary<string, string?>
        {
            ["Cds:FhirServers:0"] = FhirBase,
            ["Cds:Fallback:RetryDelay"] = "00:00:00.010",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            // "{base}" stands for this rig's FHIR base, which exists only once WireMock has started.
            all[key] = value?.Replace("{base}", FhirBase, StringComparison.Ordinal);
        }

        App = new ServiceApp(all);
        AnswerDefaults();
    }

    public WireMockServer Fhir { get; }

    public ServiceApp App { get; }

    /// <summary>The FHIR base, e.g. http://localhost:PORT/fhir.</summary>
    public string FhirBase => Fhir.Url + "/fhir";

    /// <summary>Empty searches and 404 reads, below every test's own mappings.</summary>
    public void AnswerDefaults()
    {
        Fhir.Given(Request.Create().WithPath(new WildcardMatcher("/fhir/*")).UsingGet()).AtPriority(100)
            .RespondWith(FhirJson(200, EmptyBundle));
        Fhir.Given(Request.Create().WithPath(new WildcardMatcher("/fhir/Patient/*")).UsingGet()).AtPriority(99)
            .RespondWith(FhirJson(404, Outcome("not-found", "no such patient")));
    }

    /// <summary>A FHIR JSON answer.</summary>
    public static IResponseBuilder FhirJson(int status, string body) =>
        Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/fhir+json").WithBody(body);

    /// <summary>An OperationOutcome body.</summary>
    public static string Outcome(string code, string diagnostics) =>
        $$"""{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"{{code}}","diagnostics":"{{diagnostics}}"}]}""";

    /// <summary>
    /// Sample case <paramref name="caseId"/> as a hook request naming this FHIR server with the
    /// token, and the prefetch values it would have had for the <paramref name="omit"/>ted keys
    /// (what the FHIR server should answer for them).
    /// </summary>
    public (JsonObject Request, IReadOnlyDictionary<string, JsonNode?> Omitted) CaseRequest(string caseId, params string[] omit)
    {
        var full = App.CaseRequest(caseId);
        var prefetch = full["prefetch"]!.AsObject();
        var omitted = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var key in omit)
        {
            omitted[key] = prefetch[key]?.DeepClone();
            prefetch.Remove(key);
        }

        full["fhirServer"] = FhirBase;
        full["fhirAuthorization"] = ErrorAnswerTests.Authorization(Token);
        return (full, omitted);
    }

    /// <summary>
    /// Adds a final radiology DiagnosticReport of <paramref name="code"/> whose text is only
    /// <paramref name="attachment"/> (its presentedForm) to <paramref name="request"/>'s imaging reports.
    /// </summary>
    public static JsonObject AddImagingReport(JsonObject request, string id, JsonObject code, string date, JsonObject attachment, JsonArray? contained = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var report = new JsonObject
        {
            ["resourceType"] = "DiagnosticReport",
            ["id"] = id,
            ["status"] = "final",
            ["category"] = new JsonArray(new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v2-0074", ["code"] = "RAD" }) }),
            ["code"] = code,
            ["subject"] = new JsonObject { ["reference"] = "Patient/" + (string)request["context"]!["patientId"]! },
            ["effectiveDateTime"] = date,
            ["presentedForm"] = new JsonArray(attachment),
        };
        if (contained is not null)
        {
            report["contained"] = contained;
        }

        var bundle = request["prefetch"]!["imagingReports"]!.AsObject();
        if (bundle["entry"] is not JsonArray entries)
        {
            entries = [];
            bundle["entry"] = entries;
        }

        entries.Add(new JsonObject { ["resource"] = report });
        return request;
    }

    /// <summary>Answers the search of <paramref name="resourceType"/> whose query contains <paramref name="marker"/>.</summary>
    public IRespondWithAProvider Search(string resourceType, string? marker = null)
    {
        var request = Request.Create().WithPath("/fhir/" + resourceType).UsingGet();
        if (marker is not null)
        {
            request = request.WithUrl(new WildcardMatcher("*" + marker + "*", ignoreCase: true));
        }

        return Fhir.Given(request).AtPriority(10);
    }

    /// <summary>The requests the FHIR server received, in order: path and query, and the Authorization header.</summary>
    public IReadOnlyList<(string PathAndQuery, string? Authorization)> Requests => FhirServerFake.RequestsOf(Fhir);

    public Task<HttpResponseMessage> PostAsync(JsonObject request) => App.PostJsonAsync(Http.ServicePath, request);

    public void Dispose()
    {
        App.Dispose();
        Fhir.Stop();
        Fhir.Dispose();
    }
}
