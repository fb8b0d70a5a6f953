using PttmHooks.Clinical;
using PttmHooks.Clinical.Assessment;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Reading.Gathering;
using PttmHooks.Service.Cards;
using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Telemetry;
using static Hl7.Fhir.Model.OperationOutcome;

namespace PttmHooks.Service.Screening;

/// <summary>
/// The <c>pttm-screening</c> service: gathers the patient's Conditions, Observations and
/// DiagnosticReports, evaluates the PTTM rule, and answers with its card (or none).
/// </summary>
public sealed class PttmScreeningService(
    PttmRule rule,
    CardComposer composer,
    RecordGatherer gatherer,
    AttachmentReader attachments,
    ResultFetcher results,
    TimeProvider time,
    ILogger<PttmScreeningService> logger) : ICdsService
{
    /// <summary>The service id.</summary>
    public const string ServiceId = CdsDiscovery.ScreeningServiceId;

    /// <inheritdoc />
    public string Id => ServiceId;

    /// <inheritdoc />
    public bool CouldHaveIssued(string cardUuid) => composer.Ids.IsIssued(cardUuid);

    /// <inheritdoc />
    public async Task<CdsServiceResult> InvokeAsync(CdsInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var request = invocation.Request;
        // One time budget for the whole call: the attachments get what the searches left of it.
        var started = time.GetTimestamp();
        var gathered = await gatherer.GatherAsync(request, invocation.Prefetch, cancellationToken).ConfigureAwait(false);

        // The texts of the reports and notes the rule reads are read before it runs: inline, or
        // from the EHR's FHIR server with the hook's token (never from another host).
        // At the same time, the result Observations the reports reference that the EHR did not
        // include are fetched: both are the call's second round trip, after the searches.
        var record = PatientRecord.FromResources(gathered.Resources);
        var readingTask = attachments.ReadAsync(
            record, rule.AttachmentsToRead(record, time.GetUtcNow()), AttachmentSource.For(request), started, cancellationToken);
        var resultsTask = results.FetchAsync(record, request, started, cancellationToken);
        await System.Threading.Tasks.Task.WhenAll(readingTask, resultsTask).ConfigureAwait(false);
        var reading = await readingTask.ConfigureAwait(false);
        var fetchedResults = await resultsTask.ConfigureAwait(false);
        var evaluated = fetchedResults.Observations.Count == 0
            ? reading.Record
            : PatientRecord.FromResources([.. gathered.Resources, .. fetchedResults.Observations]).WithAttachmentTexts(reading.Record.AttachmentTexts);

        // The Patient only gives the age for the A–a gradient's limit; without it the rule uses the
        // age-free limit. Every search key can hold what decides a criterion, so a missing one
        // means 412, unless what did arrive already settles the answer whatever the rest holds.
        // A report's text that could not be read and could decide counts the same way.
        var missing = gathered.Unsatisfied.Where(k => k.Template.IsSearch).ToList();
        PttmAssessment assessment;
        using (var evaluate = CdsTracing.StartEvaluate())
        {
            assessment = rule.Evaluate(evaluated, time);
            CdsTracing.Describe(evaluate, assessment);
        }

        var settled = MissingData.SettledWithout(assessment, missing);
        var (textIssues, textNotes) = UnreadTextOutcome.Decide(assessment, reading, settled is not null);
        if (missing.Count > 0 || textIssues.Count > 0)
        {
            var missingKeys = string.Join(",", missing.Select(k => k.Template.Key));
            if (settled is null)
            {
                if (missing.Count > 0)
                {
                    Log.DataUnavailable(logger, missing.Count, missingKeys);
                }

                if (textIssues.Count > 0)
                {
                    Log.TextsUnavailable(logger, textIssues.Count);
                }

                return CdsServiceResult.Failed(OperationOutcomeResult.Error(
                    StatusCodes.Status412PreconditionFailed,
                    [.. missing.Select(k => new RequestIssue(
                        "prefetch." + k.Template.Key,
                        $"Prefetch key '{k.Template.Key}' ({k.Template.Template}) is unsatisfied: {k.Reason}. The service needs it to decide, and gives no card built on missing data.",
                        IssueType.Incomplete)), .. textIssues])) with { FhirQueries = gathered.FhirQueries };
            }

            Log.DecidedWithoutMissing(logger, missing.Count, missingKeys, settled);
        }

        IReadOnlyList<Card> cards;
        using (var compose = CdsTracing.StartCompose())
        {
            cards = composer.Compose(assessment, new CardContext(
                request.Context.PatientId,
                request.Context.EncounterId,
                new Uri(invocation.PublicBaseUrl, PttmHooks.Service.Rule.RulePage.RelativePath),
                [.. gathered.Notes, .. fetchedResults.Notes, .. textNotes]));
            compose?.SetTag("pttm.cards", cards.Count);
        }

        CdsMetrics.RecordAssessment(assessment);
        return CdsServiceResult.WithCards(cards) with { FhirQueries = gathered.FhirQueries };
    }

    /// <inheritdoc />
    public bool OffersOverrideReason(string code) => CardComposer.OverrideReasonCodes.Contains(code);
}
