using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using KestrelServerOptions = Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions;
using Microsoft.Extensions.Options;
using PttmHooks.Clinical;
using PttmHooks.Reading.Fhir;
using PttmHooks.Reading.Gathering;
using PttmHooks.Service.Cards;
using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Fhir;
using PttmHooks.Service.Rule;
using PttmHooks.Service.Screening;
using PttmHooks.Service.Security;
using PttmHooks.Service.Telemetry;
using static Hl7.Fhir.Model.OperationOutcome;

namespace PttmHooks.Service.Hosting;

/// <summary>The service's registrations and middleware, one method per concern.</summary>
public static class HostingExtensions
{
    /// <summary>The CDS Hooks protocol, the PTTM screening service and their settings.</summary>
    public static WebApplicationBuilder AddPttmHooks(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);

        services.AddOptions<CdsOptions>().BindConfiguration(CdsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<CdsOptions>, CdsOptionsValidator>();
        services.AddOptions<CardOptions>().BindConfiguration(CardOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PttmRuleOptions>().BindConfiguration("Pttm:Rule");

        // Kestrel refuses larger bodies before they are buffered; RequestBody checks again.
        services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<CdsOptions>>((kestrel, cds) => kestrel.Limits.MaxRequestBodySize = cds.Value.MaxRequestBytes);

        services.AddSingleton(sp => new PttmRule(sp.GetRequiredService<IOptions<PttmRuleOptions>>().Value));
        services.AddSingleton(sp =>
        {
            var rule = sp.GetRequiredService<PttmRule>();
            return new CardComposer(sp.GetRequiredService<IOptions<CardOptions>>().Value, rule.DefaultOrder);
        });
        services.AddFhirFallback();
        services.AddFhirServerPolicy();
        services.AddCdsAuthentication();
        services.AddSingleton<RecordGatherer>();
        services.AddSingleton<ICdsService, PttmScreeningService>();
        services.AddSingleton<CdsCatalog>();
        services.AddSingleton<FeedbackRecorder>();
        services.AddBodyAdmission();
        services.AddGracefulShutdown();
        services.AddWarmUp();
        return builder;
    }

    /// <summary>
    /// Errors as OperationOutcome: an unhandled exception becomes a 500 that names the trace id and
    /// nothing else; an unknown path or method gets a 404/405 with the same shape.
    /// </summary>
    public static WebApplication UseOperationOutcomeErrors(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler(errors => errors.Run(async context =>
        {
            var traceId = Activity.Current?.Id ?? context.TraceIdentifier;
            var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("PttmHooks.Service.Errors");
            if (exception is BadHttpRequestException bad)
            {
                // Kestrel's own limits (body too large, a client that stops sending).
                await OperationOutcomeResult.Error(bad.StatusCode, $"The request could not be read: {bad.Message}", IssueType.Invalid).ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

            Log.Unhandled(logger, exception ?? new InvalidOperationException("unknown error"), context.Request.Method, context.Request.Path, traceId);
            await OperationOutcomeResult.Error(
                StatusCodes.Status500InternalServerError,
                $"The service failed to answer this request; it has been logged under trace id {traceId}. The service keeps running.",
                IssueType.Exception).ExecuteAsync(context).ConfigureAwait(false);
        }));
        app.UseStatusCodePages(async status =>
        {
            var context = status.HttpContext;
            var code = context.Response.StatusCode;
            var message = code switch
            {
                // The reason a token was refused is logged, never told: it would guide a forger.
                StatusCodes.Status401Unauthorized => "This endpoint requires a CDS client JWT from a trusted EHR (Authorization: Bearer <JWT>, CDS Hooks 2.0 \"Trusting CDS Clients\"); the token was missing or not accepted.",
                StatusCodes.Status404NotFound => $"Nothing is served at {context.Request.Path}; the CDS services are listed at GET /cds-services.",
                StatusCodes.Status405MethodNotAllowed => $"{context.Request.Method} is not allowed on {context.Request.Path}.",
                _ => $"The request failed with HTTP {code}.",
            };
            var type = code switch
            {
                StatusCodes.Status401Unauthorized => IssueType.Login,
                StatusCodes.Status404NotFound => IssueType.NotFound,
                _ => IssueType.NotSupported,
            };
            await OperationOutcomeResult.Error(code, message, type)
                .ExecuteAsync(context).ConfigureAwait(false);
        });
        return app;
    }

    /// <summary>
    /// In Development, Private Network Access preflights (<see cref="PrivateNetworkAccess"/>); CORS
    /// for browser-based clients, then CDS client authentication: the CDS endpoints require
    /// the <see cref="CdsAuthentication.Scheme"/> policy; documents and health endpoints do not.
    /// </summary>
    public static WebApplication UseCdsClientAuthentication(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Environment.IsDevelopment())
        {
            // Private Network Access: Chromium asks before a public page (the CDS Hooks Sandbox)
            // calls a service on localhost. Answered for an origin CORS allows, in Development only.
            app.Use(PrivateNetworkAccess.AllowForCorsOrigins);
        }

        app.UseCors();
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    /// <summary>
    /// <c>/health/live</c> (the process answers) and <c>/health/ready</c> (the warm-up done, every
    /// client's keys at hand, the replay cache reachable, not stopping): no authentication, no
    /// detail in the body.
    /// </summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") });
        return app;
    }

    /// <summary>
    /// The documents cards link to: the rule as a page (<c>/rule/{version}</c>, <c>/rule</c>
    /// redirecting to it) and as Markdown (<c>/docs/pttm-criteria.md</c>): <see cref="RulePage"/>.
    /// </summary>
    public static IEndpointRouteBuilder MapDocuments(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.MapRulePage();
    }

    /// <summary>Logs what a reader of the start-up log must know: services, limits, and loudly, disabled authentication.</summary>
    public static WebApplication LogStartup(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("PttmHooks.Service");
        var options = app.Services.GetRequiredService<IOptions<CdsOptions>>().Value;
        var catalog = app.Services.GetRequiredService<CdsCatalog>();
        if (!options.Authentication.Required)
        {
            Log.AuthenticationDisabled(logger, app.Environment.EnvironmentName);
        }

        var services = string.Join(", ", catalog.Document.Services.Select(s => $"{s.Id} ({s.Hook})"));
        Log.Ready(logger, services, options.MaxRequestBytes);
        return app;
    }
}
