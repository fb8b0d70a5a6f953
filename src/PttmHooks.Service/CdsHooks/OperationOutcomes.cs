using System.Text.Json;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Http.Metadata;
using PttmHooks.Reading;
using PttmHooks.Reading.CdsHooks;
using static Hl7.Fhir.Model.OperationOutcome;

namespace PttmHooks.Service.CdsHooks;

/// <summary>
/// An error answer: an HTTP status with an OperationOutcome body that says what was wrong. Every
/// error the service gives has this shape; none carries a stack trace.
/// </summary>
public sealed class OperationOutcomeResult : IResult, IStatusCodeHttpResult, IContentTypeHttpResult, IEndpointMetadataProvider
{
    /// <summary>The media type of FHIR JSON.</summary>
    public const string FhirJson = "application/fhir+json";

    private OperationOutcomeResult(int statusCode, IReadOnlyList<RequestIssue> issues, IssueSeverity severity)
    {
        StatusCode = statusCode;
        Issues = issues;
        Severity = severity;
    }

    /// <inheritdoc />
    public int StatusCode { get; }

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    /// <inheritdoc />
    public string ContentType => FhirJson;

    /// <summary>The issues the body lists.</summary>
    public IReadOnlyList<RequestIssue> Issues { get; }

    /// <summary>The severity of every issue.</summary>
    public IssueSeverity Severity { get; }

    /// <summary>An error with one issue.</summary>
    public static OperationOutcomeResult Error(int statusCode, string message, IssueType type = IssueType.Invalid, string? expression = null) =>
        new(statusCode, [new RequestIssue(expression, message, type)], IssueSeverity.Error);

    /// <summary>An error with several issues.</summary>
    public static OperationOutcomeResult Error(int statusCode, IReadOnlyList<RequestIssue> issues) => new(statusCode, issues, IssueSeverity.Error);

    /// <summary>The OperationOutcome resource.</summary>
    public OperationOutcome ToOperationOutcome()
    {
        var outcome = new OperationOutcome();
        foreach (var issue in Issues)
        {
            var item = new IssueComponent { Severity = Severity, Code = issue.Type, Diagnostics = issue.Message };
            if (issue.Expression is not null)
            {
                item.Expression = [issue.Expression];
            }

            outcome.Issue.Add(item);
        }

        return outcome;
    }

    /// <inheritdoc />
    public System.Threading.Tasks.Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        httpContext.Response.StatusCode = StatusCode;
        httpContext.Response.ContentType = FhirJson;
        return JsonSerializer.SerializeAsync(httpContext.Response.Body, ToOperationOutcome(), FhirJsonFormat.Options, httpContext.RequestAborted);
    }

    /// <inheritdoc />
    public static void PopulateMetadata(System.Reflection.MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status400BadRequest, typeof(OperationOutcome), [FhirJson]));
    }
}
