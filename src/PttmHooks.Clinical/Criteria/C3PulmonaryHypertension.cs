using PttmHooks.Clinical.Assessment;
using PttmHooks.Clinical.Terminology;
using PttmHooks.Clinical.Text;

namespace PttmHooks.Clinical.Criteria;

internal sealed partial class RuleRun
{
    // Seeds: RVSP 54 and 76 mmHg (000, 003).
    internal const double RvspLimit = 40;
    // ESC/ERS 2022 PH guideline: TRV > 2.8 m/s (echo probability), mPAP > 20 mmHg, PVR > 2 WU, TAPSE < 18 mm.
    internal const double TrvLimit = 2.8;
    internal const double MpapLimit = 20;
    internal const double PvrLimit = 2;
    internal const double TapseLimit = 18;

    private sealed record Threshold(Concept Concept, string Name, string Unit, double Limit, bool Low, bool Inclusive);

    private static readonly Threshold[] PhThresholds =
    [
        new(Concept.RvSystolicPressure, "RV/PA systolic pressure", "mmHg", RvspLimit, Low: false, Inclusive: true),
        new(Concept.TrVelocity, "TR peak velocity", "m/s", TrvLimit, Low: false, Inclusive: false),
        new(Concept.MeanPaPressure, "Mean PA pressure", "mmHg", MpapLimit, Low: false, Inclusive: false),
        new(Concept.Pvr, "PVR", "WU", PvrLimit, Low: false, Inclusive: false),
        new(Concept.Tapse, "TAPSE", "mm", TapseLimit, Low: true, Inclusive: false),
    ];

    /// <summary>
    /// C3: pulmonary hypertension or RV strain in the window: a haemodynamic or echo measurement past its
    /// limit, a PH or right heart failure Condition, or an echo (or right heart catheterisation) report
    /// that states PH, RV dilatation or dysfunction, or a D-shaped septum.
    /// </summary>
    public CriterionResult EvaluateC3()
    {
        var evidence = new List<Evidence>();
        var met = false;
        var assessed = false;
        foreach (var t in PhThresholds)
        {
            var values = Valued(t.Concept).ToList();
            if (values.Count == 0)
            {
                continue;
            }

            assessed = true;
            var worst = t.Low ? Lowest(values) : Highest(values);
            var past = t.Low ? Below(worst!, t.Limit) : t.Inclusive ? AtLeast(worst!, t.Limit) : Above(worst!, t.Limit);
            var relation = t.Low ? "below" : t.Inclusive ? "at or above" : "above";
            met |= past;
            evidence.Add(Cite(
                worst!,
                past ? $"{t.Name} {Fmt(worst!.Value!.Value)} {t.Unit} ({relation} {Fmt(t.Limit)} {t.Unit})" : $"{t.Name} {Fmt(worst!.Value!.Value)} {t.Unit} (not {relation} {Fmt(t.Limit)} {t.Unit})",
                past ? EvidenceRole.Decisive : EvidenceRole.Against));
        }

        foreach (var concept in new[] { Concept.PhCondition, Concept.RightHeartFailure })
        {
            var name = concept == Concept.PhCondition ? "Pulmonary hypertension" : "Right heart failure";
            foreach (var c in ConditionsOf(concept))
            {
                if (c.InWindow(_window))
                {
                    met = true;
                    evidence.Add(Cite(c, $"{name} recorded", EvidenceRole.Decisive));
                }
                else if (c.IsActive)
                {
                    evidence.Add(Cite(c, $"{name} recorded before the window", EvidenceRole.Context));
                }
            }
        }

        foreach (var r in ReportsOf(Concept.EchoReport).Concat(ReportsOf(Concept.RhcReport)))
        {
            var text = Analysis(r);
            var ph = text.Assess(Cat.EchoPh);
            var study = r.Kind == Concept.EchoReport ? "Echocardiography" : "Right heart catheterisation";
            if (ph.Assertion == Assertion.Affirmed)
            {
                met = true;
                assessed = true;
                evidence.Add(Cite(r, $"{study} states pulmonary hypertension or RV strain", EvidenceRole.Decisive, ph.Quote(r.Text)));
                continue;
            }

            var normal = text.Assess(Cat.EchoNormalRv);
            if (normal.Assertion == Assertion.Affirmed || ph.Assertion == Assertion.Negated)
            {
                assessed = true;
                var quote = normal.Assertion == Assertion.Affirmed ? normal.Quote(r.Text) : ph.Quote(r.Text);
                evidence.Add(Cite(r, $"{study} without pulmonary hypertension or RV strain", EvidenceRole.Against, quote));
            }
            else
            {
                evidence.Add(Cite(r, $"{study} does not comment on the RV or PA pressure", EvidenceRole.Context, null));
            }

            // "RVSP could not be estimated": no measurement (pttm-criteria.md 1.1), shown so the reader knows why.
            foreach (var gap in r.NotMeasured.DistinctBy(g => g.Concept))
            {
                var name = PhThresholds.FirstOrDefault(t => t.Concept == gap.Concept)?.Name ?? gap.Concept.ToString();
                evidence.Add(Cite(r, $"{study}: {name} not measured", EvidenceRole.Context, r.Text.Substring(gap.SentenceStart, gap.SentenceLength)));
            }
        }

        foreach (var t in PhThresholds)
        {
            foreach (var m in Unconvertible(t.Concept))
            {
                evidence.Add(Cite(m, $"{t.Name} in an unknown unit", EvidenceRole.Context));
            }
        }

        if (met)
        {
            return new CriterionResult(CriterionId.C3, CriterionState.Met, "Pulmonary hypertension or RV strain in the window.", evidence);
        }

        return assessed
            ? new CriterionResult(CriterionId.C3, CriterionState.NotMet, "PH was assessed in the window and every value is within its limit.", evidence)
            : new CriterionResult(CriterionId.C3, CriterionState.Unknown, "No echocardiography, right heart catheterisation or PH diagnosis in the window.", evidence);
    }
}
