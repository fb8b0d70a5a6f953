using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using WireMock;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;
using PttmHooks.Reading;
using PttmHooks.Reading.Samples;

namespace PttmHooks.Service.Tests.Support;

/// <summary>
/// A FHIR server over real HTTP (WireMock) that holds <see cref="Resource"/>s in memory: reads
/// (<c>GET [base]/Type/id</c>, 404 with an OperationOutcome when absent) and searches
/// (<c>GET [base]/Type?…</c>) answered by <see cref="TemplateSearch"/>, with paging links. A
/// search parameter TemplateSearch does not implement is a 400 with an OperationOutcome.
/// </summary>
public sealed class FhirServerFake : IDisposable
{
    private const string FhirJson = "application/fhir+json";
    private readonly IReadOnlyList<Resource> _resources;
    private readonly int? _pageSize;

    private FhirServerFake(WireMockServer server, IReadOnlyList<Resource> resources, int? pageSize)
    {
        Server = server;
        _resources = resources;
        _pageSize = pageSize;
        BaseUrl = new Uri(server.Url!.TrimEnd('/') + "/fhir");
    }

    /// <summary>The WireMock server (to add mappings or read its log).</summary>
    public WireMockServer Server { get; }

    /// <summary>The FHIR base, <c>http://localhost:PORT/fhir</c> (no trailing slash).</summary>
    public Uri BaseUrl { get; }

    /// <summary>Every request received, in the order received: the path and query as sent, and the Authorization header.</summary>
    public IReadOnlyList<(string PathAndQuery, string? Authorization)> Requests => RequestsOf(Server);

    /// <summary>The requests any WireMock server received, in order: path and query as received, and the Authorization header.</summary>
    public static IReadOnlyList<(string PathAndQuery, string? Authorization)> RequestsOf(WireMockServer server) =>
        [.. server.LogEntries
            .OrderBy(e => e.RequestMessage.DateTime)
            .Select(e => (e.RequestMessage.Path + e.RequestMessage.RawQuery, Authorization(e.RequestMessage)))];

    /// <summary>
    /// Starts a server holding <paramref name="resources"/>. With <paramref name="pageSize"/>, a
    /// search returns at most that many matches a page (its <c>_count</c> is lowered, or added), so
    /// that a client has to follow <c>next</c> links; <paramref name="delay"/> delays every answer.
    /// </summary>
    public static FhirServerFake Start(IEnumerable<Resource> resources, int? pageSize = null, TimeSpan? delay = null)
    {
        ArgumentNullException.ThrowIfNull(resources);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize ?? 1, 1, nameof(pageSize));
        var server = WireMockServer.Start();
        var fake = new FhirServerFake(server, [.. resources], pageSize);
        var response = Response.Create().WithCallback(fake.Answer);
        if (delay is { } wait)
        {
            response = response.WithDelay(wait);
        }

        server.Given(Request.Create().UsingGet().WithPath(new WildcardMatcher("/fhir/*"))).RespondWith(response);
        return fake;
    }

    /// <summary>
    /// The resources of a sample case's <c>bundle.json</c>: <paramref name="caseFolder"/> is a case
    /// id (a folder of samples/cases, copied to TestData/cases) or a folder path.
    /// </summary>
    public static IReadOnlyList<Resource> LoadCase(string caseFolder)
    {
        ArgumentNullException.ThrowIfNull(caseFolder);
        var folder = System.IO.Path.IsPathRooted(caseFolder) ? caseFolder : System.IO.Path.Combine(AppContext.BaseDirectory, "TestData", "cases", caseFolder);
        using var stream = File.OpenRead(System.IO.Path.Combine(folder, "bundle.json"));
        var bundle = JsonSerializer.Deserialize<Bundle>(stream, FhirJsonFormat.Options)
            ?? throw new InvalidOperationException($"{folder}/bundle.json is empty.");
        return [.. bundle.Entry.Select(e => e.Resource).OfType<Resource>()];
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Server.Stop();
        Server.Dispose();
    }

    private ResponseMessage Answer(IRequestMessage request)
    {
        var relative = request.Path["/fhir/".Length..];
        var query = request.RawQuery?.TrimStart('?') ?? "";
        var isSearch = query.Length > 0 || !relative.Contains('/', StringComparison.Ordinal);
        if (isSearch && _pageSize is { } pageSize)
        {
            query = WithPageSize(query, pageSize);
        }

        Resource? result;
        try
        {
            result = TemplateSearch.Run(isSearch ? $"{relative}?{query}" : relative, _resources, BaseUrl);
        }
        catch (Exception e) when (e is NotSupportedException or FormatException)
        {
            return Fhir(HttpStatusCode.BadRequest, Outcome(OperationOutcome.IssueType.NotSupported, e.Message));
        }

        return result is null
            ? Fhir(HttpStatusCode.NotFound, Outcome(OperationOutcome.IssueType.NotFound, $"{relative} is not known."))
            : Fhir(HttpStatusCode.OK, result);
    }

    /// <summary>The query with <c>_count</c> lowered to <paramref name="pageSize"/>, or <c>_count=pageSize</c> appended.</summary>
    private static string WithPageSize(string query, int pageSize)
    {
        var found = false;
        var pairs = query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(pair =>
        {
            if (!pair.StartsWith("_count=", StringComparison.Ordinal))
            {
                return pair;
            }

            found = true;
            return int.TryParse(pair["_count=".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var asked)
                ? "_count=" + Math.Min(asked, pageSize).ToString(CultureInfo.InvariantCulture)
                : pair; // TemplateSearch answers a value that is not a count with a 400
        }).ToList();
        if (!found)
        {
            pairs.Add("_count=" + pageSize.ToString(CultureInfo.InvariantCulture));
        }

        return string.Join('&', pairs);
    }

    private static OperationOutcome Outcome(OperationOutcome.IssueType code, string diagnostics) => new()
    {
        Issue = [new OperationOutcome.IssueComponent { Severity = OperationOutcome.IssueSeverity.Error, Code = code, Diagnostics = diagnostics }],
    };

    private static ResponseMessage Fhir(HttpStatusCode status, Resource body) => new()
    {
        StatusCode = (int)status,
        Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new(FhirJson) },
        BodyData = new BodyData
        {
            BodyAsString = JsonSerializer.Serialize(body, FhirJsonFormat.Options),
            DetectedBodyType = BodyType.String,
            Encoding = Encoding.UTF8,
        },
    };

    private static string? Authorization(IRequestMessage request) =>
        request.Headers?.FirstOrDefault(h => string.Equals(h.Key, "Authorization", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();
}
