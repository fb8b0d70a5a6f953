using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PttmHooks.Service.Tests.Robustness;

/// <summary>How the misbehaving FHIR server answers one prefetch key's query.</summary>
public enum FhirFault
{
    /// <summary>The searchset as it should be.</summary>
    None,
    /// <summary>The searchset mutated by <see cref="JsonMutator.Mutate"/> (values, shapes or bytes).</summary>
    Mutated,
    /// <summary>An invalid primitive in a resource the rule reads ("Final", a number as a string, an invalid date).</summary>
    InvalidPrimitive,
    /// <summary>The JSON cut short, with a Content-Length that matches what is sent.</summary>
    Truncated,
    /// <summary>The headers promise the whole body; the connection is dropped half-way.</summary>
    Aborted,
    /// <summary>Random bytes as application/fhir+json.</summary>
    Binary,
    /// <summary>An HTML error page, 200 text/html.</summary>
    Html,
    /// <summary>The searchset, but as text/html.</summary>
    WrongContentType,
    /// <summary>The searchset with no Content-Type at all.</summary>
    NoContentType,
    /// <summary>The headers at once, then the body a byte at a time, far slower than any budget.</summary>
    Trickle,
    /// <summary>Nothing for longer than the budget, then the searchset.</summary>
    SlowHeaders,
    /// <summary>500, 502, 503 or 504 on every attempt.</summary>
    ServerError,
    /// <summary>503 on the first attempt, the searchset after.</summary>
    Flaky,
    /// <summary>429 on every attempt (Retry-After 0, 1 or 30).</summary>
    TooManyRequests,
}

/// <summary>What the FHIR server answers for one prefetch key of one hook call.</summary>
/// <param name="Fault">How it misbehaves.</param>
/// <param name="Body">The body it sends (already mutated, truncated or random as the fault asks).</param>
/// <param name="Status">The status it answers with (for the error faults).</param>
/// <param name="RetryAfter">The Retry-After of a 429, in seconds.</param>
public sealed record FaultyAnswer(FhirFault Fault, byte[] Body, int Status = 200, int RetryAfter = 0);

