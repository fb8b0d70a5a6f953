using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using PttmHooks.Service.CdsHooks;
using Scalar.AspNetCore;
using PttmHooks.Reading;
using PttmHooks.Reading.CdsHooks;

namespace PttmHooks.Service.ApiDocs;

/// <summary>
/// The OpenAPI 3.1 document of the service (<c>/openapi/v1.json</c>, always served: it describes a
/// public standard's endpoints and holds no secret), and the Scalar API reference at
/// <c>/scalar</c> in Development, with its script served by the service itself.
/// </summary>
public static class ApiDocsExtensions
{
    /// <summary>The document's name (its path is <c>/openapi/{name}.json</c>).</summary>
    public const string DocumentName = "v1";

    /// <summary>The path of the document.</summary>
    public const string DocumentPath = "/openapi/" + DocumentName + ".json";

    /// <summary>The path of the Scalar API reference (Development only).</summary>
    public const string ScalarPath = "/scalar";

    /// <summary>The name of the bearer JWT security scheme.</summary>
    public const string SecurityScheme = "cdsClientJwt";

    /// <summary>Registers the document, its transformers and its examples.</summary>
    public static IServiceCollection AddApiDocs(this IServiceCollection services)
    {
        services.AddSingleton<ApiExamples>();

        // FHIR resources in minimal-API JSON are FHIR JSON (Firely's converters), never the SDK's
        // object graph; the schema generator then sees them as opaque and CdsHooksDocument
        // describes them.
        services.ConfigureHttpJsonOptions(json =>
        {
            foreach (var converter in FhirJsonFormat.Options.Converters)
            {
                json.SerializerOptions.Converters.Add(converter);
            }
        });
        services.AddOpenApi(DocumentName, options =>
        {
            options.CreateSchemaReferenceId = CdsHooksDocument.SchemaId;
            options.AddSchemaTransformer(CdsHooksDocument.TransformSchema);
            options.AddOperationTransformer(CdsHooksDocument.TransformOperationAsync);
            options.AddDocumentTransformer(CdsHooksDocument.TransformDocumentAsync);
        });
        return services;
    }

    /// <summary>Whether the Scalar API reference is served: in Development.</summary>
    public static bool ScalarEnabled(IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment.IsDevelopment();
    }

    /// <summary>Maps the document, and in Development the Scalar API reference.</summary>
    public static WebApplication MapApiDocs(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapOpenApi("/openapi/{documentName}.json");
        if (ScalarEnabled(app.Environment))
        {
            // Scalar.AspNetCore serves its bundled script from /scalar/scalar.js; nothing is loaded
            // from a CDN or a font host, no telemetry is sent, the AI agent is off.
            app.MapScalarApiReference(ScalarPath, scalar =>
            {
                scalar.Title = "PttmHooks CDS Hooks API";
                scalar.DefaultFonts = false;
                scalar.Telemetry = false;
                scalar.HideClientButton = false;
                scalar.Agent = new ScalarAgentOptions { Disabled = true };
                scalar.Mcp = new ScalarMcpOptions { Disabled = true };
                scalar.AddDocument(DocumentName);
            });
        }

        return app;
    }
}

/// <summary>What the generated document needs beyond the endpoints' metadata.</summary>
internal static class CdsHooksDocument
{
    private static readonly string[] s_severities = ["fatal", "error", "warning", "information"];

    // Values of string members that CDS Hooks 2.0 enumerates.
    private static readonly Dictionary<(Type Type, string Property), string[]> s_enums = new()
    {
        [(typeof(Card), "indicator")] = ["info", "warning", "critical"],
        [(typeof(Card), "selectionBehavior")] = ["at-most-one", "any"],
        [(typeof(CdsAction), "type")] = ["create", "update", "delete"],
        [(typeof(CardLink), "type")] = ["absolute", "smart"],
        [(typeof(HookRequestBody), "hook")] = ["patient-view"],
        [(typeof(FhirAuthorizationBody), "token_type")] = ["Bearer"],
        [(typeof(FeedbackEntryBody), "outcome")] = ["accepted", "overridden"],
    };

