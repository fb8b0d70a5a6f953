using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PttmHooks.Clinical;
using PttmHooks.Reading;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Reading.Gathering;
using PttmHooks.Service.Cards;
using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Screening;
using PttmHooks.Service.Viewer;

namespace PttmHooks.Service.ApiDocs;

/// <summary>
/// The OpenAPI document's examples, made by the service itself from a sample patient (synthetic)
/// the first time the document is asked for: the hook request, with its dates moved to that time;
/// the card the rule gives for it; the feedback accepting that card; the 412 the same request gets
/// without two prefetch keys; the 400 of a malformed request; the discovery document.
/// </summary>
/// <remarks>
/// The card goes through the service's own steps (request parser, prefetch reader, gatherer, rule,
/// card composer) but not through the endpoint, so that writing the document never counts as a
/// hook call in the logs or metrics.
/// </remarks>
public sealed class ApiExamples(IServiceProvider services)
{
    /// <summary>The sample patient of the examples: critical card recommending wedged pulmonary artery cytology.</summary>
    public const string SampleId = "seed000-breast-perfusion-defects";

    private readonly Lazy<Task<ExampleSet>> _set = new(() => Build(services));

    /// <summary>The examples, made once.</summary>
    public Task<ExampleSet> GetAsync() => _set.Value;

    /// <summary>Every example, as JSON.</summary>
    /// <param name="Discovery">The discovery document.</param>
    /// <param name="HookRequest">The sample's hook request.</param>
    /// <param name="Cards">The service's answer to it.</param>
    /// <param name="Feedback">Feedback accepting the card's suggestion.</param>
    /// <param name="Override">Feedback overriding the card, with a reason.</param>
    /// <param name="Invalid">The 400 answer to a malformed request.</param>
    /// <param name="Unsatisfied">The 412 answer to the request without two prefetch keys.</param>
    public sealed record ExampleSet(JsonNode Discovery, JsonNode HookRequest, JsonNode Cards, JsonNode Feedback, JsonNode Override, JsonNode Invalid, JsonNode Unsatisfied);

