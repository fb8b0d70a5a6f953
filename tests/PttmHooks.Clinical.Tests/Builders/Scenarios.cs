using PttmHooks.Clinical.Assessment;
using PttmHooks.Clinical.Tests.Cases;
using Xunit;

// In the root test namespace, not ".Builders": inside PttmHooks.Clinical.Tests.*, the name "Chart" would
// otherwise resolve to the library's namespace PttmHooks.Clinical.Chart.
namespace PttmHooks.Clinical.Tests;

/// <summary>Charts that tests vary one finding of, and assertions that explain themselves when they fail.</summary>
public static class Scenarios
{
    public const string NegativeCtpa = "No evidence of pulmonary embolism.";

    /// <summary>Only a solid cancer (breast, C50.912, a year ago): C1 Met, everything else empty.</summary>
    public static Chart Cancer(string id = "p1", int? born = 1970) => Chart.For(id, born).WithSolidCancer();

    /// <summary>
    /// The complete pattern without any critical sign: breast cancer, SpO2 88 %, echo RVSP 45 mmHg and a
    /// negative CTPA 3 days ago, no perfusion scan: lung perfusion scan, PTTM suspected, warning.
    /// </summary>
    public static Chart Suspected(string id = "p1", int? born = 1970) =>
        Cancer(id, born).WithSpO2(88, daysAgo: 1).WithEchoRvsp(45, daysAgo: 2).WithCtpa(NegativeCtpa, daysAgo: 3);

    public static void State(PttmAssessment a, CriterionId id, CriterionState expected) =>
        Assert.True(a[id].State == expected, $"{id} is {a[id].State}, expected {expected}\n{SharedCaseTests.Explain(a)}");

    public static void Decision(PttmAssessment a, Recommendation recommendation, Suspicion? suspicion = null, Indicator? indicator = null)
    {
        var why = SharedCaseTests.Explain(a);
        Assert.True(a.Recommendation == recommendation, $"recommendation {a.Recommendation}, expected {recommendation}\n{why}");
        Assert.True(a.Suspicion == suspicion, $"suspicion {a.Suspicion}, expected {suspicion}\n{why}");
        Assert.True(a.Indicator == indicator, $"indicator {a.Indicator}, expected {indicator}\n{why}");
    }

    public static Evidence Cited(PttmAssessment a, CriterionId id, string reference) =>
        a[id].Evidence.FirstOrDefault(e => e.Reference == reference)
        ?? throw new Xunit.Sdk.XunitException($"{id} does not cite {reference}\n{SharedCaseTests.Explain(a)}");

    public static void NotCited(PttmAssessment a, string reference) =>
        Assert.False(a.EvidenceReferences().Contains(reference), $"{reference} is cited\n{SharedCaseTests.Explain(a)}");
}
