using PttmHooks.Clinical.Assessment;
using Xunit;

namespace PttmHooks.Clinical.Tests.Cases;

/// <summary>
/// The model of what is shown (<see cref="AssessmentView"/>, rendered by the card and the CLI's table)
/// carries everything the assessment cites, for every case.
/// </summary>
public sealed class AssessmentViewTests
{
    private static readonly PttmRule Rule = new();

    public static TheoryData<string, string> AllCases() =>
        new([.. CaseFile.Names("cases").Select(n => ("cases", n)), .. CaseFile.Names("own-cases").Select(n => ("own-cases", n))]);

    [Theory]
    [MemberData(nameof(AllCases))]
    public void The_view_carries_every_evidence_reference_the_assessment_cites(string set, string name)
    {
        var file = CaseFile.Load(set, name);
        var assessment = Rule.Evaluate(file.Record(), file.EvaluatedAt);
        var view = AssessmentView.Of(assessment);

        Assert.Equal(assessment.EvidenceReferences(), view.References);
        var shown = view.Rows.Select(r => r.Reference).ToHashSet(StringComparer.Ordinal);
        Assert.All(assessment.EvidenceReferences(), reference => Assert.Contains(reference, shown));
        foreach (var criterion in assessment.Criteria)
        {
            var rows = view[criterion.Id];
            Assert.Equal((criterion.State, criterion.Summary), (rows.State, rows.Sentence));
            Assert.Equal(criterion.Evidence.Select(e => (e.Reference, e.Role, e.Finding, e.ValueAsWritten, e.EffectiveAt, e.Preliminary, e.Note)),
                rows.Evidence.Select(r => (r.Reference, r.Role, r.Finding, r.ValueAsWritten, r.EffectiveAt, r.Preliminary, r.Note)));
            Assert.Equal(criterion.Evidence.Where(e => e.Role == EvidenceRole.Decisive).Select(e => e.Reference), rows.Decisive.Select(r => r.Reference));
            Assert.Equal(criterion.Evidence.Count, rows.Decisive.Count() + rows.Against.Count() + rows.Context.Count());
        }

        Assert.Equal(assessment.DecisiveReferences(), view.Criteria.SelectMany(c => c.Decisive).Select(r => r.Reference).Distinct(StringComparer.Ordinal));
        Assert.Equal((assessment.Recommendation, assessment.Suspicion, assessment.Indicator, assessment.Missing, assessment.Differentials),
            (view.Recommendation, view.Suspicion, view.Indicator, view.Missing, view.Differentials));
        Assert.Equal(assessment.HasPreliminaryEvidence, view.HasPreliminaryEvidence);
    }
}
