using System.Diagnostics;
using PttmHooks.Clinical.Assessment;
using PttmHooks.Reading.Telemetry;

namespace PttmHooks.Service.Telemetry;

/// <summary>
/// The service's own spans (activity source <c>PttmHooks.CdsHooks</c>): <c>gather</c>, with one
/// child per prefetch key (<c>gather {key}</c>), <c>evaluate</c> and <c>compose</c>, under the
/// ASP.NET Core server span of the hook call. The gathering spans are the reading library's, in a
/// source of the same name (PttmHooks.Reading.Telemetry.GatheringTracing). Attributes are keys, states, codes and counts: never a
/// patient id, a token, a URL with an id in it, or anything of a resource's content. None is
/// started for the service's warm-up calls (<see cref="WarmUpCalls"/>).
/// </summary>
public static class CdsTracing
{
    /// <summary>The activity source's name.</summary>
    public const string SourceName = "PttmHooks.CdsHooks";

    /// <summary>The source of every span of the service.</summary>
    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>The span of the rule's evaluation.</summary>
    public static Activity? StartEvaluate() => WarmUpCalls.Active ? null : Source.StartActivity("evaluate");

    /// <summary>What the rule decided: recommendation, suspicion, indicator and each criterion's state.</summary>
    public static void Describe(Activity? activity, PttmAssessment assessment)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        if (activity is null || !activity.IsAllDataRequested)
        {
            return;
        }

        activity.SetTag("pttm.recommendation", assessment.Recommendation.ToString());
        activity.SetTag("pttm.suspicion", assessment.Suspicion?.ToString().ToLowerInvariant() ?? "none");
        activity.SetTag("pttm.indicator", assessment.Indicator?.ToString().ToLowerInvariant() ?? "none");
        activity.SetTag("pttm.perfusion", assessment.Perfusion.ToString().ToLowerInvariant());
        foreach (var id in Enum.GetValues<CriterionId>())
        {
            activity.SetTag("pttm.criterion." + id.ToString().ToLowerInvariant(), State(assessment[id].State));
        }
    }

    /// <summary>The span of card composition.</summary>
    public static Activity? StartCompose() => WarmUpCalls.Active ? null : Source.StartActivity("compose");

    private static string State(CriterionState state) => state switch
    {
        CriterionState.Met => "met",
        CriterionState.NotMet => "not-met",
        _ => "unknown",
    };
}
