using System.Net;
using System.Text.Json.Nodes;
using PttmHooks.Reading.Samples;

namespace PttmHooks.Service.Tests.Support;

/// <summary>A shared ServiceApp for a test class whose tests do not change settings.</summary>
public sealed class AppHost : IDisposable
{
    public ServiceApp App { get; } = new();

    public void Dispose() => App.Dispose();
}

/// <summary>Calls and checks shared by the endpoint tests.</summary>
public static class Http
{
    public const string ServicePath = "/cds-services/pttm-screening";
    public const string FeedbackPath = "/cds-services/pttm-screening/feedback";

    /// <summary>GETs <paramref name="path"/>.</summary>
    public static async Task<HttpResponseMessage> GetAsync(this ServiceApp app, string path)
    {
        using var client = app.CreateClient();
        return await client.GetAsync(new Uri(path, UriKind.Relative), TestContext.Current.CancellationToken);
    }

    /// <summary>The body as text.</summary>
    public static Task<string> TextAsync(this HttpResponseMessage response) =>
        response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

    /// <summary>
    /// Checks an error answer: the status, an OperationOutcome body (application/fhir+json) whose
    /// issues say what was wrong, and no stack trace or exception name. Returns the issues.
    /// </summary>
    public static async Task<IReadOnlyList<(string Diagnostics, string? Expression, string Code)>> ErrorAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.TextAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        var issues = await response.IssuesAsync();
        Assert.All(issues, i => Assert.False(string.IsNullOrWhiteSpace(i.Diagnostics)));
        return issues;
    }

    /// <summary>The expressions of the issues.</summary>
    public static IReadOnlyList<string?> Expressions(this IReadOnlyList<(string Diagnostics, string? Expression, string Code)> issues) =>
        [.. issues.Select(i => i.Expression)];

    /// <summary>After an error, the service still answers discovery.</summary>
    public static async Task StillAnswersDiscoveryAsync(this ServiceApp app)
    {
        using var response = await app.GetAsync("/cds-services");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.NotEmpty(body["services"]!.AsArray());
    }

    /// <summary>A sample case of samples/cases by id.</summary>
    public static SampleCase Case(string id) => SampleCase.Load(TestFiles.Path("cases", id));

    /// <summary>
    /// The hook request for sample case <paramref name="id"/> with prefetch filled from the discovery
    /// templates (less <paramref name="omit"/>), and the app's clock set to the case's evaluatedAt.
    /// </summary>
    public static JsonObject CaseRequest(this ServiceApp app, string id, params string[] omit)
    {
        var sample = Case(id);
        app.Time.SetUtcNow(sample.EvaluatedAt);
        return SampleRequests.Build(sample, TestFiles.Templates, at: null, Guid.NewGuid(), omit);
    }

    /// <summary>A minimal valid patient-view request with every prefetch key null (no data).</summary>
    public static JsonObject MinimalRequest()
    {
        var prefetch = new JsonObject();
        foreach (var key in TestFiles.Templates.Keys)
        {
            prefetch[key] = null;
        }

        return new JsonObject
        {
            ["hookInstance"] = Guid.NewGuid().ToString("D"),
            ["hook"] = "patient-view",
            ["context"] = new JsonObject { ["userId"] = "Practitioner/example", ["patientId"] = "p1" },
            ["prefetch"] = prefetch,
        };
    }

    /// <summary>Every resource in the searchset Bundles of <paramref name="request"/>'s prefetch with id <paramref name="id"/>.</summary>
    public static IReadOnlyList<JsonObject> PrefetchedResources(JsonObject request, string id) =>
        [.. request["prefetch"]!.AsObject()
            .Select(p => p.Value)
            .OfType<JsonObject>()
            .Where(v => (string?)v["resourceType"] == "Bundle")
            .SelectMany(b => b["entry"] as JsonArray ?? [])
            .Select(e => e!["resource"])
            .OfType<JsonObject>()
            .Where(r => (string?)r["id"] == id)];

    /// <summary>The search keys of the discovery entry (templates with a '?'): those the service needs.</summary>
    public static IReadOnlyList<string> SearchKeys { get; } =
        [.. TestFiles.Templates.Where(t => t.Value.Contains('?', StringComparison.Ordinal)).Select(t => t.Key).Order(StringComparer.Ordinal)];
}
