using PttmHooks.Clinical.Assessment;

namespace PttmHooks.Reading.Gathering;

/// <summary>
/// Whether an assessment may be given although some search keys could not be gathered: the one
/// rule the service (412 otherwise) and the CLI (no assessment otherwise) share, so that no
/// answer is ever built on missing data that could change it.
/// </summary>
internal static class MissingData
{
    /// <summary>
    /// Why the answer cannot depend on the <paramref name="missing"/> keys, or null when it can.
    /// Only two findings settle it, both "no card" whatever else the chart holds: the Conditions
    /// arrived complete and hold no solid malignancy (C1 reads Conditions only, and it gates
    /// everything), or PTTM is already established (C7 Met: more data cannot take a positive
    /// cytology or a PTTM diagnosis away).
    /// </summary>
    public static string? SettledWithout(PttmAssessment assessment, IReadOnlyCollection<KeyResult> missing)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        ArgumentNullException.ThrowIfNull(missing);
        if (assessment[CriterionId.C7].State == CriterionState.Met)
        {
            return "C7 PTTM already established";
        }

        var conditionsComplete = !missing.Any(k => k.Template.ResourceType == "Condition");
        return conditionsComplete && assessment[CriterionId.C1].State != CriterionState.Met
            ? "C1 no solid malignancy in the complete Conditions"
            : null;
    }
}