    /// <summary>Component names: FHIR types by their resource name, the rest by their type name.</summary>
    public static string? SchemaId(System.Text.Json.Serialization.Metadata.JsonTypeInfo type) =>
        type.Type == typeof(OperationOutcome) ? "OperationOutcome"
        : typeof(Resource).IsAssignableFrom(type.Type) ? "FhirResource"
        : OpenApiOptions.CreateDefaultSchemaReferenceId(type);

    public static System.Threading.Tasks.Task TransformSchema(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (type == typeof(OperationOutcome))
        {
            DescribeOperationOutcome(schema);
        }
        else if (typeof(Resource).IsAssignableFrom(type))
        {
            schema.Type = JsonSchemaType.Object;
            schema.Description = "A FHIR R4 resource in FHIR JSON (a searchset Bundle, a Patient, an OperationOutcome, a ServiceRequest …).";
            schema.Required = new HashSet<string> { "resourceType" };
            schema.Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["resourceType"] = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[A-Z][A-Za-z]+$" },
                ["id"] = new OpenApiSchema { Type = JsonSchemaType.String },
            };
        }

        if (context.JsonPropertyInfo is { } property && s_enums.TryGetValue((property.DeclaringType, property.Name), out var values))
        {
            schema.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
        }

        return System.Threading.Tasks.Task.CompletedTask;
    }

    private static void DescribeOperationOutcome(OpenApiSchema schema)
    {
        schema.Type = JsonSchemaType.Object;
        schema.Description = "A FHIR R4 OperationOutcome (application/fhir+json): every problem found, each with a sentence and, for a request problem, its path in the body.";
        schema.Required = new HashSet<string> { "resourceType", "issue" };
        schema.Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["resourceType"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("OperationOutcome")] },
            ["issue"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                MinItems = 1,
                Items = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string> { "severity", "code" },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["severity"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. s_severities.Select(v => (JsonNode)JsonValue.Create(v))] },
                        ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "FHIR issue type (invalid, required, security, login, not-found, incomplete, …)." },
                        ["diagnostics"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What was wrong and what is expected." },
                        ["expression"] = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Array,
                            Description = "Where: a path into the request body (context.patientId, prefetch.conditions).",
                            Items = new OpenApiSchema { Type = JsonSchemaType.String },
                        },
                    },
                },
            },
        };
    }

    public static async System.Threading.Tasks.Task TransformOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var path = "/" + (context.Description.RelativePath ?? string.Empty).TrimEnd('/');
        var method = context.Description.HttpMethod;
        var examples = await context.ApplicationServices.GetRequiredService<ApiExamples>().GetAsync().ConfigureAwait(false);
        operation.Tags = new HashSet<OpenApiTagReference> { new(path.StartsWith("/cds-services", StringComparison.Ordinal) ? "CDS Hooks" : "Documents", context.Document) };
        switch (method, path)
        {
            case ("GET", "/cds-services"):
                operation.OperationId = "discovery";
                operation.Summary = "Discovery: the CDS services, their hooks and prefetch templates";
                Secure(operation, context.Document);
                Example(operation, "200", "application/json", examples.Discovery);
                break;
            case ("POST", "/cds-services/{id}"):
                operation.OperationId = "callService";
                operation.Summary = "Call a CDS service (patient-view): the cards for the chart being opened";
                operation.Description =
                    "Prefetch values are checked against their templates; a search key left out (or an OperationOutcome) is fetched from fhirServer " +
                    "with fhirAuthorization's token, within a 2 s budget. A key still missing is a 412 naming it, unless what arrived settles the answer. " +
                    "An empty cards list means nothing applies.";
                Secure(operation, context.Document);
                ServiceId(operation);
                await BodyAsync(operation, context, typeof(HookRequestBody), cancellationToken).ConfigureAwait(false);
                Example(operation, "request", "application/json", examples.HookRequest);
                Example(operation, "200", "application/json", examples.Cards);
                Example(operation, "400", OperationOutcomeResult.FhirJson, examples.Invalid);
                Example(operation, "412", OperationOutcomeResult.FhirJson, examples.Unsatisfied);
                break;
            case ("POST", "/cds-services/{id}/feedback"):
                operation.OperationId = "feedback";
                operation.Summary = "Feedback: what the user did with a card (accepted, overridden)";
                operation.Description = "Each entry is logged (never the comment) and counted; a repeat within 24 hours is acknowledged and not counted again.";
                Secure(operation, context.Document);
                ServiceId(operation);
                await BodyAsync(operation, context, typeof(FeedbackBody), cancellationToken).ConfigureAwait(false);
                Example(operation, "request", "application/json", examples.Feedback);
                if (operation.RequestBody?.Content?.TryGetValue("application/json", out var body) == true && body is OpenApiMediaType media)
                {
                    media.Examples = new Dictionary<string, IOpenApiExample>
                    {
                        ["accepted"] = new OpenApiExample { Summary = "The card's suggestion accepted", Value = examples.Feedback.DeepClone() },
                        ["overridden"] = new OpenApiExample { Summary = "The card overridden, with a reason and a comment", Value = examples.Override.DeepClone() },
                    };
                    media.Example = null;
                }

                break;
            case ("GET", "/docs/pttm-criteria.md"):
                operation.OperationId = "rule";
                operation.Summary = "The screening rule as Markdown (no authentication); a browser (Accept: text/html) is redirected to the rule page";
                operation.Security = [];
                break;
            case ("GET", "/rule/{version}"):
                operation.OperationId = "rulePage";
                operation.Summary = "The screening rule as a page, the card's source and rule link (HTML; no authentication); /rule redirects to the current version";
                operation.Security = [];
                break;
        }

        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (response is OpenApiResponse concrete)
            {
                concrete.Description = Describe(status, concrete.Description);
            }
        }
    }

    // The body is declared here, not with Accepts<T>() on the endpoint: that metadata would make
    // routing answer 415 before the handler, which answers 404 for an unknown service first.
    private static async System.Threading.Tasks.Task BodyAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, Type body, CancellationToken cancellationToken)
    {
        var schema = await context.GetOrCreateSchemaAsync(body, null, cancellationToken).ConfigureAwait(false);
        context.Document?.AddComponent(body.Name, schema);
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new() { Schema = new OpenApiSchemaReference(body.Name, context.Document) },
            },
        };
    }

    private static void Secure(OpenApiOperation operation, OpenApiDocument? document)
    {
        operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiDocsExtensions.SecurityScheme, document)] = [] }];
    }

    private static void ServiceId(OpenApiOperation operation)
    {
        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter is OpenApiParameter { Name: "id" } id)
            {
                id.Description = "The service id from discovery.";
                id.Example = JsonValue.Create("pttm-screening");
            }
        }
    }

    private static void Example(OpenApiOperation operation, string where, string mediaType, JsonNode example)
    {
        var content = where == "request"
            ? operation.RequestBody?.Content
            : operation.Responses?.TryGetValue(where, out var response) == true ? response.Content : null;
        if (content?.TryGetValue(mediaType, out var media) == true && media is OpenApiMediaType concrete)
        {
            concrete.Example = example.DeepClone();
        }
    }

    private static string Describe(string status, string? generated) => status switch
    {
        "200" => generated is null or "OK" ? "OK" : generated,
        "400" => "The request is not valid: an OperationOutcome lists every problem with its path (also an untrusted fhirServer, code security).",
        "401" => "No client JWT, or one not accepted (the reason is logged, never told). WWW-Authenticate: Bearer.",
        "404" => "No such service id.",
        "412" => "A prefetch key is unsatisfied and could not be fetched from fhirServer; each issue names the key and why.",
        "413" => "The body is larger than Cds:MaxRequestBytes.",
        "415" => "The body is not JSON (Content-Type application/json or +json, UTF-8).",
        _ => generated ?? status,
    };

    public static async System.Threading.Tasks.Task TransformDocumentAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "PttmHooks CDS Hooks service",
            Version = "1.0.0",
            Description =
                "A CDS Hooks 2.0 service (https://cds-hooks.hl7.org/2.0/) that screens for pulmonary tumour thrombotic microangiopathy on patient-view. " +
                "The CDS endpoints need a JWT signed by a trusted CDS client (CDS Hooks \"Trusting CDS Clients\"): aud is the URL called, jti is accepted once. " +
                "Every error is a FHIR OperationOutcome. The examples are made by the service from a synthetic sample patient.",
        };

        // The server is the URL EHRs call (Cds:PublicBaseUrl), else the one this document was asked at.
        var publicBase = context.ApplicationServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<CdsOptions>>().Value.PublicBaseUrl;
        if (publicBase is not null)
        {
            document.Servers = [new OpenApiServer { Url = publicBase.AbsoluteUri.TrimEnd('/') }];
        }
        else
        {
            foreach (var server in document.Servers ?? [])
            {
                server.Url = server.Url?.TrimEnd('/');
            }
        }

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
        {
            [ApiDocsExtensions.SecurityScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description =
                    "A JWT signed by a trusted CDS client with an asymmetric key (ES256/384/512, RS256/384/512, PS256/384/512) whose kid is in the client's key set: " +
                    "iss the client's issuer, aud the URL of the endpoint called, exp and iat (at most 1 h apart), a jti used once, tenant when configured.",
            },
        };
        document.Tags = new HashSet<OpenApiTag>
        {
            new() { Name = "CDS Hooks", Description = "Discovery, service calls and feedback (CDS Hooks 2.0)." },
            new() { Name = "Documents", Description = "Documents the cards link to." },
            new() { Name = "Health", Description = "Liveness and readiness probes." },
        };

        // A prefetch value is a FHIR resource, or null for "no data" (the generator loses a
        // dictionary's values when they are FHIR resources).
        if (document.Components.Schemas?.TryGetValue(nameof(HookRequestBody), out var hookRequest) == true
            && hookRequest.Properties?.TryGetValue("prefetch", out var prefetch) == true && prefetch is OpenApiSchema prefetchSchema)
        {
            prefetchSchema.AdditionalProperties = new OpenApiSchema
            {
                OneOf = [new OpenApiSchemaReference("FhirResource", document), new OpenApiSchema { Type = JsonSchemaType.Null }],
            };
        }

        document.Paths ??= [];
        document.Paths["/health/live"] = Probe("live", "The process answers: Healthy.", "Healthy");
        document.Paths["/health/ready"] = Probe("ready", "The warm-up has run (when Cds:WarmUp:Enabled), every client's keys are at hand and the replay cache is reachable: Healthy; otherwise 503 Unhealthy.", "Healthy");

        // CDS Hooks: "no null or empty values": optional members are left out, never null. The
        // generator allows null on nullable members; the wire never sends it (prefetch values,
        // where null means "no data", are additionalProperties and keep it).
        foreach (var schema in (document.Components.Schemas ?? new Dictionary<string, IOpenApiSchema>()).Values.OfType<OpenApiSchema>())
        {
            foreach (var (name, property) in (schema.Properties ?? new Dictionary<string, IOpenApiSchema>()).ToList())
            {
                if (property is OpenApiSchema concrete && concrete.Type is { } t && t.HasFlag(JsonSchemaType.Null) && t != JsonSchemaType.Null)
                {
                    concrete.Type = t & ~JsonSchemaType.Null;
                }
                else if (property is OpenApiSchema { OneOf.Count: 2 } either && either.OneOf.FirstOrDefault(s => s.Type != JsonSchemaType.Null) is { } nonNull
                    && either.OneOf.Any(s => s.Type == JsonSchemaType.Null))
                {
                    schema.Properties![name] = nonNull;
                }
            }
        }

        await System.Threading.Tasks.Task.CompletedTask.ConfigureAwait(false);
    }

    private static OpenApiPathItem Probe(string name, string description, string body) => new()
    {
        Operations = new Dictionary<HttpMethod, OpenApiOperation>
        {
            [HttpMethod.Get] = new()
            {
                OperationId = name,
                Summary = description,
                Security = [],
                Tags = new HashSet<OpenApiTagReference> { new("Health") },
                Responses = new OpenApiResponses
                {
                    ["200"] = new OpenApiResponse
                    {
                        Description = "Healthy",
                        Content = new Dictionary<string, OpenApiMediaType> { ["text/plain"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String }, Example = JsonValue.Create(body) } },
                    },
                    ["503"] = new OpenApiResponse
                    {
                        Description = "Unhealthy",
                        Content = new Dictionary<string, OpenApiMediaType> { ["text/plain"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String }, Example = JsonValue.Create("Unhealthy") } },
                    },
                },
            },
        },
    };
}
