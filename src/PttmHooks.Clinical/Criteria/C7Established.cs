using PttmHooks.Clinical.Assessment;
using PttmHooks.Clinical.Terminology;
using PttmHooks.Clinical.Text;

namespace PttmHooks.Clinical.Criteria;

internal sealed partial class RuleRun
{
    /// <summary>
    /// C7: the diagnosis is already made: wedged pulmonary artery blood cytology showing malignant cells
    /// (seed 003), or a Condition naming PTTM or pulmonary tumour embolism, at any time.
    /// </summary>
    public CriterionResult EvaluateC7()
    {
        var evidence = new List<Evidence>();
        var met = false;
        foreach (var c in ConditionsOf(Concept.PttmCondition).Concat(ConditionsOf(Concept.TumourEmbolism)))
        {
            met = true;
            var what = c.Concepts.Contains(Concept.PttmCondition) ? "PTTM diagnosed" : "Pulmonary tumour embolism diagnosed";
            evidence.Add(Cite(c, what, EvidenceRole.Decisive));
        }

        foreach (var r in ReportsOf(Concept.PaCytologyReport, windowed: false))
        {
            var text = Analysis(r);
            var cells = text.Assess(Cat.MalignantCells);
            if (cells.Assertion == Assertion.Affirmed)
            {
                met = true;
                evidence.Add(Cite(r, "Wedged pulmonary artery cytology shows malignant cells", EvidenceRole.Decisive, cells.Quote(r.Text)));
            }
            else
            {
                evidence.Add(Cite(r, cells.Assertion == Assertion.Negated ? "Wedged pulmonary artery cytology without malignant cells" : "Wedged pulmonary artery cytology, not conclusive",
                    EvidenceRole.Against, cells.Quote(r.Text)));
            }
        }

        return met
            ? new CriterionResult(CriterionId.C7, CriterionState.Met, "PTTM or tumour embolism is already established.", evidence)
            : new CriterionResult(CriterionId.C7, CriterionState.NotMet, "No established PTTM diagnosis.", evidence);
    }

    /// <summary>
    /// The CTEPH differential (seed 001, Table 1: chronic course): a CTEPH Condition means no card; dyspnea
    /// documented for more than 6 months with PH, or chronic thromboembolic changes on CT, names CTEPH as
    /// the differential on the card. A CTEPH Condition marked resolved or inactive (after endarterectomy)
    /// does not silence the card.
    /// </summary>
    public (CriterionResult Result, bool Diagnosed, bool Differential) EvaluateCteph(bool phMet, bool ctChronic)
    {
        var evidence = new List<Evidence>();
        var diagnosed = false;
        foreach (var c in ConditionsOf(Concept.CtephCondition))
        {
            diagnosed |= c.IsActive;
            evidence.Add(Cite(c, c.IsActive ? "CTEPH diagnosed" : "CTEPH recorded, not active", c.IsActive ? EvidenceRole.Decisive : EvidenceRole.Context));
        }

        var chronicCourse = false;
        if (phMet)
        {
            var earliest = ConditionsOf(Concept.Dyspnea).Where(c => c.Date is not null).MinBy(c => c.Date);
            if (earliest?.Date is { } onset && Now - onset > _options.ChronicCourse)
            {
                chronicCourse = true;
                evidence.Add(Cite(earliest, $"Dyspnea documented for {(int)((Now - onset).TotalDays / 30.4)} months with pulmonary hypertension: a chronic course", EvidenceRole.Decisive));
            }
        }

        if (diagnosed)
        {
            return (new CriterionResult(CriterionId.Cteph, CriterionState.Met, "CTEPH is diagnosed: it explains the picture.", evidence), true, false);
        }

        if (chronicCourse || ctChronic)
        {
            var why = chronicCourse ? "a chronic course" : "chronic thromboembolic changes on CT";
            return (new CriterionResult(CriterionId.Cteph, CriterionState.Met, $"CTEPH is the differential ({why}).", evidence), false, true);
        }

        return (new CriterionResult(CriterionId.Cteph, CriterionState.NotMet, "Nothing points to CTEPH.", evidence), false, false);
    }
}
