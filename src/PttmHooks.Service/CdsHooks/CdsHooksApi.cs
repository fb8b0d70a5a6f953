using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Reading.Gathering;
using PttmHooks.Service.Fhir;
using PttmHooks.Service.Security;
using PttmHooks.Service.Telemetry;
using static Hl7.Fhir.Model.OperationOutcome;

namespace PttmHooks.Service.CdsHooks;

/// <summary>The CDS Hooks 2.0 endpoints: discovery, service calls, feedback.</summary>
public static class CdsHooksApi
{
    /// <summary>Maps <c>/cds-services</c>.</summary>
    public static RouteGroupBuilder MapCdsHooks(this IEndpointRouteBuilder app)
    {
        var hooks = app.MapGroup("/cds-services").RequireAuthorization(CdsAuthentication.Scheme)
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status401Unauthorized, typeof(OperationOutcome), [OperationOutcomeResult.FhirJson]));
        hooks.MapGet("", GetDiscovery)
            .Produces<DiscoveryDocument>(contentType: "application/json");
        hooks.MapPost("/{id}", InvokeService)
            .WithMetadata(HookCallEndpoint.Marker)
            .Produces<CdsResponse>(contentType: "application/json")
            .Produces<OperationOutcome>(StatusCodes.Status400BadRequest, OperationOutcomeResult.FhirJson)
            .Produces<OperationOutcome>(StatusCodes.Status404NotFound, OperationOutcomeResult.FhirJson)
            .Produces<OperationOutcome>(StatusCodes.Status412PreconditionFailed, OperationOutcomeResult.FhirJson)
            .Produces<OperationOutcome>(StatusCodes.Status413PayloadTooLarge, OperationOutcomeResult.FhirJson)
            .Produces<OperationOutcome>(StatusCodes.Status415UnsupportedMediaType, OperationOutcomeResult.FhirJson)
            .Produces<OperationOutcome>(StatusCodes.Status503ServiceUnavailable, OperationOutcomeResult.FhirJson);
        hooks.MapPost("/{id}/feedback", PostFeedback)
            .Produces(StatusCodes.Status200OK)
            .Produces<OperationOutcome>(StatusCodes.Status400BadRequest, OperationOutcomeResult.FhirJson)
            .Produces<OperationOutcome>(StatusCodes.Status404NotFound, OperationOutcomeResult.FhirJson)
            .Produces<OperationOutcome>(StatusCodes.Status413PayloadTooLarge, OperationOutcomeResult.FhirJson)
            .Produces<OperationOutcome>(StatusCodes.Status415UnsupportedMediaType, OperationOutcomeResult.FhirJson);
        return hooks;
    }

    internal static IResult GetDiscovery(CdsCatalog catalog) =>
        Results.Json(catalog.Document, CdsJson.Wire, "application/json");

    /// <remarks>
    /// Its metrics, span attributes and the call's log event are written by
    /// <see cref="HookCallTelemetry"/> from what this handler notes in the <see cref="HookCall"/> feature.
    /// </remarks>
    internal static async Task<IResult> InvokeService(
        string id,
        HttpContext http,
        CdsCatalog catalog,
        FhirServerPolicy fhirServers,
        IOptions<CdsOptions> options,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(CdsHooksApi));
        var call = http.Features.Get<HookCall>() ?? new HookCall();
        var result = await Answer(id, http, catalog, fhirServers, options.Value, call, cancellationToken).ConfigureAwait(false);
        switch (result)
        {
            case (var cards, null):
                call.Cards = cards!.Cards.Count;
                return Results.Json(cards, CdsJson.Wire, "application/json");
            case (_, { } error):
                Log.HookRejected(logger, error.StatusCode, error.Issues.Count, (error.Issues.Count > 0 ? error.Issues[0].Expression : null));
                return error;
        }
    }

    private static async Task<(CdsResponse? Cards, OperationOutcomeResult? Error)> Answer(
        string id, HttpContext http, CdsCatalog catalog, FhirServerPolicy fhirServers, CdsOptions options, HookCall call, CancellationToken cancellationToken)
    {
        if (!catalog.TryGet(id, out var entry, out var service))
        {
            return (null, UnknownService(id));
        }

        call.Hook = entry.Definition.Hook;

        var (document, bodyError) = await RequestBody.ReadJsonAsync(http.Request, options.MaxRequestBytes, cancellationToken).ConfigureAwait(false);
        if (bodyError is not null)
        {
            return (null, bodyError);
        }

        using (document)
        {
            var (request, issues) = HookRequestParser.Parse(document!.RootElement, entry.Definition.Hook);
            if (request is null)
            {
                return (null, OperationOutcomeResult.Error(StatusCodes.Status400BadRequest, issues));
            }

            call.PatientId = request.Context.PatientId;
            call.HookInstance = request.HookInstance.ToString("D");

            // Before anything may leave for it: an untrusted fhirServer is refused outright.
            if (request.FhirServer is { } server && fhirServers.Check(server, CdsAuthentication.ClientOf(http)) is { } serverIssue)
            {
                return (null, OperationOutcomeResult.Error(StatusCodes.Status400BadRequest, [serverIssue]));
            }

            var (prefetch, prefetchIssues) = PrefetchReader.Read(request, entry.Templates);
            if (prefetch is null)
            {
                return (null, OperationOutcomeResult.Error(StatusCodes.Status400BadRequest, prefetchIssues));
            }

            var invocation = new CdsInvocation(request, entry, prefetch, PublicBaseUrl(http.Request, options));
            var outcome = await service.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
            call.FhirQueries = outcome.FhirQueries;
            return outcome.Error is { } error ? (null, error) : (new CdsResponse(outcome.Cards!), null);
        }
    }

    internal static async Task<IResult> PostFeedback(
        string id,
        HttpContext http,
        CdsCatalog catalog,
        FeedbackRecorder recorder,
        IOptions<CdsOptions> options,
        CancellationToken cancellationToken)
    {
        if (!catalog.TryGet(id, out _, out var service))
        {
            return UnknownService(id);
        }

        var (document, bodyError) = await RequestBody.ReadJsonAsync(http.Request, options.Value.MaxRequestBytes, cancellationToken).ConfigureAwait(false);
        if (bodyError is not null)
        {
            return bodyError;
        }

        using (document)
        {
            var (entries, issues) = FeedbackParser.Parse(document!.RootElement);
            if (issues.Count > 0)
            {
                return OperationOutcomeResult.Error(StatusCodes.Status400BadRequest, issues);
            }

            recorder.Record(service, entries);
            return Results.Ok();
        }
    }

    private static OperationOutcomeResult UnknownService(string id) => OperationOutcomeResult.Error(
        StatusCodes.Status404NotFound,
        $"There is no CDS service '{(id.Length > 64 ? id[..64] + "…" : id)}' here; GET /cds-services lists the services.",
        IssueType.NotFound);

    /// <summary>The service's public base URL, ending in '/'.</summary>
    internal static Uri PublicBaseUrl(HttpRequest request, CdsOptions options)
    {
        var configured = options.PublicBaseUrl?.AbsoluteUri ?? $"{request.Scheme}://{request.Host}{request.PathBase}";
        return new Uri(configured.EndsWith('/') ? configured : configured + "/");
    }
}
