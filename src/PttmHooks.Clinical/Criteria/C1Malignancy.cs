using PttmHooks.Clinical.Assessment;
using PttmHooks.Clinical.Terminology;

namespace PttmHooks.Clinical.Criteria;

internal sealed partial class RuleRun
{
    /// <summary>
    /// C1: a solid malignant neoplasm at any age of record (seeds 003 and 004 developed PTTM 6 and 12
    /// years after treatment), or a personal history of one. Haematological malignancy alone does not
    /// count: PTTM is a complication of carcinoma.
    /// </summary>
    public (CriterionResult Result, MalignancyProfile Profile) EvaluateC1()
    {
        var evidence = new List<Evidence>();
        var sites = new List<string>();
        var traits = CodeTraits.None;
        foreach (var c in _facts.Conditions)
        {
            var solid = c.Concepts.Contains(Concept.SolidMalignancy);
            var history = c.Concepts.Contains(Concept.MalignancyHistory);
            if (!solid && !history)
            {
                continue;
            }

            if (c.Site is { } site && !sites.Contains(site))
            {
                sites.Add(site);
            }

            traits |= c.Traits;
            var what = history && !solid ? "History of solid malignancy" : "Solid malignancy";
            var detail = Describe(c.Site, c.Traits);
            evidence.Add(Cite(c, detail.Length == 0 ? what : $"{what} ({detail})", EvidenceRole.Decisive));
        }

        var profile = new MalignancyProfile(
            sites,
            (traits & CodeTraits.Adenocarcinoma) != 0,
            (traits & CodeTraits.SignetRing) != 0,
            HaematologicalOnly: evidence.Count == 0 && ConditionsOf(Concept.HaematologicalMalignancy).Any());

        if (evidence.Count > 0)
        {
            var risk = profile.SignetRing ? "; signet-ring morphology (higher risk)"
                : profile.Adenocarcinoma ? "; adenocarcinoma (higher risk)" : "";
            var where = sites.Count > 0 ? " (" + string.Join(", ", sites) + ")" : "";
            return (new CriterionResult(CriterionId.C1, CriterionState.Met, $"Solid malignancy recorded{where}{risk}.", evidence), profile);
        }

        foreach (var c in ConditionsOf(Concept.HaematologicalMalignancy))
        {
            evidence.Add(Cite(c, "Haematological malignancy (does not meet C1)", EvidenceRole.Against));
        }

        var summary = profile.HaematologicalOnly
            ? "Only a haematological malignancy is recorded; PTTM follows carcinoma."
            : "No solid malignancy recorded.";
        return (new CriterionResult(CriterionId.C1, CriterionState.NotMet, summary, evidence), profile);
    }

    private static string Describe(string? site, CodeTraits traits)
    {
        var parts = new List<string>(3);
        if (site is not null)
        {
            parts.Add(site);
        }

        if ((traits & CodeTraits.SignetRing) != 0)
        {
            parts.Add("signet-ring cell, higher risk");
        }
        else if ((traits & CodeTraits.Adenocarcinoma) != 0)
        {
            parts.Add("adenocarcinoma, higher risk");
        }

        return string.Join("; ", parts);
    }
}
