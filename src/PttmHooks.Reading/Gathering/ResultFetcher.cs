using System.Globalization;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PttmHooks.Clinical;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Reading.Fhir;
using PttmHooks.Reading.Telemetry;

namespace PttmHooks.Reading.Gathering;

/// <summary>The result Observations fetched for the reports of a record, and what a clinician should know about them.</summary>
/// <param name="Observations">The Observations fetched (each the patient's).</param>
/// <param name="Notes">Sentences for the card's "About the data", when some could not be fetched.</param>
/// <param name="Asked">How many were missing and asked for.</param>
public sealed record ResultFetch(IReadOnlyList<Observation> Observations, IReadOnlyList<string> Notes, int Asked)
{
    /// <summary>Nothing fetched, nothing to say.</summary>
    public static ResultFetch None { get; } = new([], [], 0);
}

/// <summary>
/// The narrative result Observations a report references (pttm-criteria.md 1.1: an impression as a
/// <c>valueString</c>) that the record does not hold: the report templates ask for them with
/// <c>_include=DiagnosticReport:result</c>, and where the EHR did not include them they are fetched
/// from its FHIR server with <c>Observation?_id=…&amp;patient=…</c>, with the hook's token, inside
/// what the searches left of the call's budget. Laboratory reports are left out: their results are
/// the measurements the Observation keys already search.
/// </summary>
public sealed class ResultFetcher(
    IHttpClientFactory httpClients,
    ITypedHttpClientFactory<FhirClient> clients,
    IOptions<FhirFallbackOptions> options,
    TimeProvider time,
    ILogger<ResultFetcher> logger)
{
    /// <summary>Ids asked for in one query.</summary>
    public const int IdsPerQuery = 50;

    private readonly HashSet<string> _open = new(options.Value.OpenServers.Select(FhirBaseUrl.Normalise), StringComparer.Ordinal);

    /// <summary>The ids of the Observations that the non-laboratory reports of <paramref name="record"/> reference and it does not hold.</summary>
    public static IReadOnlyList<string> MissingResultIds(PatientRecord record, Uri? fhirServer)
    {
        ArgumentNullException.ThrowIfNull(record);
        var held = record.Observations.Select(o => o.Id).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var fhirBase = fhirServer is null ? null : FhirBaseUrl.Normalise(fhirServer);
        var missing = new List<string>();
        foreach (var report in record.Reports)
        {
            if (report.Category.SelectMany(c => c.Coding).Any(c => c.Code == "LAB"))
            {
                continue;
            }

            foreach (var reference in report.Result.Select(r => r.Reference).OfType<string>())
            {
                if (ObservationId(reference, fhirBase) is { } id && !held.Contains(id) && !missing.Contains(id))
                {
                    missing.Add(id);
                }
            }
        }

        return missing;
    }

    /// <summary>Fetches what <see cref="MissingResultIds"/> names from the request's <c>fhirServer</c>.</summary>
    /// <param name="record">The record gathered so far.</param>
    /// <param name="request">The hook request: its fhirServer, token and patient.</param>
    /// <param name="started">When the call's budget started (a timestamp of the time provider).</param>
    /// <param name="cancellationToken">Cancelled when the caller goes away.</param>
    public async Task<ResultFetch> FetchAsync(PatientRecord record, HookRequest request, long started, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(request);
        if (request.FhirServer is not { } server)
        {
            return ResultFetch.None;
        }

        var fhirBase = FhirBaseUrl.Normalise(server);
        var token = request.FhirAuthorization?.AccessToken;
        var ids = MissingResultIds(record, server);
        if (ids.Count == 0 || (token is null && !_open.Contains(fhirBase)))
        {
            return ResultFetch.None;
        }

        var settings = options.Value;
        var root = new Uri(server.AbsoluteUri.EndsWith('/') ? server.AbsoluteUri : server.AbsoluteUri + "/");
        var deadline = started + (long)(settings.Budget.TotalSeconds * time.TimestampFrequency);
        var remaining = TimeSpan.FromSeconds((double)(deadline - time.GetTimestamp()) / time.TimestampFrequency);
        using var budget = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, budget.Token);
        var client = clients.CreateClient(httpClients.CreateClient(nameof(FhirClient)));
        var patient = Uri.EscapeDataString(request.Context.PatientId);
        var chunks = ids.Chunk(IdsPerQuery).ToList();
        var answers = await System.Threading.Tasks.Task.WhenAll(chunks.Select(async chunk =>
        {
            using var span = GatheringTracing.StartKey("results", "fhir");
            var begun = time.GetTimestamp();
            var url = new Uri(root, string.Create(CultureInfo.InvariantCulture,
                $"Observation?_id={string.Join(',', chunk.Select(Uri.EscapeDataString))}&patient={patient}&_count={chunk.Length}"));
            (IReadOnlyList<Observation> Found, string? Failure) result;
            try
            {
                var response = await client.GetAsync(url, fhirBase, token, deadline, linked.Token).ConfigureAwait(false);
                result = response switch
                {
                    { Failure: { } failure } => ([], failure.Text),
                    { Resource: Bundle bundle } => Collect(bundle, request.Context.PatientId),
                    _ => ([], "the search answered something other than a Bundle"),
                };
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                result = ([], $"no complete answer within this call's time budget of {FhirClient.Seconds(settings.Budget)}");
            }

            var outcome = result.Failure is null ? (result.Found.Count == 0 ? "no-data" : "ok") : "failed";
            GatheringMetrics.RecordFhirQuery("results", outcome, time.GetElapsedTime(begun));
            GatheringTracing.EndKey(span, outcome, pages: 1, result.Found.Count, failed: result.Failure is not null);
            if (result.Failure is not null)
            {
                GatheringLog.FallbackQueryFailed(logger, "results", outcome, 1);
            }

            return (chunk.Length, result.Found, result.Failure);
        })).ConfigureAwait(false);

        var notes = answers.Where(a => a.Failure is not null)
            .Select(a => $"{a.Length} result Observation(s) that reports reference could not be fetched from fhirServer: {a.Failure}.")
            .ToList();
        return new ResultFetch([.. answers.SelectMany(a => a.Found)], notes, ids.Count);
    }

    private static (IReadOnlyList<Observation> Found, string? Failure) Collect(Bundle bundle, string patientId)
    {
        var found = new List<Observation>();
        foreach (var (_, resource) in PrefetchReader.DataEntries(bundle))
        {
            if (resource is not Observation observation)
            {
                continue;
            }

            if (PrefetchReader.OwnerOf(observation) is { } owner && owner != patientId)
            {
                return ([], "the search by patient answered Observations of another patient");
            }

            found.Add(observation);
        }

        return (found, null);
    }

    /// <summary>The id of an Observation reference: relative <c>Observation/7</c>, or absolute on the FHIR base.</summary>
    private static string? ObservationId(string reference, string? fhirBase)
    {
        if (reference.StartsWith('#'))
        {
            return null;
        }

        var history = reference.IndexOf("/_history/", StringComparison.Ordinal);
        var trimmed = history < 0 ? reference : reference[..history];
        if (Uri.TryCreate(trimmed, UriKind.Absolute, out var absolute))
        {
            if (fhirBase is null || !FhirBaseUrl.Normalise(absolute).StartsWith(fhirBase + "/", StringComparison.Ordinal))
            {
                return null;
            }
        }

        var parts = trimmed.Split('/');
        return parts.Length >= 2 && parts[^2] == "Observation" && parts[^1].Length > 0 ? parts[^1] : null;
    }
}
