using PttmHooks.Clinical.Assessment;
using PttmHooks.Clinical.Chart;
using PttmHooks.Clinical.Terminology;

namespace PttmHooks.Clinical.Criteria;

internal sealed partial class RuleRun
{
    /// <summary>
    /// Whether the rule reads a report of <paramref name="kind"/> dated <paramref name="at"/>: cytology at
    /// any time (C7 looks at any time), every other kind only in the look-back window (an undated or
    /// older study decides nothing). docs/clinical-rule.md reading 34.
    /// </summary>
    internal static bool Matters(Concept kind, TimeSpanOf? at, Window window) =>
        kind == Concept.PaCytologyReport || window.Contains(at);

    /// <summary>
    /// The reports and notes the rule reads whose text (an attachment) could not be read, and whether
    /// the decision could depend on each (docs/clinical-rule.md reading 35). Nothing a text says can
    /// undo no solid malignancy (C1), an established diagnosis (C7), a CTEPH diagnosis, no hypoxaemia or
    /// dyspnea (C2: Conditions and Observations only) or a PE already shown (C4 NotMet: positive wins,
    /// reading 10). Otherwise, per kind: a CT could show or exclude PE unless a normal perfusion scan or
    /// C3 NotMet already silences the card; an echocardiogram or catheterisation could change C3, or
    /// raise a warning card to critical (RVSP ≥ 60, mPAP ≥ 40), unless a normal perfusion scan silences
    /// the card; a perfusion scan could show defects unless defects are already shown or C3 is NotMet;
    /// a cytology could establish PTTM and so withdraw a card.
    /// </summary>
    private List<UnreadText> UnreadTexts(
        CriterionResult c1, CriterionResult c2, CriterionResult c3, CriterionResult c4, PerfusionFinding c5, CriterionResult c7,
        bool ctephDiagnosed, Recommendation recommendation, Suspicion? suspicion, Indicator? indicator)
    {
        var list = new List<UnreadText>();
        var settled = c1.State != CriterionState.Met || c7.State == CriterionState.Met || ctephDiagnosed
            || c2.State != CriterionState.Met || c4.State == CriterionState.NotMet;

        bool Could(Concept kind) => !settled && kind switch
        {
            Concept.PaCytologyReport => recommendation != Recommendation.None,
            Concept.CtpaReport or Concept.ChestCtContrastReport or Concept.ChestCtReport =>
                c5 != PerfusionFinding.Normal && c3.State != CriterionState.NotMet,
            Concept.EchoReport or Concept.RhcReport =>
                c5 != PerfusionFinding.Normal
                && (c3.State != CriterionState.Met || (suspicion == Suspicion.Suspected && indicator == Indicator.Warning)),
            Concept.PerfusionReport => c5 != PerfusionFinding.Defects && c3.State != CriterionState.NotMet,
            _ => false,
        };

        foreach (var r in _facts.Reports)
        {
            if (r.Unread.Count > 0 && Matters(r.Kind, r.At, _window))
            {
                list.Add(new UnreadText(r.Reference, Problems(r.Unread), Could(r.Kind)));
            }
        }

        // A report or note of an imaging or pathology family whose kind only its unread text would tell:
        // it could be any kind of its family.
        foreach (var u in _facts.Unclassified)
        {
            if (u.Text.Unread.Count == 0 || u.Family is not { } family)
            {
                continue;
            }

            var kinds = family.Kinds.Items().Where(k => Matters(k, u.At, _window)).ToList();
            if (kinds.Count > 0)
            {
                list.Add(new UnreadText(u.Reference, Problems(u.Text.Unread), kinds.Any(Could)));
            }
        }

        return list;
    }

    private static string Problems(IReadOnlyList<UnreadPart> unread) =>
        string.Join("; ", unread.Select(u => u.Problem.Contains(u.Origin, StringComparison.Ordinal) ? u.Problem : $"{u.Origin}: {u.Problem}"));
}
