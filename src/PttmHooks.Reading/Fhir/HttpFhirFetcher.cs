using System.Globalization;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PttmHooks.Clinical;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Reading.Gathering;
using PttmHooks.Reading.Telemetry;

namespace PttmHooks.Reading.Fhir;

/// <summary>
/// Fetches the prefetch keys a request left unsatisfied from its <c>fhirServer</c>: every key's
/// query at once, each search narrowed to the rule's look-back window where the rule reads nothing
/// older, <c>next</c> links followed up to <see cref="FhirFallbackOptions.MaxPages"/> and only on
/// the same base (the token never leaves for another host), all inside one time budget. The rest of
/// a prefetched search that holds its first page only (<see cref="FhirQuery.Continues"/>) is read
/// the same way, from its <c>next</c> link.
/// </summary>
public sealed class HttpFhirFetcher(
    IHttpClientFactory httpClients,
    ITypedHttpClientFactory<FhirClient> clients,
    PttmRule rule,
    IOptions<FhirFallbackOptions> options,
    TimeProvider time,
    ILogger<HttpFhirFetcher> logger) : IFhirFetcher
{
    // The FHIR bases that may be queried without a token (Cds:Fallback:OpenServers), normalised.
    private readonly HashSet<string> _open = new(options.Value.OpenServers.Select(FhirBaseUrl.Normalise), StringComparer.Ordinal);

    /// <inheritdoc />
    public async Task<IReadOnlyList<KeyResult>> FetchAsync(HookRequest request, IReadOnlyList<FhirQuery> queries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(queries);
        var server = request.FhirServer ?? throw new ArgumentException("The request has no fhirServer.", nameof(request));
        string? token = request.FhirAuthorization?.AccessToken;
        if (token is null && !_open.Contains(FhirBaseUrl.Normalise(server)))
        {
            return [.. queries.Select(q => KeyResult.Unsatisfied(q.Template,
                "the request has no fhirAuthorization, and its fhirServer is not configured as open (Cds:Fallback:OpenServers), so it was not queried"))];
        }

        var settings = options.Value;
        var fhirBase = FhirBaseUrl.Normalise(server);
        var root = new Uri(server.AbsoluteUri.EndsWith('/') ? server.AbsoluteUri : server.AbsoluteUri + "/");
        var started = time.GetTimestamp();
        var deadline = started + (long)(settings.Budget.TotalSeconds * time.TimestampFrequency);
        using var budget = new CancellationTokenSource(settings.Budget, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, budget.Token);
        var since = NarrowingStart(time.GetUtcNow());
        var client = clients.CreateClient(httpClients.CreateClient(nameof(FhirClient)));

        var call = new Call(client, root, fhirBase, token, request.Context.PatientId, deadline, since, linked.Token, cancellationToken);

        // Every key's query at once; each turns its own failure (the budget included) into a result.
        var results = await System.Threading.Tasks.Task.WhenAll(queries.Select(q => FetchOneAsync(call, q))).ConfigureAwait(false);

        var elapsed = time.GetElapsedTime(started);
        var answered = results.Count(r => r.State != KeyState.Unsatisfied);
        GatheringLog.FallbackFetched(logger, queries.Count, answered, elapsed.TotalMilliseconds);
        return results;
    }

    /// <summary>
    /// The start of the date narrowing: the look-back window's start at day precision, one day
    /// earlier still, so that a date written in another time zone is never cut off.
    /// </summary>
    internal DateOnly NarrowingStart(DateTimeOffset now) =>
        DateOnly.FromDateTime((now - rule.Options.LookBack).UtcDateTime).AddDays(-1);

    private async Task<KeyResult> FetchOneAsync(Call call, FhirQuery query)
    {
        // A child of the gather span: its HTTP requests (and their retries) are children of it.
        using var span = GatheringTracing.StartKey(query.Template.Key, "fhir");
        var started = time.GetTimestamp();
        var pages = new PageCount();
        var (result, failure) = query.Continues is { } first
            ? await ContinueAsync(call, query.Template, first, pages).ConfigureAwait(false)
            : await FetchPagesAsync(call, query, pages).ConfigureAwait(false);
        var outcome = failure ?? result.State switch
        {
            KeyState.Satisfied => "ok",
            KeyState.NoData => "no-data",
            _ => "failed",
        };
        GatheringMetrics.RecordFhirQuery(query.Template.Key, outcome, time.GetElapsedTime(started));
        GatheringTracing.EndKey(span, outcome, pages.Value, result.Resources.Count, failure is not null || result.State == KeyState.Unsatisfied);
        return result;
    }

    /// <summary>One key's query, all its pages; the result, and the failure's code when it failed.</summary>
    private async Task<(KeyResult Result, string? Failure)> FetchPagesAsync(Call call, FhirQuery query, PageCount pages)
    {
        var template = query.Template;
        var relative = QueryNarrowing.Narrow(template, query.RelativeUrl, call.Since, options.Value.PageSize);
        var url = new Uri(call.Root, relative);
        var resources = new List<Resource>();
        var notes = new List<string>();
        try
        {
            for (var page = 1; ; page++)
            {
                pages.Value = page;
                var response = await call.Client.GetAsync(url, call.FhirBase, call.Token, call.Deadline, call.Budget).ConfigureAwait(false);
                if (response.Failure is { } failure)
                {
                    if (response.NotFound && !template.IsSearch)
                    {
                        return (new KeyResult(template, KeyState.NoData, []), null);
                    }

                    GatheringLog.FallbackQueryFailed(logger, template.Key, failure.Code, page);
                    return (KeyResult.Unsatisfied(template, "fetched from fhirServer: " + failure.Text), failure.Code);
                }

                foreach (var partial in response.PartialNotes ?? [])
                {
                    notes.Add($"Data fetched for '{template.Key}': {partial}.");
                }

                var resource = response.Resource!;
                if (!template.IsSearch)
                {
                    if (resource.TypeName != template.ResourceType)
                    {
                        return (KeyResult.Unsatisfied(template, $"fetched from fhirServer: the read answered a {resource.TypeName}, not a {template.ResourceType}"), "wrong-type");
                    }

                    var asked = Uri.UnescapeDataString(query.RelativeUrl[(query.RelativeUrl.LastIndexOf('/') + 1)..]);
                    if (resource.Id is not null && resource.Id != asked)
                    {
                        return (KeyResult.Unsatisfied(template, $"fetched from fhirServer: the read of {template.ResourceType}/{{id}} answered another {template.ResourceType}"), "wrong-patient");
                    }

                    return (new KeyResult(template, KeyState.Satisfied, [resource]), null);
                }

                if (resource is not Bundle bundle)
                {
                    return (KeyResult.Unsatisfied(template, $"fetched from fhirServer: the search answered a {resource.TypeName}, not a Bundle"), "wrong-type");
                }

                if (Collect(bundle, call.PatientId, resources) is { } wrong)
                {
                    return (KeyResult.Unsatisfied(template, "fetched from fhirServer: " + wrong), "wrong-patient");
                }

                var next = bundle.Link.FirstOrDefault(l => l.Relation == "next")?.Url;
                if (next is null)
                {
                    break;
                }

                if (!Uri.TryCreate(call.Root, next, out var nextUrl) || !OnBase(nextUrl, call.FhirBase))
                {
                    GatheringLog.FallbackForeignNextLink(logger, template.Key, page);
                    notes.Add($"Data fetched for '{template.Key}' stops after page {page} (the most recent {resources.Count} results): the FHIR server's next link points outside it, and was not followed.");
                    break;
                }

                if (page >= options.Value.MaxPages)
                {
                    notes.Add($"Data fetched for '{template.Key}' stops after {page} pages (the most recent {resources.Count} results; Cds:Fallback:MaxPages).");
                    break;
                }

                url = nextUrl;
            }
        }
        catch (OperationCanceledException) when (!call.Caller.IsCancellationRequested)
        {
            GatheringLog.FallbackQueryFailed(logger, template.Key, "budget", 0);
            return (OverBudget(template, options.Value.Budget), "budget");
        }

        return (new KeyResult(template, resources.Count == 0 ? KeyState.NoData : KeyState.Satisfied, resources, Notes: notes), null);
    }

    /// <summary>
    /// The rest of a prefetched search whose first page came with the request: its <c>next</c>
    /// links followed on the same base only, up to <see cref="FhirFallbackOptions.MaxPages"/> pages
    /// in all (the prefetched page counts). Whatever happens the prefetched page stays; when the
    /// rest cannot be read in full, the key's note says how far it got and why. The failure's code,
    /// when there was one.
    /// </summary>
    private async Task<(KeyResult Result, string? Failure)> ContinueAsync(Call call, PrefetchTemplate template, KeyResult first, PageCount pages)
    {
        var resources = new List<Resource>(first.Resources);
        var notes = new List<string>();
        var read = 1;
        KeyResult Partial(string why, IReadOnlyList<Resource> kept) => new(
            template,
            kept.Count == 0 ? KeyState.NoData : KeyState.Satisfied,
            kept,
            Notes: [.. notes, PrefetchReader.FirstPageNote(template.Key, kept.Count, why, read)]);

        if (!Uri.TryCreate(call.Root, first.NextLink, out var url) || !OnBase(url, call.FhirBase))
        {
            GatheringLog.FallbackForeignNextLink(logger, template.Key, 1);
            return (Partial("its next link points outside fhirServer, and was not followed", resources), "foreign-next-link");
        }

        try
        {
            for (var page = 2; ; page++)
            {
                pages.Value = page - 1;
                var response = await call.Client.GetAsync(url, call.FhirBase, call.Token, call.Deadline, call.Budget).ConfigureAwait(false);
                if (response.Failure is { } failure)
                {
                    GatheringLog.FallbackQueryFailed(logger, template.Key, failure.Code, page);
                    return (Partial($"page {page}, fetched from fhirServer: {failure.Text}", resources), failure.Code);
                }

                foreach (var partial in response.PartialNotes ?? [])
                {
                    notes.Add($"Data fetched for '{template.Key}': {partial}.");
                }

                if (response.Resource is not Bundle bundle)
                {
                    return (Partial($"page {page}, fetched from fhirServer, is a {response.Resource!.TypeName}, not a Bundle", resources), "wrong-type");
                }

                if (Collect(bundle, call.PatientId, resources) is { } wrong)
                {
                    // A page that answers another patient's data discredits the pages fetched: the prefetched page alone stays.
                    read = 1;
                    return (Partial($"page {page}, fetched from fhirServer: {wrong}", first.Resources), "wrong-patient");
                }

                read = page;
                var next = bundle.Link.FirstOrDefault(l => l.Relation == "next")?.Url;
                if (next is null)
                {
                    return (new KeyResult(template, resources.Count == 0 ? KeyState.NoData : KeyState.Satisfied, resources, Notes: notes), null);
                }

                if (!Uri.TryCreate(call.Root, next, out var nextUrl) || !OnBase(nextUrl, call.FhirBase))
                {
                    GatheringLog.FallbackForeignNextLink(logger, template.Key, page);
                    return (Partial("its next link points outside fhirServer, and was not followed", resources), null);
                }

                if (page >= options.Value.MaxPages)
                {
                    return (Partial($"the service reads at most {options.Value.MaxPages} pages of a search (Cds:Fallback:MaxPages)", resources), null);
                }

                url = nextUrl;
            }
        }
        catch (OperationCanceledException) when (!call.Caller.IsCancellationRequested)
        {
            GatheringLog.FallbackQueryFailed(logger, template.Key, "budget", read + 1);
            return (Partial($"no answer within this call's time budget of {FhirClient.Seconds(options.Value.Budget)}", resources), "budget");
        }
    }

    private static KeyResult OverBudget(PrefetchTemplate template, TimeSpan budget) =>
        KeyResult.Unsatisfied(template, $"fetched from fhirServer: no complete answer within this call's time budget of {FhirClient.Seconds(budget)}");

    /// <summary>Adds a page's entries; returns why the page cannot be used, or null.</summary>
    private static string? Collect(Bundle bundle, string patientId, List<Resource> resources)
    {
        foreach (var (_, resource) in PrefetchReader.DataEntries(bundle))
        {
            if (!PrefetchReader.IsRead(resource))
            {
                continue;
            }

            if (PrefetchReader.OwnerOf(resource) is { } owner && owner != patientId)
            {
                // A server that answers a search by patient with another patient's data cannot be
                // trusted for this key at all.
                return "the search by patient answered resources of another patient";
            }

            resources.Add(resource);
        }

        return null;
    }

    /// <summary>The pages a query asked for (the last one may have failed), for its span.</summary>
    private sealed class PageCount
    {
        public int Value { get; set; }
    }

    /// <summary>What every query of one hook call shares.</summary>
    /// <param name="Client">The FHIR client.</param>
    /// <param name="Root">The FHIR base, ending in '/', that relative URLs resolve against.</param>
    /// <param name="FhirBase">The normalised base: the circuit's key, and the bound for next links.</param>
    /// <param name="Token">The bearer token, or null for an open server.</param>
    /// <param name="PatientId">context.patientId: every resource fetched must belong to it.</param>
    /// <param name="Deadline">The end of the budget, as a timestamp of the TimeProvider.</param>
    /// <param name="Since">The date narrowed searches start from.</param>
    /// <param name="Budget">Cancelled when the budget runs out or the caller goes away.</param>
    /// <param name="Caller">Cancelled only when the caller goes away.</param>
    private sealed record Call(
        FhirClient Client, Uri Root, string FhirBase, string? Token, string PatientId, long Deadline, DateOnly Since,
        CancellationToken Budget, CancellationToken Caller);

    private static bool OnBase(Uri url, string fhirBase)
    {
        var normalised = FhirBaseUrl.Normalise(url);
        return normalised.StartsWith(fhirBase + "/", StringComparison.Ordinal) || normalised == fhirBase;
    }
}

