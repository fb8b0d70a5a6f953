using Hl7.Fhir.Model;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Reading.Telemetry;

namespace PttmHooks.Reading.Gathering;

/// <summary>A query that prefetch did not answer, ready to send to the EHR's FHIR server.</summary>
/// <param name="Template">The template it comes from.</param>
/// <param name="RelativeUrl">The template with its tokens filled in.</param>
public sealed record FhirQuery(PrefetchTemplate Template, string RelativeUrl)
{
    /// <summary>
    /// For the rest of a prefetched search: the key as prefetch brought it, whose
    /// <see cref="KeyResult.NextLink"/> is followed (its resources are the first page). Null for a
    /// query of a key prefetch did not satisfy.
    /// </summary>
    public KeyResult? Continues { get; init; }
}

/// <summary>
/// Fetches what prefetch lacked from the EHR's FHIR server. The seam between the protocol and the
/// FHIR client: one result per query, never an exception for an expected failure.
/// </summary>
public interface IFhirFetcher
{
    /// <summary>Runs <paramref name="queries"/> against the request's <c>fhirServer</c>.</summary>
    Task<IReadOnlyList<KeyResult>> FetchAsync(HookRequest request, IReadOnlyList<FhirQuery> queries, CancellationToken cancellationToken);
}

/// <summary>The data gathered for one hook call.</summary>
/// <param name="Resources">Every resource, once (the same resource from two keys counts once).</param>
/// <param name="Keys">The final state of every key.</param>
/// <param name="Notes">What a clinician should know about the data.</param>
/// <param name="FhirQueries">How many keys were queried from <c>fhirServer</c> (0: the FHIR fallback was not used).</param>
public sealed record GatherResult(IReadOnlyList<Resource> Resources, IReadOnlyList<KeyResult> Keys, IReadOnlyList<string> Notes, int FhirQueries = 0)
{
    /// <summary>The keys that stayed unsatisfied.</summary>
    public IEnumerable<KeyResult> Unsatisfied => Keys.Where(k => k.State == KeyState.Unsatisfied);
}

/// <summary>
/// Gathers a patient's data: prefetch values that answer their templates are used as they are;
/// each unsatisfied key is fetched from <c>fhirServer</c> when the request names one, and a
/// prefetched search that holds its first page only (a <c>next</c> link) is completed from it.
/// </summary>
public sealed class RecordGatherer(IFhirFetcher fetcher)
{
    /// <summary>Gathers the data for <paramref name="request"/>, given its checked prefetch.</summary>
    public async Task<GatherResult> GatherAsync(HookRequest request, PrefetchSet prefetch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(prefetch);
        var keys = prefetch.Keys.ToList();
        using var span = GatheringTracing.StartGather(keys.Count);
        var missing = keys.Where(k => k.State == KeyState.Unsatisfied).ToList();
        var paged = keys.Where(k => k.NextLink is not null).ToList();
        var queries = new List<FhirQuery>();
        if (missing.Count > 0 || paged.Count > 0)
        {
            if (request.FhirServer is null)
            {
                foreach (var key in missing)
                {
                    keys[keys.IndexOf(key)] = key with { Reason = key.Reason + "; the request has no fhirServer to fetch it from" };
                }

                foreach (var key in paged)
                {
                    keys[keys.IndexOf(key)] = NotCompleted(key, "the request has no fhirServer to read it from");
                }
            }
            else
            {
                foreach (var key in missing)
                {
                    var url = key.Template.Fill(request.Context);
                    if (url is null)
                    {
                        keys[keys.IndexOf(key)] = key with { Reason = key.Reason + "; its template has a token the context cannot fill" };
                    }
                    else
                    {
                        queries.Add(new FhirQuery(key.Template, url));
                    }
                }

                // The rest of each paged prefetch search, in the same call (and time budget) as the missing keys.
                queries.AddRange(paged.Select(key => new FhirQuery(key.Template, key.NextLink!) { Continues = key }));

                if (queries.Count > 0)
                {
                    // Every key that is not queried has its span here; each query makes its own.
                    TraceKeys(keys.Where(k => !queries.Any(q => q.Template.Key == k.Template.Key)));
                    foreach (var fetched in await fetcher.FetchAsync(request, queries, cancellationToken).ConfigureAwait(false))
                    {
                        var index = keys.FindIndex(k => k.Template.Key == fetched.Template.Key);
                        keys[index] = fetched.State != KeyState.Unsatisfied
                            ? fetched
                            : keys[index].NextLink is not null
                                // The rest could not be fetched at all: the first page stays, and its note says why.
                                ? NotCompleted(keys[index], fetched.Reason ?? "it could not be fetched")
                                : fetched with { Reason = keys[index].Reason + "; " + fetched.Reason };
                    }
                }
            }
        }

        if (queries.Count == 0)
        {
            TraceKeys(keys);
        }

        var seen = new HashSet<(string, string)>();
        var resources = new List<Resource>();
        foreach (var key in keys)
        {
            foreach (var resource in key.Resources)
            {
                if (resource.Id is null || seen.Add((resource.TypeName, resource.Id)))
                {
                    resources.Add(resource);
                }
            }
        }

        IReadOnlyList<string> notes = [.. prefetch.Notes, .. keys.SelectMany(k => k.Notes ?? [])];
        span?.SetTag("pttm.fhir.queries", queries.Count);
        span?.SetTag("pttm.unsatisfied", keys.Count(k => k.State == KeyState.Unsatisfied));
        span?.SetTag("pttm.resources", resources.Count);
        return new GatherResult(resources, keys, notes, queries.Count);
    }

    /// <summary>A paged prefetch key left at its first page, its note saying why.</summary>
    private static KeyResult NotCompleted(KeyResult key, string why) =>
        key with { NextLink = null, Notes = [PrefetchReader.FirstPageNote(key.Template.Key, key.Resources.Count, why)] };

    /// <summary>One span per key that came with the request (or was missing and not fetched): source <c>prefetch</c>.</summary>
    private static void TraceKeys(IEnumerable<KeyResult> keys)
    {
        foreach (var key in keys)
        {
            using var span = GatheringTracing.StartKey(key.Template.Key, "prefetch");
            var outcome = key.State switch
            {
                KeyState.Satisfied => "ok",
                KeyState.NoData => "no-data",
                _ => "unsatisfied",
            };
            GatheringTracing.EndKey(span, outcome, pages: key.State == KeyState.Unsatisfied ? 0 : 1, key.Resources.Count, failed: false);
        }
    }
}
