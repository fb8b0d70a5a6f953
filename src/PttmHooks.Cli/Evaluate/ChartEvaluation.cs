using System.Text.Json;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using PttmHooks.Clinical;
using PttmHooks.Clinical.Assessment;
using PttmHooks.Reading;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Reading.Gathering;

namespace PttmHooks.Cli.Evaluate;

/// <summary>Where an evaluated chart came from.</summary>
internal enum ChartSourceKind
{
    /// <summary>A FHIR Bundle file.</summary>
    Bundle,
    /// <summary>A CDS Hooks request file (its prefetch, and its fhirServer for what prefetch lacks).</summary>
    HookRequest,
    /// <summary>A FHIR server, queried with the discovery templates.</summary>
    Fhir,
}

/// <summary>One evaluated chart: the assessment and everything needed to read it.</summary>
/// <param name="PatientId">The patient, when the input names one.</param>
/// <param name="Kind">Bundle, hook request or FHIR server.</param>
/// <param name="Source">The file, or the FHIR base.</param>
/// <param name="Time">The time the rule was evaluated at, and why that time.</param>
/// <param name="Record">The chart the rule read.</param>
/// <param name="Assessment">The rule's answer.</param>
/// <param name="Notes">What a reader should know about the data (read in part, pages not followed, keys fetched).</param>
/// <param name="Order">The order the recommendation suggests, when there is one.</param>
internal sealed record ChartEvaluation(
    string? PatientId,
    ChartSourceKind Kind,
    string Source,
    EvaluationTime Time,
    PatientRecord Record,
    PttmAssessment Assessment,
    IReadOnlyList<string> Notes,
    OrderCode? Order)
{
    private const string HookName = "patient-view";

    private static readonly Lazy<IReadOnlyList<PrefetchTemplate>> s_templates = new(() =>
    {
        var entry = CdsDiscovery.LoadEmbedded().Services.Single(s => s.Id == CdsDiscovery.ScreeningServiceId);
        return [.. (entry.Prefetch ?? new Dictionary<string, string>()).Select(p => PrefetchTemplate.Parse(p.Key, p.Value))];
    });

    /// <summary>The service's prefetch templates (the embedded discovery document).</summary>
    public static IReadOnlyList<PrefetchTemplate> Templates => s_templates.Value;

    /// <summary>
    /// Evaluates the chart in <paramref name="path"/>: a FHIR Bundle of one patient's resources, or a
    /// CDS Hooks <c>patient-view</c> request, read as the service reads one.
    /// </summary>
    public static async Task<ChartEvaluation> FromFileAsync(string path, string? at, PttmRule rule, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(rule);
        if (!File.Exists(path))
        {
            throw CliException.BadInput(Directory.Exists(path) ? $"{path} is a folder: give a Bundle or hook request file (to screen a Bulk Data export folder, use 'screen')." : $"{path}: no such file; give the path of a FHIR Bundle or a CDS Hooks request (JSON).");
        }

        var caseFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "case.json");
        using var document = ParseJson(path);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw CliException.BadInput($"{path} holds a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not a FHIR Bundle or a CDS Hooks request (JSON objects).");
        }

        if (root.TryGetProperty("resourceType", out var type))
        {
            var typeName = type.ValueKind == JsonValueKind.String ? type.GetString() : null;
            if (typeName != "Bundle")
            {
                throw CliException.BadInput($"{path} is a FHIR {typeName ?? "resource without a resourceType string"}, not a Bundle: evaluate reads a Bundle of one patient's resources (searchset, collection or transaction) or a CDS Hooks patient-view request.");
            }

            var time = EvaluationTime.Resolve(at, caseFile, clock);
            return FromBundle(root, path, time, rule);
        }

        if (root.TryGetProperty("hook", out _) || root.TryGetProperty("hookInstance", out _) || root.TryGetProperty("context", out _))
        {
            var time = EvaluationTime.Resolve(at, caseFile, clock);
            var (request, issues) = HookRequestParser.Parse(root, HookName);
            if (request is null)
            {
                throw CliException.BadInput($"{path} is not a valid CDS Hooks 2.0 {HookName} request:{Lines(issues.Select(i => $"{i.Expression ?? "(request)"}: {i.Message}"))}");
            }

            return await FromHookRequestAsync(request, ChartSourceKind.HookRequest, path, time, rule, cancellationToken).ConfigureAwait(false);
        }

        throw CliException.BadInput($"{path} is neither a FHIR Bundle (no resourceType) nor a CDS Hooks request (no hook, hookInstance or context).");
    }

    /// <summary>
    /// The <c>fhirAuthorization</c> the CLI sends as a CDS client (here and in <c>samples</c>): the
    /// bearer <paramref name="token"/> with read scopes for what the rule reads.
    /// </summary>
    internal static JsonObject FhirAuthorization(string token) => new()
    {
        ["access_token"] = token,
        ["token_type"] = "Bearer",
        ["expires_in"] = 300,
        ["scope"] = "patient/Patient.read patient/Condition.read patient/Observation.read patient/DiagnosticReport.read patient/DocumentReference.read patient/Binary.read",
        ["subject"] = "pttm-hooks-cli",
    };

    /// <summary>
    /// Evaluates <paramref name="patientId"/>'s chart on <paramref name="fhirServer"/>: a hook request
    /// with no prefetch, so that every key of the discovery document is fetched by the service's own fetcher.
    /// </summary>
    public static async Task<ChartEvaluation> FromFhirAsync(string fhirServer, string patientId, string? token, EvaluationTime time, PttmRule rule, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fhirServer);
        ArgumentNullException.ThrowIfNull(patientId);
        if (!Uri.TryCreate(fhirServer, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            throw CliException.BadInput($"--fhir '{fhirServer}' is not a FHIR base URL: give an absolute https URL such as https://fhir.example.org/r4 (http only to localhost).");
        }

        // The same request an EHR would send without prefetch, checked by the service's own parser.
        var body = new JsonObject
        {
            ["hook"] = HookName,
            ["hookInstance"] = Guid.NewGuid().ToString("D"),
            ["fhirServer"] = url.AbsoluteUri.TrimEnd('/'),
            ["context"] = new JsonObject { ["userId"] = "Practitioner/pttm-hooks-cli", ["patientId"] = patientId },
        };
        if (token is not null)
        {
            body["fhirAuthorization"] = FhirAuthorization(token);
        }

        using var document = JsonDocument.Parse(body.ToJsonString());
        var (request, issues) = HookRequestParser.Parse(document.RootElement, HookName);
        if (request is null)
        {
            throw CliException.BadInput("the FHIR query cannot be made:" + Lines(issues.Select(i => $"{OptionOf(i.Expression)}: {i.Message}")));
        }

        return await FromHookRequestAsync(request, ChartSourceKind.Fhir, url.AbsoluteUri.TrimEnd('/'), time, rule, cancellationToken).ConfigureAwait(false);
    }

    private static ChartEvaluation FromBundle(JsonElement root, string path, EvaluationTime time, PttmRule rule)
    {
        var notes = new List<string>();
        // As the service reads prefetch: invalid elements are left out and named, the rest counts;
        // dropping the whole resource could hide a malignancy.
        var read = FhirReadInPart.Read(() => root.Deserialize<Bundle>(FhirJsonFormat.Options), "file");
        if (read.Problem is { } problem)
        {
            throw CliException.BadInput(problem.StartsWith("empty", StringComparison.Ordinal) ? $"{path} is an empty Bundle." : $"{path} is {problem.Replace("not a FHIR R4 resource", "not a FHIR R4 Bundle", StringComparison.Ordinal)}");
        }

        var bundle = (Bundle)read.Resource!;
        if (read.Settled.Broken is { } broken)
        {
            throw CliException.BadInput($"{path} is not a FHIR R4 Bundle: {broken} cannot be read" + (read.FirstError is null ? "." : $" ({Shorten(read.FirstError)})"));
        }

        foreach (var note in read.Settled.Notes ?? [])
        {
            notes.Add($"Bundle: {note}.");
        }

        var resources = new List<Resource>();
        var seen = new HashSet<(string, string)>();
        foreach (var (_, resource) in PrefetchReader.DataEntries(bundle))
        {
            if (PrefetchReader.IsRead(resource) && (resource.Id is null || seen.Add((resource.TypeName, resource.Id))))
            {
                resources.Add(resource);
            }
        }

        var paged = bundle.Link.Any(l => l.Relation == "next");

        // One patient's chart only: the service never evaluates a chart that mixes patients.
        var owners = resources.Select(PrefetchReader.OwnerOf).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (owners.Count > 1)
        {
            throw CliException.BadInput($"{path} holds the resources of {owners.Count} patients; the rule evaluates one patient's chart at a time, and never a chart that mixes patients. Split the Bundle, or screen an NDJSON export with 'screen'.");
        }

        if (paged)
        {
            notes.Add("The Bundle has a next link: only the page in the file was read.");
        }

        if (resources.Count == 0)
        {
            notes.Add("The Bundle holds no Patient, Condition, Observation or DiagnosticReport.");
        }

        // Attachment urls that point into the Bundle (an entry's fullUrl, or Binary/{id}) are read
        // from its Binary entries; there is no FHIR server to follow any other url to.
        var record = PatientRecord.FromResources(resources);
        var reading = AttachmentReader.ReadAtHand(record, rule.AttachmentsToRead(record, time.At), AttachmentSource.Binaries(bundle.Entry.Select(e => (e.FullUrl, e.Resource))));
        var assessment = rule.Evaluate(reading.Record, time.At);
        Settle(assessment, reading, [], notes, path);
        return new ChartEvaluation(owners.SingleOrDefault(), ChartSourceKind.Bundle, path, time, reading.Record, assessment, notes, OrderOf(rule, assessment));
    }

    private static async Task<ChartEvaluation> FromHookRequestAsync(HookRequest request, ChartSourceKind kind, string source, EvaluationTime time, PttmRule rule, CancellationToken cancellationToken)
    {
        var (prefetch, issues) = PrefetchReader.Read(request, Templates);

        if (prefetch is null)
        {
            throw CliException.BadInput($"{source}: the prefetch is not what the service's templates return:{Lines(issues.Select(i => $"{i.Expression}: {i.Message}"))}");
        }

        GatherResult gathered;
        AttachmentReading reading;
        ResultFetch results;
        if (request.FhirServer is { } server)
        {
            // As the service does: the searches, then the attachments and the reports' results,
            // inside one time budget.
            using var fhir = FhirGathering.For(server, open: request.FhirAuthorization is null, time.At, rule);
            var started = TimeProvider.System.GetTimestamp();
            gathered = await fhir.Gatherer.GatherAsync(request, prefetch, cancellationToken).ConfigureAwait(false);
            var gatheredRecord = PatientRecord.FromResources(gathered.Resources);
            var readingTask = fhir.Attachments.ReadAsync(gatheredRecord, rule.AttachmentsToRead(gatheredRecord, time.At), AttachmentSource.For(request), started, cancellationToken);
            var resultsTask = fhir.Results.FetchAsync(gatheredRecord, request, started, cancellationToken);
            await System.Threading.Tasks.Task.WhenAll(readingTask, resultsTask).ConfigureAwait(false);
            reading = await readingTask.ConfigureAwait(false);
            results = await resultsTask.ConfigureAwait(false);
        }
        else
        {
            gathered = await FhirGathering.PrefetchOnly().GatherAsync(request, prefetch, cancellationToken).ConfigureAwait(false);
            var gatheredRecord = PatientRecord.FromResources(gathered.Resources);
            reading = AttachmentReader.ReadAtHand(gatheredRecord, rule.AttachmentsToRead(gatheredRecord, time.At), AttachmentSource.None);
            results = ResultFetch.None;
        }

        var notes = new List<string>(gathered.Notes);
        var fetched = gathered.Keys
            .Where(k => k.State != KeyState.Unsatisfied && prefetch.Keys.Any(p => p.Template.Key == k.Template.Key && p.State == KeyState.Unsatisfied))
            .Select(k => k.Template.Key).ToList();
        if (fetched.Count > 0)
        {
            notes.Add($"Fetched from the FHIR server: {string.Join(", ", fetched)} ({fetched.Count} of {gathered.Keys.Count} keys).");
        }

        if (gathered.Keys.FirstOrDefault(k => !k.Template.IsSearch && k.State != KeyState.Satisfied) is not null)
        {
            notes.Add("No Patient resource: the A-a gradient is judged against the age-free limit.");
        }

        notes.AddRange(results.Notes);
        var record = results.Observations.Count == 0
            ? reading.Record
            : PatientRecord.FromResources([.. gathered.Resources, .. results.Observations]).WithAttachmentTexts(reading.Record.AttachmentTexts);
        var assessment = rule.Evaluate(record, time.At);

        // As the service answers 412: a missing search key may hold what decides a criterion, so no
        // answer is given unless what did arrive settles it (docs/clinical-rule.md reading 24).
        var missing = gathered.Unsatisfied.Where(k => k.Template.IsSearch).ToList();
        if (missing.Count > 0)
        {
            if (MissingData.SettledWithout(assessment, missing) is not { } settled)
            {
                throw new CliException(ExitCodes.Incomplete,
                    $"the chart could not be gathered completely, and the answer could depend on what is missing; no assessment is given on missing data:{Lines(missing.Select(k => $"{k.Template.Key} ({k.Template.Template}): {k.Reason}"))}"
                    + Environment.NewLine + GatherFailure.NextStep(request.FhirServer, kind == ChartSourceKind.Fhir, request.FhirAuthorization is not null, gathered.Unsatisfied.Select(k => k.Reason), gathered.Keys.All(k => k.State == KeyState.Unsatisfied)));
            }

            notes.Add($"Decided without {string.Join(", ", missing.Select(k => k.Template.Key))}, which could not be gathered: {settled}.");
        }

        Settle(assessment, reading, missing, notes, source);
        return new ChartEvaluation(request.Context.PatientId, kind, source, time, record, assessment, notes, OrderOf(rule, assessment));
    }

    /// <summary>
    /// As the service answers 412 for a report text that could not be read and could decide: no
    /// assessment, unless what was read settles it; every other text that could not be read is a note.
    /// </summary>
    private static void Settle(PttmAssessment assessment, AttachmentReading reading, IReadOnlyCollection<KeyResult> missing, List<string> notes, string source)
    {
        var settled = MissingData.SettledWithout(assessment, missing) is not null;
        var (issues, textNotes) = UnreadTextOutcome.Decide(assessment, reading, settled);
        if (issues.Count > 0)
        {
            throw new CliException(ExitCodes.Incomplete,
                $"{source}: the text of a report could not be read, and the answer could depend on it; no assessment is given on missing data:{Lines(issues.Select(i => $"{i.Expression}: {i.Message}"))}");
        }

        notes.AddRange(textNotes);
    }

    private static OrderCode? OrderOf(PttmRule rule, PttmAssessment assessment) =>
        assessment.Recommendation == Recommendation.None ? null : rule.DefaultOrder(assessment.Recommendation);

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            // A file saved by a Windows editor starts with a byte order mark: a person's file, not
            // an EHR's request, so it is skipped rather than refused.
            var bytes = File.ReadAllBytes(path).AsMemory();
            if (JsonInput.HasByteOrderMark(bytes.Span))
            {
                bytes = bytes[3..];
            }

            if (JsonInput.Check(bytes.Span, path) is { } problem)
            {
                throw CliException.BadInput(problem);
            }

            return JsonDocument.Parse(bytes, JsonInput.DocumentOptions);
        }
        catch (JsonException e)
        {
            throw CliException.BadInput($"{path} is not JSON: {Shorten(e.Message)}");
        }
    }

    private static string OptionOf(string? expression) => expression switch
    {
        "context.patientId" => "--patient",
        "fhirServer" => "--fhir",
        "fhirAuthorization" or "fhirAuthorization.access_token" => "--token-env",
        _ => expression ?? "(request)",
    };

    private static string Lines(IEnumerable<string> lines) => string.Concat(lines.Select(l => Environment.NewLine + "  - " + l));

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
