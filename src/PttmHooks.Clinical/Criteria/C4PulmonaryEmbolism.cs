using PttmHooks.Clinical.Assessment;
using PttmHooks.Clinical.Chart;
using PttmHooks.Clinical.Terminology;
using PttmHooks.Clinical.Text;

namespace PttmHooks.Clinical.Criteria;

/// <summary>What a CT report says about pulmonary embolism.</summary>
internal enum PeReading
{
    NoStatement,
    Negative,
    Indeterminate,
    Positive,
}

internal sealed partial class RuleRun
{
    private static readonly Concept[] CtKinds = [Concept.CtpaReport, Concept.ChestCtContrastReport, Concept.ChestCtReport];

    /// <summary>
    /// C4: PE excluded by a CTPA (or a chest CT that comments on the pulmonary arteries) negative for
    /// PE within 30 days. NotMet with a CTPA positive for PE or an active PE Condition recorded in the
    /// window. Unknown otherwise, including when the only negative study is older than 30 days.
    /// </summary>
    public (CriterionResult Result, bool ChronicThromboembolic) EvaluateC4()
    {
        var evidence = new List<Evidence>();
        var positive = false;
        var negativeRecent = false;
        var negativeOld = false;
        var indeterminate = false;
        var chronic = false;
        var ctReports = _facts.Reports.Where(r => CtKinds.Contains(r.Kind) && _window.Contains(r.At)).OrderByDescending(r => r.Time).ToList();
        foreach (var r in ctReports)
        {
            var (reading, quote, chronicHere) = ReadPe(r);
            chronic |= chronicHere;
            var study = r.Kind == Concept.CtpaReport ? "CTPA" : "Chest CT";
            switch (reading)
            {
                case PeReading.Positive:
                    positive = true;
                    evidence.Add(Cite(r, $"{study} positive for pulmonary embolism", EvidenceRole.Decisive, quote));
                    break;
                case PeReading.Negative when r.Time is { } t && Now - t <= _options.CtpaMaxAge:
                    negativeRecent = true;
                    evidence.Add(Cite(r, $"{study} negative for pulmonary embolism", EvidenceRole.Decisive, quote));
                    break;
                case PeReading.Negative:
                    negativeOld = true;
                    evidence.Add(Cite(r, $"{study} negative for pulmonary embolism, but older than {(int)_options.CtpaMaxAge.TotalDays} days", EvidenceRole.Context, quote,
                        "a study from before the current episode cannot exclude a new embolism"));
                    break;
                case PeReading.Indeterminate:
                    indeterminate = true;
                    evidence.Add(Cite(r, $"{study} indeterminate for pulmonary embolism", EvidenceRole.Context, quote));
                    break;
                case PeReading.NoStatement when r.Kind == Concept.CtpaReport:
                    evidence.Add(Cite(r, "CTPA whose text makes no statement on pulmonary embolism", EvidenceRole.Context, null));
                    break;
            }
        }

        foreach (var c in ConditionsOf(Concept.PeCondition))
        {
            if (c.IsActive && c.InWindow(_window))
            {
                positive = true;
                evidence.Add(Cite(c, "Pulmonary embolism recorded in the window", EvidenceRole.Decisive));
            }
        }

        if (positive)
        {
            // Keep the negative studies as context: they did not decide.
            var shown = evidence.Select(e => e.Role == EvidenceRole.Decisive && e.Finding.Contains("negative", StringComparison.Ordinal) ? e with { Role = EvidenceRole.Context } : e).ToList();
            return (new CriterionResult(CriterionId.C4, CriterionState.NotMet, "Pulmonary embolism is shown or recorded: it explains the picture.", shown), chronic);
        }

        if (negativeRecent)
        {
            return (new CriterionResult(CriterionId.C4, CriterionState.Met, "A recent CT pulmonary angiogram is negative for pulmonary embolism.", evidence), chronic);
        }

        var summary = indeterminate ? "The CT in the window is indeterminate for pulmonary embolism: PE is not excluded."
            : negativeOld ? $"The only negative CTPA is older than {(int)_options.CtpaMaxAge.TotalDays} days: a new embolism is not excluded."
            : ctReports.Count > 0 ? "No CT in the window makes a statement on pulmonary embolism: PE is not excluded."
            : "No CT pulmonary angiogram in the window: pulmonary embolism is not excluded.";
        return (new CriterionResult(CriterionId.C4, CriterionState.Unknown, summary, evidence), chronic);
    }

    /// <summary>
    /// A report's reading for PE: coded conclusions first (59282003 with 2667000 Absent or 52101004
    /// Present), then the text. Any affirmed mention makes it positive; a doubt makes it indeterminate;
    /// only when every mention is negated is it negative.
    /// </summary>
    private (PeReading Reading, string? Quote, bool Chronic) ReadPe(ReportFact r)
    {
        if (r.ConclusionMeanings.Contains("pe"))
        {
            return (r.ConclusionMeanings.Contains("absent") ? PeReading.Negative : PeReading.Positive, "coded conclusion", false);
        }

        var text = Analysis(r);
        var chronic = text.Affirms(Cat.ChronicThromboembolic);
        var statement = text.Assess(Cat.PeMention, Cat.PePseudo);
        var reading = statement.Assertion switch
        {
            Assertion.Affirmed => PeReading.Positive,
            Assertion.Uncertain => PeReading.Indeterminate,
            Assertion.Negated => PeReading.Negative,
            _ => PeReading.NoStatement,
        };
        // A study its report calls limited or non-diagnostic neither shows nor excludes PE, even where
        // its other sentences say "no PE" (pttm-criteria.md 1.1, "Uncertainty is not negation"; reading 31).
        if (reading == PeReading.Negative && text.Assess(Cat.StudyLimited) is { Assertion: Assertion.Affirmed } limited)
        {
            return (PeReading.Indeterminate, limited.Quote(r.Text), chronic);
        }

        return (reading, statement.Quote(r.Text), chronic);
    }
}