    private static async Task<ExampleSet> Build(IServiceProvider services)
    {
        var catalog = services.GetRequiredService<CdsCatalog>();
        var time = services.GetRequiredService<TimeProvider>();
        var cds = services.GetRequiredService<IOptions<CdsOptions>>().Value;
        catalog.TryGet(PttmScreeningService.ServiceId, out var entry, out _);
        var templates = entry.Definition.Prefetch ?? new Dictionary<string, string>();
        var samples = services.GetRequiredService<ViewerSamples>();
        var now = time.GetUtcNow();
        var request = samples.Request(SampleId, templates, now)
            ?? throw new InvalidOperationException($"The sample {SampleId} is not embedded.");
        var baseUrl = cds.PublicBaseUrl is { } configured
            ? new Uri(configured.AbsoluteUri.EndsWith('/') ? configured.AbsoluteUri : configured.AbsoluteUri + "/")
            : new Uri("https://cds.example.org/");

        var cards = await CardsFor(services, request, entry, baseUrl).ConfigureAwait(false);
        var card = cards.Cards.Count > 0 ? cards.Cards[0] : null;
        var feedback = new JsonObject
        {
            ["feedback"] = new JsonArray(new JsonObject
            {
                ["card"] = card?.Uuid ?? "00000000-0000-8000-8000-000000000000",
                ["outcome"] = "accepted",
                ["acceptedSuggestions"] = new JsonArray(new JsonObject { ["id"] = (card?.Suggestions is { Count: > 0 } suggestions ? suggestions[0].Uuid : null) ?? "00000000-0000-8000-8000-000000000000" }),
                ["outcomeTimestamp"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            }),
        };
        var reason = card?.OverrideReasons is { Count: > 0 } reasons ? reasons[0] : null;
        var overridden = new JsonObject
        {
            ["feedback"] = new JsonArray(new JsonObject
            {
                ["card"] = card?.Uuid ?? "00000000-0000-8000-8000-000000000000",
                ["outcome"] = "overridden",
                ["overrideReason"] = new JsonObject
                {
                    ["reason"] = reason is null ? null : new JsonObject { ["code"] = reason.Code, ["system"] = reason.System, ["display"] = reason.Display },
                    ["userComment"] = "Cytology was sent yesterday.",
                },
                ["outcomeTimestamp"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            }),
        };

        var malformed = (JsonObject)request.DeepClone();
        malformed["hookInstance"] = "not-a-uuid";
        malformed["context"]!["patientId"] = "Patient/" + (string?)request["context"]!["patientId"];
        using var malformedDocument = JsonDocument.Parse(malformed.ToJsonString());
        var (_, issues) = HookRequestParser.Parse(malformedDocument.RootElement, entry.Definition.Hook);
        var invalid = OperationOutcomeResult.Error(StatusCodes.Status400BadRequest, issues).ToOperationOutcome();

        var incomplete = (JsonObject)request.DeepClone();
        var prefetch = incomplete["prefetch"]!.AsObject();
        prefetch.Remove("imagingReports");
        prefetch.Remove("pathologyReports");
        var unsatisfied = await UnsatisfiedFor(services, incomplete, entry, baseUrl).ConfigureAwait(false);

        return new ExampleSet(
            JsonSerializer.SerializeToNode(catalog.Document, CdsJson.Wire)!,
            request,
            JsonSerializer.SerializeToNode(cards, CdsJson.Wire)!,
            feedback,
            overridden,
            JsonSerializer.SerializeToNode(invalid, FhirJsonFormat.Options)!,
            unsatisfied);
    }

    private static async Task<CdsResponse> CardsFor(IServiceProvider services, JsonObject request, CatalogEntry entry, Uri baseUrl)
    {
        using var document = JsonDocument.Parse(request.ToJsonString());
        var (hook, issues) = HookRequestParser.Parse(document.RootElement, entry.Definition.Hook);
        if (hook is null)
        {
            throw new InvalidOperationException("The example request does not parse: " + string.Join("; ", issues.Select(i => i.Message)));
        }

        var (prefetch, prefetchIssues) = PrefetchReader.Read(hook, entry.Templates);
        if (prefetch is null)
        {
            throw new InvalidOperationException("The example prefetch does not read: " + string.Join("; ", prefetchIssues.Select(i => i.Message)));
        }

        var gathered = await services.GetRequiredService<RecordGatherer>().GatherAsync(hook, prefetch, CancellationToken.None).ConfigureAwait(false);
        var assessment = services.GetRequiredService<PttmRule>().Evaluate(PatientRecord.FromResources(gathered.Resources), services.GetRequiredService<TimeProvider>());
        var cards = services.GetRequiredService<CardComposer>().Compose(assessment, new CardContext(
            hook.Context.PatientId,
            hook.Context.EncounterId,
            new Uri(baseUrl, PttmHooks.Service.Rule.RulePage.RelativePath),
            gathered.Notes));
        return new CdsResponse(cards);
    }

    private static async Task<JsonNode> UnsatisfiedFor(IServiceProvider services, JsonObject request, CatalogEntry entry, Uri baseUrl)
    {
        using var document = JsonDocument.Parse(request.ToJsonString());
        var (hook, _) = HookRequestParser.Parse(document.RootElement, entry.Definition.Hook);
        var (prefetch, _) = PrefetchReader.Read(hook!, entry.Templates);

        // The service itself, with its log muted: this is not a hook call. (The 412 path records no metric.)
        var service = new PttmScreeningService(
            services.GetRequiredService<PttmRule>(),
            services.GetRequiredService<CardComposer>(),
            services.GetRequiredService<RecordGatherer>(),
            services.GetRequiredService<AttachmentReader>(),
            services.GetRequiredService<ResultFetcher>(),
            services.GetRequiredService<TimeProvider>(),
            NullLogger<PttmScreeningService>.Instance);
        var result = await service.InvokeAsync(new CdsInvocation(hook!, entry, prefetch!, baseUrl), CancellationToken.None).ConfigureAwait(false);
        return result.Error is { } error
            ? JsonSerializer.SerializeToNode(error.ToOperationOutcome(), FhirJsonFormat.Options)!
            : throw new InvalidOperationException("The example without imaging and pathology reports was answered; a 412 was expected.");
    }
}
