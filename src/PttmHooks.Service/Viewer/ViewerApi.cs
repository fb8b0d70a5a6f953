using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Cors;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Service.ApiDocs;
using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Screening;
using static Hl7.Fhir.Model.OperationOutcome;

namespace PttmHooks.Service.Viewer;

/// <summary>
/// The card viewer: a page at <c>/</c> that posts hook requests to the real CDS endpoint and shows
/// the cards as an EHR would, and the small endpoints it needs under <c>/viewer/</c>. None of it
/// exists unless <see cref="ViewerOptions.Enabled"/> (by default: in Development only).
/// </summary>
public static class ViewerApi
{
    /// <summary>
    /// The largest body the viewer's own endpoints read (a card's Markdown detail, a token request).
    /// A card's detail is a few KB (its evidence rows are bounded whatever the chart's size).
    /// </summary>
    public const long MaxBodyBytes = 256 * 1024;

    /// <summary>
    /// The rate-limiting policy of <c>/viewer/markdown</c>, the one viewer endpoint that does work
    /// for whoever calls it without a token: at most <see cref="MarkdownPermits"/> renders at once
    /// and <see cref="MarkdownQueue"/> waiting; beyond that, 503 with <c>Retry-After</c>. It matters
    /// only where the viewer is switched on outside Development.
    /// </summary>
    public const string MarkdownLimiter = "viewer-markdown";

    /// <summary>Markdown renders at once.</summary>
    public const int MarkdownPermits = 2;

    /// <summary>Markdown renders waiting for a permit.</summary>
    public const int MarkdownQueue = 8;

    // The page loads only its own files and calls only this service: no CDN, no font host, no
    // inline script or style, no framing, no plugins.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);
    private static readonly DisableCorsAttribute s_noCors = new();

