using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using PttmHooks.Reading.CdsHooks;
using static Hl7.Fhir.Model.OperationOutcome;

namespace PttmHooks.Reading.Gathering;

/// <summary>What one prefetch key brought.</summary>
public enum KeyState
{
    /// <summary>The value answered the template (a Bundle, possibly empty, or the resource).</summary>
    Satisfied,
    /// <summary><c>null</c>: the client has no data for the template. Not missing: never fetched again.</summary>
    NoData,
    /// <summary>Absent, or an OperationOutcome: the client could not fill it.</summary>
    Unsatisfied,
}

/// <summary>The result of one prefetch key (or of fetching its query from the FHIR server).</summary>
/// <param name="Template">The template.</param>
/// <param name="State">Satisfied, no data, or unsatisfied.</param>
/// <param name="Resources">The resources it brought (empty unless satisfied).</param>
/// <param name="Reason">Why it is unsatisfied, as a sentence.</param>
/// <param name="Notes">What a clinician should know about its data (fetched in part, pages not followed).</param>
public sealed record KeyResult(PrefetchTemplate Template, KeyState State, IReadOnlyList<Resource> Resources, string? Reason = null, IReadOnlyList<string>? Notes = null)
{
    /// <summary>
    /// The <c>next</c> link of a prefetched search Bundle that holds only the first page of its
    /// search (a client that forwards what a FHIR server paged); null when the search is complete.
    /// The gathering completes it from <c>fhirServer</c> when it can.
    /// </summary>
    public string? NextLink { get; init; }

    /// <summary>A key the client could not fill.</summary>
    public static KeyResult Unsatisfied(PrefetchTemplate template, string reason) => new(template, KeyState.Unsatisfied, [], reason);
}

/// <summary>The prefetch of one request, checked against the service's templates.</summary>
/// <param name="Keys">One result per template key.</param>
/// <param name="Notes">Things about the data a clinician should know (read in part, first page only).</param>
public sealed record PrefetchSet(IReadOnlyList<KeyResult> Keys, IReadOnlyList<string> Notes);

/// <summary>
/// Checks each prefetch value against its template, as CDS Hooks 2.0 asks of a service: an absent
/// key or an OperationOutcome is unsatisfied; <c>null</c> is "no data"; a Bundle with no entries is
/// no data either. A value that is not FHIR JSON, or not what the template returns, is a 400. So is
/// any resource that belongs to another patient than <c>context.patientId</c>: it is never evaluated.
/// </summary>
public static class PrefetchReader
{
    /// <summary>Reads the prefetch of <paramref name="request"/> for <paramref name="templates"/>, with the lean reader.</summary>
    public static (PrefetchSet? Set, IReadOnlyList<RequestIssue> Issues) Read(HookRequest request, IReadOnlyList<PrefetchTemplate> templates) =>
        Read(request, templates, PrefetchParsing.Lean);

    /// <summary>
    /// Reads the prefetch of <paramref name="request"/> for <paramref name="templates"/>, each value
    /// parsed as <paramref name="parsing"/> says (tests and benchmarks compare the two).
    /// </summary>
    public static (PrefetchSet? Set, IReadOnlyList<RequestIssue> Issues) Read(HookRequest request, IReadOnlyList<PrefetchTemplate> templates, PrefetchParsing parsing)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(templates);
        var issues = new List<RequestIssue>();
        var notes = new List<string>();
        var keys = new List<KeyResult>(templates.Count);
        foreach (var template in templates)
        {
            if (!request.Prefetch.TryGetValue(template.Key, out var value))
            {
                keys.Add(KeyResult.Unsatisfied(template, "not in the request's prefetch"));
                continue;
            }

            keys.Add(ReadKey(template, value, request.Context.PatientId, parsing, issues, notes));
        }

