using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Hosting;
using Task = System.Threading.Tasks.Task;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using PttmHooks.Reading;
using PttmHooks.Reading.Samples;

namespace PttmHooks.Benchmarks;

/// <summary>
/// The load test's helpers (bench/load/run.sh): the request bodies, and a FHIR server that answers
/// every query after a fixed delay.
/// </summary>
public static class LoadTools
{
    /// <summary>
    /// Writes into <paramref name="folder"/>, with dates moved to now: <c>seed004.json</c> (the seed004
    /// sample with full prefetch, the discovery templates as they are), <c>samples/&lt;case&gt;.json</c> (every
    /// sample), <c>large-5000.json</c> (seed004 grown to 5,000 prefetched resources, templates uncapped),
    /// and <c>fallback.json</c> (seed004 with no prefetch, naming <paramref name="fhirServer"/>).
    /// </summary>
    public static int WriteRequests(string folder, string fhirServer)
    {
        var now = TimeProvider.System.GetUtcNow();
        Directory.CreateDirectory(Path.Combine(folder, "samples"));
        var templates = HookRequests.Templates(uncapped: false);
        foreach (var sample in SampleCase.LoadAll(Charts.Root))
        {
            var request = SampleRequests.Build(sample, templates, now, Guid.NewGuid());
            File.WriteAllText(Path.Combine(folder, "samples", sample.Id + ".json"), request.ToJsonString());
        }

        var seed = Charts.Load(Charts.SeedCase);
        Write(folder, "seed004.json", HookRequests.For(seed, now, uncapped: false));
        Write(folder, "large-5000.json", HookRequests.For(HookRequests.PrefetchChart(seed, Charts.LargeSize), now));
        Write(folder, "fallback.json", HookRequests.For(seed, now, uncapped: false, omit: [.. templates.Keys], fhirServer: fhirServer));
        return 0;
    }

    /// <summary>
    /// Serves seed004's resources (dates moved to now) as a FHIR server at <c>http://127.0.0.1:PORT/fhir</c>,
    /// answering every read and search after <paramref name="delay"/>. Answers are computed once per URL
    /// (<see cref="TemplateSearch"/>) and then served from memory, so the server's own time stays small
    /// beside the delay.
    /// </summary>
    public static async System.Threading.Tasks.Task<int> ServeFhirAsync(int port, TimeSpan delay)
    {
        var seed = Charts.Load(Charts.SeedCase);
        var bundle = JsonNode.Parse(Charts.ToJson(seed.Bundle))!;
        SampleRequests.ShiftDates(bundle, TimeProvider.System.GetUtcNow() - seed.Now);
        var resources = bundle.Deserialize<Bundle>(FhirJsonFormat.Options)!.Entry.Select(e => e.Resource).OfType<Resource>().ToList();
        var baseUrl = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/fhir");
        var answers = new ConcurrentDictionary<string, (int Status, string Body)>(StringComparer.Ordinal);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls(baseUrl.GetLeftPart(UriPartial.Authority));
        var app = builder.Build();
        app.MapGet("/fhir/{**path}", async (HttpContext http, string path) =>
        {
            await Task.Delay(delay, http.RequestAborted).ConfigureAwait(false);
            var relative = path + http.Request.QueryString.Value;
            var (status, body) = answers.GetOrAdd(relative, url =>
            {
                try
                {
                    return TemplateSearch.Run(url, resources, baseUrl) is { } found
                        ? (200, JsonSerializer.Serialize(found, FhirJsonFormat.Options))
                        : (404, """{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found"}]}""");
                }
                catch (Exception e) when (e is NotSupportedException or FormatException)
                {
                    return (400, """{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-supported"}]}""");
                }
            });
            http.Response.StatusCode = status;
            http.Response.ContentType = "application/fhir+json";
            await http.Response.WriteAsync(body, http.RequestAborted).ConfigureAwait(false);
        });
        Console.WriteLine($"FHIR server at {baseUrl} ({resources.Count} resources of {Charts.SeedCase}), every answer after {delay.TotalMilliseconds} ms");
        await app.RunAsync().ConfigureAwait(false);
        return 0;
    }

    private static void Write(string folder, string name, HookRequestBody request)
    {
        File.WriteAllBytes(Path.Combine(folder, name), request.Body);
        Console.WriteLine($"{name}: {request}");
    }
}