/// <summary>
/// A FHIR server that misbehaves on purpose (issue 17), on Kestrel over real HTTP so that it can
/// trickle a body, drop a connection half-way or send no Content-Type. Each hook call uses its own
/// patient id, and the server answers each query of that patient from the call's plan: one
/// <see cref="FaultyAnswer"/> per prefetch key (the key is told from the query). Calls can run
/// concurrently; every answer is decided before the call, so a run depends only on the seed.
/// </summary>
public sealed class MisbehavingFhirServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, CallPlan> _plans = new(StringComparer.Ordinal);

    private MisbehavingFhirServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>The FHIR base, http://127.0.0.1:PORT/fhir.</summary>
    public string BaseUrl { get; }

    /// <summary>Starts the server on a free loopback port.</summary>
    public static async Task<MisbehavingFhirServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        MisbehavingFhirServer? server = null;
        app.Run(http => server!.AnswerAsync(http));
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new MisbehavingFhirServer(app, address.TrimEnd('/') + "/fhir");
        return server;
    }

    /// <summary>Sets what the server answers for <paramref name="patientId"/>'s queries, by prefetch key.</summary>
    public void Plan(string patientId, IReadOnlyDictionary<string, FaultyAnswer> answers) => _plans[patientId] = new CallPlan(answers);

    /// <summary>The prefetch key a query is for (the service's templates, told apart by their codes and categories).</summary>
    public static string? KeyOf(string path, string query)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(query);
        var q = Uri.UnescapeDataString(query);
        if (path.Contains("/Patient/", StringComparison.Ordinal))
        {
            return "patient";
        }

        if (path.EndsWith("/Condition", StringComparison.Ordinal))
        {
            return "conditions";
        }

        if (path.EndsWith("/Observation", StringComparison.Ordinal))
        {
            return q.Contains("59408-5", StringComparison.Ordinal) ? "oxygenation"
                : q.Contains("8440-0", StringComparison.Ordinal) ? "haemodynamics"
                : q.Contains("48065-7", StringComparison.Ordinal) ? "markers"
                : q.Contains("category=imaging", StringComparison.Ordinal) ? "studyObservations"
                : q.Contains("category=laboratory", StringComparison.Ordinal) ? "labObservations"
                : null;
        }

        if (path.EndsWith("/DiagnosticReport", StringComparison.Ordinal))
        {
            return q.Contains("category=RAD", StringComparison.Ordinal) ? "imagingReports"
                : q.Contains("category=CP", StringComparison.Ordinal) ? "pathologyReports"
                : q.Contains("category", StringComparison.Ordinal) ? null
                : "recentReports";
        }

        if (path.EndsWith("/DocumentReference", StringComparison.Ordinal))
        {
            return "notes";
        }

        return null;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task AnswerAsync(HttpContext http)
    {
        var path = http.Request.Path.Value ?? string.Empty;
        var query = http.Request.QueryString.Value ?? string.Empty;
        var patient = path.Contains("/Patient/", StringComparison.Ordinal)
            ? path[(path.LastIndexOf('/') + 1)..]
            : http.Request.Query["patient"].ToString();
        var key = KeyOf(path, query);
        if (key is null || !_plans.TryGetValue(patient, out var plan) || !plan.Answers.TryGetValue(key, out var answer))
        {
            await WriteAsync(http, 404, "application/fhir+json", Encoding.UTF8.GetBytes("""{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found","diagnostics":"no plan for this query"}]}"""));
            return;
        }

        var attempt = plan.Attempt(key);
        var cancel = http.RequestAborted;
        try
        {
            switch (answer.Fault)
            {
                case FhirFault.Aborted:
                    http.Response.StatusCode = 200;
                    http.Response.ContentType = "application/fhir+json";
                    http.Response.ContentLength = answer.Body.Length * 2L;
                    await http.Response.Body.WriteAsync(answer.Body, cancel);
                    await http.Response.Body.FlushAsync(cancel);
                    http.Abort();
                    return;
                case FhirFault.Html:
                    await WriteAsync(http, 200, "text/html", answer.Body);
                    return;
                case FhirFault.WrongContentType:
                    await WriteAsync(http, 200, "text/html; charset=utf-8", answer.Body);
                    return;
                case FhirFault.NoContentType:
                    await WriteAsync(http, 200, null, answer.Body);
                    return;
                case FhirFault.Trickle:
                    http.Response.StatusCode = 200;
                    http.Response.ContentType = "application/fhir+json";
                    await http.Response.StartAsync(cancel);
                    var clock = Stopwatch.StartNew();
                    for (var i = 0; i < answer.Body.Length && clock.Elapsed < TimeSpan.FromSeconds(6); i++)
                    {
                        await http.Response.Body.WriteAsync(answer.Body.AsMemory(i, 1), cancel);
                        await http.Response.Body.FlushAsync(cancel);
                        await Task.Delay(60, cancel);
                    }

                    return;
                case FhirFault.SlowHeaders:
                    await Task.Delay(TimeSpan.FromSeconds(4), cancel);
                    await WriteAsync(http, 200, "application/fhir+json", answer.Body);
                    return;
                case FhirFault.ServerError:
                    await WriteAsync(http, answer.Status, "application/fhir+json", answer.Body);
                    return;
                case FhirFault.Flaky when attempt == 0:
                    await WriteAsync(http, 503, "text/plain", Encoding.UTF8.GetBytes("busy"));
                    return;
                case FhirFault.TooManyRequests:
                    http.Response.Headers.RetryAfter = answer.RetryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    await WriteAsync(http, 429, "application/fhir+json", answer.Body);
                    return;
                default:
                    await WriteAsync(http, answer.Status, "application/fhir+json", answer.Body);
                    return;
            }
        }
        catch (OperationCanceledException)
        {
            // The service gave up on this answer (its budget or attempt timeout): what it should do.
        }
    }

    private static async Task WriteAsync(HttpContext http, int status, string? contentType, byte[] body)
    {
        http.Response.StatusCode = status;
        if (contentType is not null)
        {
            http.Response.ContentType = contentType;
        }

        http.Response.ContentLength = body.Length;
        await http.Response.Body.WriteAsync(body, http.RequestAborted);
    }

    private sealed class CallPlan(IReadOnlyDictionary<string, FaultyAnswer> answers)
    {
        private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);

        public IReadOnlyDictionary<string, FaultyAnswer> Answers => answers;

        /// <summary>The number of this attempt at <paramref name="key"/> (0 for the first).</summary>
        public int Attempt(string key) => _attempts.AddOrUpdate(key, 0, (_, n) => n + 1);
    }
}