        return issues.Count > 0 ? (null, issues) : (new PrefetchSet(keys, notes), issues);
    }

    private static KeyResult ReadKey(PrefetchTemplate template, JsonElement value, string patientId, PrefetchParsing parsing, List<RequestIssue> issues, List<string> notes)
    {
        var path = "prefetch." + template.Key;
        if (value.ValueKind == JsonValueKind.Null)
        {
            return new KeyResult(template, KeyState.NoData, []);
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            issues.Add(new RequestIssue(path, $"{path} is not FHIR JSON: a resource object or null is expected, not a JSON {value.ValueKind.ToString().ToLowerInvariant()}.", IssueType.Structure));
            return KeyResult.Unsatisfied(template, "not FHIR JSON");
        }

        var resource = Parse(value, path, parsing, issues, notes);
        if (resource is null)
        {
            return KeyResult.Unsatisfied(template, "not FHIR JSON");
        }

        if (resource is OperationOutcome outcome)
        {
            var said = outcome.Issue.Select(i => i.Diagnostics ?? i.Details?.Text).FirstOrDefault(s => !string.IsNullOrWhiteSpace(s));
            return KeyResult.Unsatisfied(template, "the client sent an OperationOutcome" + (said is null ? string.Empty : $" ({Shorten(said)})"));
        }

        var found = new List<Resource>();
        if (!template.IsSearch)
        {
            if (resource.TypeName != template.ResourceType)
            {
                issues.Add(new RequestIssue(path, $"{path} must be a {template.ResourceType} (template {template.Template}), not a {resource.TypeName}.", IssueType.Invalid));
                return KeyResult.Unsatisfied(template, "wrong resource type");
            }

            CheckPatient(resource, patientId, path, issues);
            found.Add(resource);
            return new KeyResult(template, KeyState.Satisfied, found);
        }

        if (resource is not Bundle bundle)
        {
            issues.Add(new RequestIssue(path, $"{path} must be a Bundle, the result of the search {template.Template}, not a {resource.TypeName}.", IssueType.Invalid));
            return KeyResult.Unsatisfied(template, "not a Bundle");
        }

        foreach (var (i, entry) in DataEntries(bundle))
        {
            if (CheckPatient(entry, patientId, $"{path}.entry[{i}].resource", issues))
            {
                found.Add(entry);
            }
        }

        var state = found.Count == 0 ? KeyState.NoData : KeyState.Satisfied;
        if (bundle.Link.FirstOrDefault(l => l.Relation == "next")?.Url is { Length: > 0 } next)
        {
            // The note stays unless the gathering reads the rest from fhirServer.
            return new KeyResult(template, state, found, Notes: [FirstPageNote(template.Key, found.Count, null)]) { NextLink = next };
        }

        return new KeyResult(template, state, found);
    }

    /// <summary>
    /// The note of a prefetched search that holds its first page (or first pages) only, with why the
    /// rest was not read when that is known.
    /// </summary>
    internal static string FirstPageNote(string key, int count, string? why, int pages = 1) =>
        (pages <= 1
            ? $"Prefetch '{key}' holds the first page of its search only (the most recent {count} results)"
            : $"Prefetch '{key}' was read up to page {pages} of its search only (the prefetched first page, the rest from fhirServer; the most recent {count} results)")
        + (why is null ? "." : $"; the rest was not read: {why}.");

    private static Resource? Parse(JsonElement value, string path, PrefetchParsing parsing, List<RequestIssue> issues, List<string> notes)
    {
        // Clean data (the common case) is read in one pass, only the elements the rule reads; a
        // value with anything in doubt is read by the SDK below, so that its notes and issues are
        // those the SDK path gives (LeanReader).
        if (parsing == PrefetchParsing.Lean && LeanReader.TryRead(value) is { } lean)
        {
            ReadingMetrics.RecordPrefetchParsed("lean");
            return lean;
        }

        ReadingMetrics.RecordPrefetchParsed("firely");

        // Elements inside a resource that cannot be read (a code written as a plain string where
        // R4 wants a CodeableConcept, "status": "Final", a number written as a string) are emptied
        // and the rest is read: dropping the whole resource could hide a malignancy, and the card
        // names each element. A search Bundle whose own entry or link list is not a list is not a
        // search result: 400.
        var read = FhirReadInPart.Read(() => value.Deserialize<Resource>(FhirJsonFormat.Options), "prefetch");
        if (read.Problem is { } problem)
        {
            issues.Add(new RequestIssue(path, $"{path} is {problem}", IssueType.Structure));
            return null;
        }

        if (read.Settled.Broken is { } broken)
        {
            issues.Add(new RequestIssue(path, $"{path} is not a FHIR R4 Bundle: {broken} cannot be read" + (read.FirstError is null ? "." : $" ({Shorten(read.FirstError)})"), IssueType.Structure));
            return null;
        }

        foreach (var note in read.Settled.Notes ?? [])
        {
            notes.Add($"Prefetch '{path["prefetch.".Length..]}': {note}.");
        }

        return read.Resource;
    }

    /// <summary>
    /// True when <paramref name="resource"/> is one the rule reads and belongs to the patient;
    /// false for types the rule ignores. Another patient's resource is an issue (400).
    /// </summary>
    private static bool CheckPatient(Resource resource, string patientId, string path, List<RequestIssue> issues)
    {
        if (!IsRead(resource))
        {
            return false;
        }

        if (OwnerOf(resource) is { } ownerId && ownerId != patientId)
        {
            issues.Add(new RequestIssue(
                path,
                resource is Patient
                    ? $"{path} is another patient than context.patientId; resources of other patients are never evaluated."
                    : $"{path} ({resource.TypeName}/{resource.Id}) has a subject that is not context.patientId; resources of other patients are never evaluated.",
                IssueType.BusinessRule));
            return false;
        }

        return true;
    }

    /// <summary>The entries of a search Bundle that carry data: not empty, not an OperationOutcome, not a search outcome.</summary>
    internal static IEnumerable<(int Index, Resource Resource)> DataEntries(Bundle bundle)
    {
        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            var entry = bundle.Entry[i];
            if (entry.Resource is { } resource and not OperationOutcome && entry.Search?.Mode != Bundle.SearchEntryMode.Outcome)
            {
                yield return (i, resource);
            }
        }
    }

    /// <summary>True for the resource types the rule reads.</summary>
    internal static bool IsRead(Resource resource) => resource is Patient or Condition or Observation or DiagnosticReport or DocumentReference;

    /// <summary>
    /// The id of the patient <paramref name="resource"/> belongs to: a Patient's own id, or the
    /// patient its subject names. Null when it cannot say (see <see cref="PatientIdOf"/>).
    /// </summary>
    internal static string? OwnerOf(Resource resource) => resource is Patient patient ? patient.Id : PatientIdOf(SubjectOf(resource));

    /// <summary>The subject reference of a resource the rule reads (null for other types).</summary>
    internal static string? SubjectOf(Resource resource) => resource switch
    {
        Condition c => c.Subject?.Reference,
        Observation o => o.Subject?.Reference,
        DiagnosticReport r => r.Subject?.Reference,
        DocumentReference n => n.Subject?.Reference,
        _ => null,
    };

    /// <summary>
    /// The patient id of a subject reference: <c>Patient/123</c>, an absolute URL ending in it, or a
    /// versioned form. Null when the reference cannot say (missing, contained, <c>urn:uuid:</c>, or a
    /// subject that is not a Patient): the search that produced the value was by patient.
    /// </summary>
    internal static string? PatientIdOf(string? reference)
    {
        if (string.IsNullOrEmpty(reference) || reference.StartsWith('#') || reference.StartsWith("urn:", StringComparison.Ordinal))
        {
            return null;
        }

        var history = reference.IndexOf("/_history/", StringComparison.Ordinal);
        var parts = (history < 0 ? reference : reference[..history]).Split('/');
        return parts.Length >= 2 && parts[^2] == "Patient" ? parts[^1] : null;
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