    private static readonly (string Path, string Resource, string ContentType)[] s_assets =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/viewer/viewer.css", "viewer.css", "text/css; charset=utf-8"),
        ("/viewer/viewer.js", "viewer.js", "text/javascript; charset=utf-8"),
    ];

    /// <summary>Registers the viewer's settings (checked at start-up), its samples and its token signer.</summary>
    public static IServiceCollection AddViewer(this IServiceCollection services)
    {
        services.AddOptions<ViewerOptions>().BindConfiguration(ViewerOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ViewerOptions>, ViewerOptionsValidator>();
        services.AddSingleton<ViewerSamples>();
        services.AddSingleton<DevelopmentTokens>();
        services.AddRateLimiter(limits =>
        {
            limits.AddConcurrencyLimiter(MarkdownLimiter, concurrency =>
            {
                concurrency.PermitLimit = MarkdownPermits;
                concurrency.QueueLimit = MarkdownQueue;
                concurrency.QueueProcessingOrder = System.Threading.RateLimiting.QueueProcessingOrder.OldestFirst;
            });
            limits.OnRejected = (context, _) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
                return new ValueTask(OperationOutcomeResult.Error(
                    StatusCodes.Status503ServiceUnavailable,
                    $"The viewer renders at most {MarkdownPermits} card details at once ({MarkdownQueue} waiting); try again in a second.",
                    IssueType.Throttled).ExecuteAsync(context.HttpContext));
            };
        });
        return services;
    }

    /// <summary>Maps the page and <c>/viewer/…</c> when the viewer is enabled; otherwise maps nothing.</summary>
    public static WebApplication MapViewer(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<ViewerOptions>>().Value;
        if (!options.IsEnabled(app.Environment))
        {
            return app;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ViewerApi));
        var tokens = app.Services.GetRequiredService<DevelopmentTokens>();
        if (!app.Environment.IsDevelopment())
        {
            ViewerLog.EnabledOutsideDevelopment(logger, app.Environment.EnvironmentName);
        }

        ViewerLog.Enabled(logger, app.Environment.EnvironmentName, tokens.Available ? $"signed as client '{tokens.ClientName}'" : $"none ({tokens.Unavailable})");

        foreach (var (path, resource, contentType) in s_assets)
        {
            app.MapGet(path, (HttpContext http) => Asset(http, resource, contentType)).ExcludeFromDescription().WithMetadata(s_noCors);
        }

        app.UseRateLimiter();

        // Same-origin only: no CORS policy applies to the page or its endpoints.
        var viewer = app.MapGroup("/viewer").ExcludeFromDescription().WithMetadata(s_noCors);
        viewer.MapGet("/config", GetConfig);
        viewer.MapGet("/samples", GetSamples);
        viewer.MapGet("/samples/{id}/request", GetSampleRequest);
        viewer.MapPost("/markdown", PostMarkdown).RequireRateLimiting(MarkdownLimiter);
        if (tokens.Available)
        {
            viewer.MapPost("/token", PostToken);
        }

        return app;
    }

    private static IResult Asset(HttpContext http, string resource, string contentType)
    {
        var stream = typeof(ViewerApi).Assembly.GetManifestResourceStream("PttmHooks.Service.Viewer." + resource)!;
        Harden(http.Response);
        return Results.Stream(stream, contentType);
    }

    internal static IResult GetConfig(CdsCatalog catalog, DevelopmentTokens tokens, IOptions<CdsOptions> cds, IHostEnvironment environment)
    {
        var service = catalog.Document.Services.First(s => s.Id == PttmScreeningService.ServiceId);
        return Json(new ViewerConfig(
            new ViewerService(service.Id, service.Title ?? service.Id, $"/cds-services/{service.Id}", $"/cds-services/{service.Id}/feedback"),
            new ViewerAuthentication(cds.Value.Authentication.Required, tokens.Available, tokens.Available ? null : tokens.Unavailable),
            ApiDocsExtensions.ScalarEnabled(environment) ? ApiDocsExtensions.ScalarPath : null));
    }

    internal static IResult GetSamples(ViewerSamples samples) => Json(samples.All);

    internal static IResult GetSampleRequest(string id, ViewerSamples samples, CdsCatalog catalog, TimeProvider time)
    {
        catalog.TryGet(PttmScreeningService.ServiceId, out var entry, out _);
        var request = samples.Request(id, entry.Definition.Prefetch ?? new Dictionary<string, string>(), time.GetUtcNow());
        return request is null
            ? OperationOutcomeResult.Error(StatusCodes.Status404NotFound, $"There is no sample patient '{(id.Length > 64 ? id[..64] + "…" : id)}'; GET /viewer/samples lists them.", IssueType.NotFound)
            : Json(request);
    }

    internal static async Task<IResult> PostMarkdown(HttpContext http, CancellationToken cancellationToken)
    {
        var (document, error) = await RequestBody.ReadJsonAsync(http.Request, MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        using (document)
        {
            var issues = new List<RequestIssue>();
            var markdown = document!.RootElement.ValueKind == JsonValueKind.Object
                ? JsonMembers.Required(document.RootElement, "markdown", issues)
                : null;
            if (markdown is null)
            {
                return OperationOutcomeResult.Error(StatusCodes.Status400BadRequest, issues.Count > 0 ? issues : [new RequestIssue(null, "The body must be {\"markdown\": \"…\"}.", IssueType.Structure)]);
            }

            return Json(new { html = SafeMarkdown.ToHtml(markdown) });
        }
    }

    internal static async Task<IResult> PostToken(
        HttpContext http, DevelopmentTokens tokens, CdsCatalog catalog, IOptions<CdsOptions> cds, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(ViewerApi));
        if (NotLocal(http, cds.Value) is { } reason)
        {
            ViewerLog.TokenRefusedNotLocal(logger, reason);
            return OperationOutcomeResult.Error(StatusCodes.Status403Forbidden, "Development tokens are signed for local callers only (a loopback address, Host localhost).", IssueType.Forbidden);
        }

        var (document, error) = await RequestBody.ReadJsonAsync(http.Request, 4096, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        using (document)
        {
            var issues = new List<RequestIssue>();
            var path = document!.RootElement.ValueKind == JsonValueKind.Object ? JsonMembers.Required(document.RootElement, "path", issues) : null;
            if (path is null || !IsCdsEndpoint(path, catalog))
            {
                return OperationOutcomeResult.Error(StatusCodes.Status400BadRequest, issues.Count > 0 ? issues :
                [
                    new RequestIssue("path", "path must be one of this service's CDS endpoints: /cds-services, /cds-services/{id} or /cds-services/{id}/feedback for a listed service id.", IssueType.Value),
                ]);
            }

            var url = new Uri(CdsHooksApi.PublicBaseUrl(http.Request, cds.Value), path.TrimStart('/'));
            var token = tokens.Sign(url);
            ViewerLog.TokenSigned(logger, tokens.ClientName!, path);
            http.Response.Headers.CacheControl = "no-store";
            return Json(new { token, expiresIn = (int)DevelopmentTokens.Lifetime.TotalSeconds });
        }
    }

    /// <summary>Why the caller is not local (a non-loopback peer, or a Host a DNS-rebinding page would send), or null.</summary>
    internal static string? NotLocal(HttpContext http, CdsOptions cds)
    {
        // No address: TestServer in-process or a Unix socket, both local by nature.
        if (http.Connection.RemoteIpAddress is { } peer && !IPAddress.IsLoopback(peer))
        {
            return "remote address";
        }

        var host = http.Request.Host.Host;
        var local = host is "localhost" or "127.0.0.1" or "[::1]" or "::1"
            || string.Equals(host, cds.PublicBaseUrl?.Host, StringComparison.OrdinalIgnoreCase);
        return local ? null : "Host header";
    }

    private static bool IsCdsEndpoint(string path, CdsCatalog catalog)
    {
        if (path == "/cds-services")
        {
            return true;
        }

        const string prefix = "/cds-services/";
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = path[prefix.Length..];
        var id = rest.EndsWith("/feedback", StringComparison.Ordinal) ? rest[..^"/feedback".Length] : rest;
        return catalog.Document.Services.Any(s => s.Id == id);
    }

    private static IResult Json<T>(T value) => Results.Json(value, s_json, "application/json");

    private static void Harden(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.CacheControl = "no-cache";
    }

    private sealed record ViewerConfig(ViewerService Service, ViewerAuthentication Authentication, string? ApiReference);

    private sealed record ViewerService(string Id, string Title, string Path, string FeedbackPath);

    private sealed record ViewerAuthentication(bool Required, bool DevelopmentTokens, string? NoTokensBecause);
}
