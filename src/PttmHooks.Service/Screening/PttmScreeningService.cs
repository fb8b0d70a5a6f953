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
        var gathered = await gatherer.GatherAsync(request, invocation.Prefetch, cancellationToken).ConfigureAwait(false);

        // The Patient only gives the age for the A–a gradient's limit; without it the rule uses the
        // age-free limit. Every search key can hold what decides a criterion, so a missing one
        // means 412, unless what did arrive already settles the answer whatever the rest holds.
        var missing = gathered.Unsatisfied.Where(k => k.Template.IsSearch).ToList();
        PttmAssessment assessment;
        using (var evaluate = CdsTracing.StartEvaluate())
        {
            var record = PatientRecord.FromResources(gathered.Resources);
            assessment = rule.Evaluate(record, time);
            CdsTracing.Describe(evaluate, assessment);
        }

        if (missing.Count > 0)
        {
            var missingKeys = string.Join(",", missing.Select(k => k.Template.Key));
            if (MissingData.SettledWithout(assessment, missing) is not { } settled)
            {
                Log.DataUnavailable(logger, missing.Count, missingKeys);
                return CdsServiceResult.Failed(OperationOutcomeResult.Error(
                    StatusCodes.Status412PreconditionFailed,
                    [.. missing.Select(k => new RequestIssue(
                        "prefetch." + k.Template.Key,
                        $"Prefetch key '{k.Template.Key}' ({k.Template.Template}) is unsatisfied: {k.Reason}. The service needs it to decide, and gives no card built on missing data.",
                        IssueType.Incomplete))])) with { FhirQueries = gathered.FhirQueries };
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
                gathered.Notes));
            compose?.SetTag("pttm.cards", cards.Count);
        }

        CdsMetrics.RecordAssessment(assessment);
        return CdsServiceResult.WithCards(cards) with { FhirQueries = gathered.FhirQueries };
    }

    /// <inheritdoc />
    public bool OffersOverrideReason(string code) => CardComposer.OverrideReasonCodes.Contains(code);
}