/// <summary>
/// Which fallback searches are narrowed to the look-back window (<c>date=ge…</c>). Only keys
/// whose content the rule reads inside the window alone: Observations (every measurement is
/// windowed) and imaging reports (CTPA, perfusion scan, echo, chest CT are windowed). Never the
/// Conditions (a malignancy counts at any age), the pathology reports (a positive wedged-PA
/// cytology establishes the diagnosis at any age), nor the uncategorised recent reports, which may
/// hold either, nor the clinical notes (a cytology note counts at any age, like a pathology report).
/// </summary>
public static partial class QueryNarrowing
{
    /// <summary>The keys narrowed by date, with the search parameter that carries their date.</summary>
    public static IReadOnlyDictionary<string, string> NarrowedKeys { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["oxygenation"] = "date",
        ["haemodynamics"] = "date",
        ["markers"] = "date",
        ["studyObservations"] = "date",
        ["labObservations"] = "date",
        ["imagingReports"] = "date",
    };

    /// <summary>The keys searched in full, whatever their dates.</summary>
    public static IReadOnlySet<string> FullKeys { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "patient", "conditions", "pathologyReports", "recentReports", "notes",
    };

    /// <summary>
    /// <paramref name="relativeUrl"/> with <c>date=ge<paramref name="since"/></c> added when its key
    /// is narrowed, and its <c>_count</c> capped at <paramref name="pageSize"/> when one is set.
    /// </summary>
    public static string Narrow(PrefetchTemplate template, string relativeUrl, DateOnly since, int? pageSize = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(relativeUrl);
        if (!template.IsSearch)
        {
            return relativeUrl;
        }

        var query = relativeUrl;
        if (pageSize is { } size)
        {
            var match = Count().Match(query);
            query = !match.Success
                ? $"{query}&_count={size}"
                : int.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture) > size
                    ? string.Concat(query.AsSpan(0, match.Groups["n"].Index), size.ToString(CultureInfo.InvariantCulture), query.AsSpan(match.Groups["n"].Index + match.Groups["n"].Length))
                    : query;
        }

        return NarrowedKeys.TryGetValue(template.Key, out var parameter)
            ? $"{query}&{parameter}=ge{since.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}"
            : query;
    }

    [GeneratedRegex(@"[?&]_count=(?<n>[0-9]+)", RegexOptions.CultureInvariant)]
    private static partial Regex Count();
}
