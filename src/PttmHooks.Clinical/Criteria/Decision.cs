using PttmHooks.Clinical.Assessment;
using PttmHooks.Clinical.Terminology;

namespace PttmHooks.Clinical.Criteria;

internal sealed partial class RuleRun
{
    // Indicator (pttm-criteria.md): critical when SpO2 < 85 %, PaO2 < 50 mmHg, mPAP ≥ 40 mmHg,
    // RVSP/PASP ≥ 60 mmHg, right heart failure recorded, or rapid progression.
    internal const double CriticalSpO2 = 85;
    internal const double CriticalPaO2 = 50;
    internal const double CriticalMpap = 40;
    internal const double CriticalRvsp = 60;

    public PttmAssessment Evaluate()
    {
        try
        {
            return Assess();
        }
        finally
        {
            ReleaseAnalyses();
        }
    }

    private PttmAssessment Assess()
    {
        var (c1, malignancy) = EvaluateC1();
        var c2 = EvaluateC2();
        var c3 = EvaluateC3();
        var (c4, ctChronic) = EvaluateC4();
        var (c5, perfusion) = EvaluateC5();
        var (c6, lymphangitic) = EvaluateC6();
        var c7 = EvaluateC7();
        var (cteph, ctephDiagnosed, ctephDifferential) = EvaluateCteph(c3.State == CriterionState.Met, ctChronic);
        var (rapid, progression) = EvaluateProgression();

        var reasons = new List<Reason>();
        var (recommendation, suspicion) = Decide(c1, c2, c3, c4, perfusion, c7, ctephDiagnosed, malignancy, reasons);

        Indicator? indicator = null;
        var indicatorReasons = new List<Reason>();
        if (recommendation != Recommendation.None)
        {
            indicator = suspicion == Suspicion.Possible ? Indicator.Info : Severity(rapid, indicatorReasons);
        }

        var differentials = new List<string>();
        if (ctephDifferential)
        {
            differentials.Add("Chronic thromboembolic pulmonary hypertension (CTEPH): " + cteph.Summary);
        }

        if (lymphangitic)
        {
            differentials.Add("Lymphangitic carcinomatosis is named in the chart: it can coexist with PTTM and cause hypoxaemia.");
        }

        return new PttmAssessment
        {
            EvaluatedAt = Now,
            WindowStart = _window.Start,
            Criteria = [c1, c2, c3, c4, c5, c6, c7, cteph],
            Perfusion = perfusion,
            Recommendation = recommendation,
            Suspicion = recommendation == Recommendation.None ? null : suspicion,
            Indicator = indicator,
            Reasons = reasons,
            IndicatorReasons = indicatorReasons,
            Missing = Missing(c2, c3, c4, perfusion, c6),
            Differentials = differentials,
            RapidProgression = rapid,
            ProgressionEvidence = progression,
            Malignancy = malignancy,
            SuggestEchocardiography = recommendation != Recommendation.None && c3.State == CriterionState.Unknown,
            RuleVersion = _knowledge.Version,
            UnreadTexts = UnreadTexts(c1, c2, c3, c4, perfusion, c7, ctephDiagnosed, recommendation,
                recommendation == Recommendation.None ? null : suspicion, indicator),
        };
    }

