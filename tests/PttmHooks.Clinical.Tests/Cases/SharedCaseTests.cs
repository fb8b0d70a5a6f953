using PttmHooks.Clinical.Assessment;
using Xunit;

namespace PttmHooks.Clinical.Tests.Cases;

/// <summary>
/// Every patient of shared/clinical/cases (copied to samples/cases; .ci/run checks the copy is
/// current) and of tests/TestData/own-cases, evaluated at its evaluatedAt and compared with its expected outcome.
/// </summary>
public sealed class SharedCaseTests
{
    private static readonly PttmRule Rule = new();

    public static TheoryData<string> SharedCases() => new(CaseFile.Names("cases"));

    public static TheoryData<string> OwnCases() => new(CaseFile.Names("own-cases"));

    [Theory]
    [MemberData(nameof(SharedCases))]
    public void Shared_case_meets_its_expected_outcome(string name) => Check(CaseFile.Load("cases", name));

    [Theory]
    [MemberData(nameof(OwnCases))]
    public void Own_case_meets_its_expected_outcome(string name) => Check(CaseFile.Load("own-cases", name));

    [Fact]
    public void Every_shared_case_is_present()
    {
        // The shared set has 18 patients; a copy that lost some would pass silently without this.
        Assert.True(CaseFile.Names("cases").Count() >= 18);
    }

    internal static void Check(CaseFile file)
    {
        var assessment = Rule.Evaluate(file.Record(), file.EvaluatedAt);
        var expected = file.Expected;
        var why = Explain(assessment);

        Assert.True(Names.Recommendation(assessment.Recommendation) == expected.Recommendation,
            $"{file.Id}: recommendation {Names.Recommendation(assessment.Recommendation)}, expected {expected.Recommendation}\n{why}");
        Assert.True(Names.Suspicion(assessment.Suspicion) == expected.Suspicion,
            $"{file.Id}: suspicion {Names.Suspicion(assessment.Suspicion)}, expected {expected.Suspicion}\n{why}");
        Assert.True(Names.Indicator(assessment.Indicator) == expected.Indicator,
            $"{file.Id}: indicator {Names.Indicator(assessment.Indicator)}, expected {expected.Indicator}\n{why}");

        foreach (var (criterion, state) in expected.Criteria ?? [])
        {
            var actual = Names.State(assessment, Enum.Parse<CriterionId>(criterion));
            Assert.True(actual == state, $"{file.Id}: {criterion} is {actual}, expected {state}\n{why}");
        }

        var cited = assessment.EvidenceReferences();
        foreach (var reference in expected.Evidence ?? [])
        {
            Assert.True(cited.Contains(reference), $"{file.Id}: evidence does not cite {reference}\n{why}");
        }
    }

    internal static string Explain(PttmAssessment a) =>
        string.Join('\n', a.Criteria.Select(c => $"  {c.Id} {c.State}: {c.Summary} [{string.Join("; ", c.Evidence.Select(e => $"{e.Reference} {e.Role} {e.Finding}"))}]"))
        + "\n  reasons: " + string.Join(" | ", a.Reasons.Select(r => r.Code))
        + "\n  indicator reasons: " + string.Join(" | ", a.IndicatorReasons.Select(r => r.Text));
}

/// <summary>The names case.json uses for the assessment's values.</summary>
internal static class Names
{
    public static string Recommendation(Recommendation r) => r switch
    {
        Assessment.Recommendation.LungPerfusionScan => "lung-perfusion-scan",
        Assessment.Recommendation.WedgedPaCytology => "wedged-pa-cytology",
        _ => "none",
    };

    public static string? Suspicion(Suspicion? s) => s?.ToString().ToLowerInvariant();

    public static string? Indicator(Indicator? i) => i?.ToString().ToLowerInvariant();

    public static string State(PttmAssessment a, CriterionId id) => id == CriterionId.C5
        ? a.Perfusion.ToString().ToLowerInvariant()
        : a[id].State.ToString();
}
