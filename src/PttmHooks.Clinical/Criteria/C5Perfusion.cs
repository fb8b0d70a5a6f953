using PttmHooks.Clinical.Assessment;
using PttmHooks.Clinical.Terminology;
using PttmHooks.Clinical.Text;

namespace PttmHooks.Clinical.Criteria;

internal sealed partial class RuleRun
{
    /// <summary>
    /// C5: a lung perfusion or V/Q scan in the window. Defects (multiple, small, segmental, subsegmental,
    /// peripheral, patchy, flow reduction) count even when the report reads them as "suspicious for PE"
    /// (seed 004). Any report with defects outweighs a normal one: a normal scan silences the card, so it
    /// must not hide a scan that showed defects.
    /// </summary>
    public (CriterionResult Result, PerfusionFinding Finding) EvaluateC5()
    {
        var evidence = new List<Evidence>();
        var defects = false;
        var normal = false;
        foreach (var r in ReportsOf(Concept.PerfusionReport).OrderByDescending(r => r.Time))
        {
            if (r.ConclusionMeanings.Contains("perfusion-normal"))
            {
                normal = true;
                evidence.Add(Cite(r, "Perfusion scan normal (coded conclusion)", EvidenceRole.Decisive, null));
                continue;
            }

            var text = Analysis(r);
            var defect = text.Assess(Cat.PerfusionDefect);
            var normalText = text.Assess(Cat.PerfusionNormal);
            if (defect.Assertion == Assertion.Affirmed)
            {
                defects = true;
                evidence.Add(Cite(r, "Perfusion defects", EvidenceRole.Decisive, defect.Quote(r.Text)));
            }
            else if (normalText.Assertion == Assertion.Affirmed || defect.Assertion == Assertion.Negated)
            {
                normal = true;
                evidence.Add(Cite(r, "No perfusion defect", EvidenceRole.Decisive, (normalText.Assertion == Assertion.Affirmed ? normalText : defect).Quote(r.Text)));
            }
            else
            {
                evidence.Add(Cite(r, "Perfusion scan whose text could not be classified: review it", EvidenceRole.Context, null));
            }
        }

        if (defects)
        {
            var shown = evidence.Select(e => e.Finding.StartsWith("No perfusion", StringComparison.Ordinal) || e.Finding.Contains("normal", StringComparison.Ordinal)
                ? e with { Role = EvidenceRole.Context } : e).ToList();
            return (new CriterionResult(CriterionId.C5, CriterionState.Met, "Lung perfusion imaging shows perfusion defects.", shown), PerfusionFinding.Defects);
        }

        if (normal)
        {
            return (new CriterionResult(CriterionId.C5, CriterionState.NotMet, "Lung perfusion imaging shows no perfusion defect: PTTM is unlikely.", evidence), PerfusionFinding.Normal);
        }

        return (new CriterionResult(CriterionId.C5, CriterionState.Unknown, "No lung perfusion scan in the window.", evidence), PerfusionFinding.None);
    }
}