    /// <summary>The decision table of pttm-criteria.md, row by row; the first row that applies decides.</summary>
    private static (Recommendation, Suspicion?) Decide(
        CriterionResult c1, CriterionResult c2, CriterionResult c3, CriterionResult c4, PerfusionFinding c5, CriterionResult c7,
        bool ctephDiagnosed, MalignancyProfile malignancy, List<Reason> reasons)
    {
        if (c1.State != CriterionState.Met)
        {
            reasons.Add(malignancy.HaematologicalOnly
                ? new Reason("haematological-only", "Only a haematological malignancy is recorded: PTTM is a complication of carcinoma.")
                : new Reason("no-solid-malignancy", "No solid malignancy is recorded (C1 not met)."));
            return (Recommendation.None, null);
        }

        reasons.Add(new Reason("solid-malignancy", c1.Summary));
        if (c7.State == CriterionState.Met)
        {
            reasons.Add(new Reason("pttm-established", "PTTM or tumour embolism is already established (C7): no screening card."));
            return (Recommendation.None, null);
        }

        if (ctephDiagnosed)
        {
            reasons.Add(new Reason("cteph-diagnosed", "CTEPH is diagnosed: it explains pulmonary hypertension and hypoxaemia."));
            return (Recommendation.None, null);
        }

        if (c4.State == CriterionState.NotMet)
        {
            reasons.Add(new Reason("pe-explains", "Pulmonary embolism is shown or recorded (C4 not met): PE explains the picture."));
            return (Recommendation.None, null);
        }

        if (c5 == PerfusionFinding.Normal)
        {
            reasons.Add(new Reason("perfusion-normal", "A lung perfusion scan shows no perfusion defect: PTTM is unlikely."));
            return (Recommendation.None, null);
        }

        if (c2.State != CriterionState.Met)
        {
            reasons.Add(new Reason("no-hypoxaemia-or-dyspnea", "No hypoxaemia or new dyspnea in the window (C2 not met)."));
            return (Recommendation.None, null);
        }

        reasons.Add(new Reason("hypoxaemia-or-dyspnea", c2.Summary));
        var ph = c3.State;
        var pe = c4.State;
        if (c5 == PerfusionFinding.Defects)
        {
            if (pe == CriterionState.Met && ph is CriterionState.Met or CriterionState.Unknown)
            {
                reasons.Add(new Reason("perfusion-defects", "Perfusion defects with pulmonary embolism excluded on CT: the pattern of PTTM. Wedged pulmonary artery cytology can confirm it."));
                if (ph == CriterionState.Unknown)
                {
                    reasons.Add(new Reason("ph-not-assessed", "Pulmonary hypertension has not been assessed yet."));
                }

                return (Recommendation.WedgedPaCytology, Suspicion.Suspected);
            }

            if (pe == CriterionState.Unknown)
            {
                reasons.Add(new Reason("ctpa-first", "Perfusion defects without a recent CTPA: pulmonary embolism and PTTM both fit, and CTPA comes first."));
                return (Recommendation.None, null);
            }

            reasons.Add(new Reason("ph-not-met", "Pulmonary hypertension was assessed and not found (C3 not met)."));
            return (Recommendation.None, null);
        }

        switch (ph, pe)
        {
            case (CriterionState.Met, CriterionState.Met):
                reasons.Add(new Reason("pattern-complete", "Cancer, hypoxaemia or dyspnea, and pulmonary hypertension without pulmonary embolism: a lung perfusion scan is the next step."));
                return (Recommendation.LungPerfusionScan, Suspicion.Suspected);
            case (CriterionState.Met, CriterionState.Unknown):
                reasons.Add(new Reason("pe-not-excluded", "Pulmonary embolism is not yet excluded by a recent CTPA."));
                return (Recommendation.LungPerfusionScan, Suspicion.Possible);
            case (CriterionState.Unknown, CriterionState.Met):
                reasons.Add(new Reason("ph-not-assessed", "Pulmonary hypertension has not been assessed yet: consider echocardiography."));
                return (Recommendation.LungPerfusionScan, Suspicion.Possible);
            case (CriterionState.NotMet, _):
                reasons.Add(new Reason("ph-not-met", "Pulmonary hypertension was assessed and not found (C3 not met)."));
                return (Recommendation.None, null);
            default:
                reasons.Add(new Reason("pe-and-ph-unknown", "Neither pulmonary hypertension nor pulmonary embolism has been assessed: not enough to suggest PTTM."));
                return (Recommendation.None, null);
        }
    }

    private Indicator Severity(bool rapid, List<Reason> reasons)
    {
        if (Lowest(Valued(Concept.SpO2).Where(m => Below(m, CriticalSpO2))) is { } s)
        {
            reasons.Add(new Reason("spo2-critical", $"SpO2 {Fmt(s.Value!.Value)} % (below {CriticalSpO2} %)"));
        }

        if (Lowest(Valued(Concept.PaO2).Where(m => Below(m, CriticalPaO2))) is { } p)
        {
            reasons.Add(new Reason("pao2-critical", $"PaO2 {Fmt(p.Value!.Value)} mmHg (below {CriticalPaO2} mmHg)"));
        }

        if (Highest(Valued(Concept.MeanPaPressure).Where(m => AtLeast(m, CriticalMpap))) is { } mpap)
        {
            reasons.Add(new Reason("mpap-critical", $"Mean PA pressure {Fmt(mpap.Value!.Value)} mmHg (at or above {CriticalMpap} mmHg)"));
        }

        if (Highest(Valued(Concept.RvSystolicPressure).Where(m => AtLeast(m, CriticalRvsp))) is { } rvsp)
        {
            reasons.Add(new Reason("rvsp-critical", $"RV/PA systolic pressure {Fmt(rvsp.Value!.Value)} mmHg (at or above {CriticalRvsp} mmHg)"));
        }

        if (ConditionsOf(Concept.RightHeartFailure).FirstOrDefault(c => c.InWindow(_window) || c.IsActive) is { } rhf)
        {
            reasons.Add(new Reason("right-heart-failure", $"Right heart failure recorded ({rhf.Display})"));
        }

        if (rapid)
        {
            reasons.Add(new Reason("rapid-progression", "Rapid progression"));
        }

        return reasons.Count > 0 ? Indicator.Critical : Indicator.Warning;
    }

    private List<string> Missing(CriterionResult c2, CriterionResult c3, CriterionResult c4, PerfusionFinding c5, CriterionResult c6)
    {
        var days = (int)_options.LookBack.TotalDays;
        var missing = new List<string>();
        if (c2.State == CriterionState.Unknown)
        {
            missing.Add($"No SpO2 or arterial blood gas in the last {days} days.");
        }

        if (c3.State == CriterionState.Unknown)
        {
            missing.Add($"No echocardiogram, right heart catheterisation or PH diagnosis in the last {days} days.");
        }

        if (c4.State == CriterionState.Unknown)
        {
            missing.Add($"No CT pulmonary angiogram negative for PE in the last {(int)_options.CtpaMaxAge.TotalDays} days.");
        }

        if (c5 == PerfusionFinding.None)
        {
            missing.Add($"No lung perfusion or V/Q scan in the last {days} days.");
        }

        if (c6.State == CriterionState.Unknown)
        {
            missing.Add("No D-dimer, platelet count or natriuretic peptide in the window.");
        }

        return missing;
    }
}
