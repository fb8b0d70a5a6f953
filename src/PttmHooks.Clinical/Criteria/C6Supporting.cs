using PttmHooks.Clinical.Assessment;
using PttmHooks.Clinical.Chart;
using PttmHooks.Clinical.Terminology;
using PttmHooks.Clinical.Text;

namespace PttmHooks.Clinical.Criteria;

internal sealed partial class RuleRun
{
    // D-dimer raised: ≥ 0.5 mg/L FEU or ≥ 0.25 mg/L DDU (FEU ≈ 2 × DDU), or qualitatively positive (seeds 000, 004).
    internal const double DDimerFeuLimit = 0.5;
    internal const double DDimerDduLimit = 0.25;
    internal const double PlateletLimit = 150;
    internal const double NtProBnpLimit = 300;
    internal const double BnpLimit = 100;
    internal const double DiffusionLimit = 80;

    /// <summary>
    /// C6: supporting findings, never required: raised D-dimer, platelets below 150 × 10^3/µL, DIC or
    /// microangiopathic haemolysis, raised natriuretic peptides, CT ground-glass / centrilobular nodules /
    /// septal thickening / mediastinal adenopathy, DLCO or KCO below 80 % predicted.
    /// </summary>
    public (CriterionResult Result, bool Lymphangitic) EvaluateC6()
    {
        var evidence = new List<Evidence>();
        var measured = false;
        var met = false;

        foreach (var m in Valued(Concept.DDimer).Concat(QualitativeOnly(Concept.DDimer)))
        {
            measured = true;
            var (raised, finding) = DDimer(m);
            met |= raised;
            evidence.Add(Cite(m, finding, raised ? EvidenceRole.Decisive : EvidenceRole.Against));
        }

        met |= Limit(Concept.Platelets, "Platelets", "× 10^3/µL", PlateletLimit, low: true, evidence, ref measured);
        met |= Limit(Concept.NtProBnp, "NT-proBNP", "pg/mL", NtProBnpLimit, low: false, evidence, ref measured);
        met |= Limit(Concept.Bnp, "BNP", "pg/mL", BnpLimit, low: false, evidence, ref measured);
        met |= Limit(Concept.Dlco, "DLCO", "% predicted", DiffusionLimit, low: true, evidence, ref measured);
        met |= Limit(Concept.Kco, "KCO", "% predicted", DiffusionLimit, low: true, evidence, ref measured);

        // No threshold in the rule: the laboratory's own flag decides (low fibrinogen or haptoglobin, high LDH).
        foreach (var (concept, name, flag) in new[] { (Concept.Fibrinogen, "Fibrinogen", Flag.Low), (Concept.Haptoglobin, "Haptoglobin", Flag.Low), (Concept.Ldh, "LDH", Flag.High) })
        {
            var latest = Latest(_facts.Measurements.Where(m => m.Concept == concept && _window.Contains(m.At)));
            if (latest is null)
            {
                continue;
            }

            measured = true;
            var abnormal = latest.Flag == flag;
            met |= abnormal;
            evidence.Add(Cite(latest, abnormal ? $"{name} {(flag == Flag.Low ? "low" : "high")} (laboratory flag)" : $"{name} not flagged", abnormal ? EvidenceRole.Decisive : EvidenceRole.Context));
        }

        foreach (var (concept, name) in new[] { (Concept.Thrombocytopenia, "Thrombocytopenia"), (Concept.Dic, "Disseminated intravascular coagulation"), (Concept.Maha, "Microangiopathic haemolytic anaemia") })
        {
            foreach (var c in ConditionsOf(concept).Where(c => c.InWindow(_window) || c.IsActive))
            {
                met = true;
                evidence.Add(Cite(c, $"{name} recorded", EvidenceRole.Decisive));
            }
        }

        var lymphangitic = ConditionsOf(Concept.LymphangiticCarcinomatosis).Any();
        foreach (var r in _facts.Reports.Where(r => CtKinds.Contains(r.Kind) && _window.Contains(r.At)))
        {
            var text = Analysis(r);
            var ct = text.Assess(Cat.CtSupporting);
            if (ct.Assertion == Assertion.Affirmed)
            {
                met = true;
                evidence.Add(Cite(r, "CT: ground-glass opacities, centrilobular nodules, septal thickening or mediastinal adenopathy", EvidenceRole.Decisive, ct.Quote(r.Text)));
            }

            lymphangitic |= text.Affirms(Cat.Lymphangitic);
        }

        if (met)
        {
            return (new CriterionResult(CriterionId.C6, CriterionState.Met, "Supporting findings present.", evidence), lymphangitic);
        }

        return (measured
            ? new CriterionResult(CriterionId.C6, CriterionState.NotMet, "No supporting finding among the tests done.", evidence)
            : new CriterionResult(CriterionId.C6, CriterionState.Unknown, "No D-dimer, platelet count, natriuretic peptide or diffusion test in the window.", evidence), lymphangitic);
    }

    private IEnumerable<Measurement> QualitativeOnly(Concept concept) =>
        _facts.Measurements.Where(m => m.Concept == concept && m.Value is null && m.Qualitative != Qualitative.None && _window.Contains(m.At));

    private static (bool Raised, string Finding) DDimer(Measurement m)
    {
        if (m.Value is null)
        {
            var positive = m.Qualitative == Qualitative.Positive;
            return (positive, positive ? "D-dimer positive" : "D-dimer negative");
        }

        var v = m.Value.Value;
        if ((m.Traits & CodeTraits.Ddu) != 0)
        {
            var raised = AtLeast(m, DDimerDduLimit);
            return (raised, $"D-dimer {Fmt(v)} mg/L DDU (≈ {Fmt(v * 2)} mg/L FEU; {(raised ? "raised" : "not raised")}, limit {Fmt(DDimerDduLimit)} mg/L DDU)");
        }

        // FEU, or unknown: the FEU limit is the higher one, so an unlabelled value is not over-called;
        // the laboratory's own high flag still counts.
        var known = (m.Traits & CodeTraits.Feu) != 0;
        var byValue = AtLeast(m, DDimerFeuLimit);
        var byFlag = !byValue && m.Flag is Flag.High;
        var label = known ? "mg/L FEU" : "mg/L (FEU or DDU not stated)";
        var verdict = byValue ? "raised" : byFlag ? "flagged high by the laboratory" : "not raised";
        return (byValue || byFlag, $"D-dimer {Fmt(v)} {label} ({verdict}, limit {Fmt(DDimerFeuLimit)} mg/L FEU)");
    }

    private bool Limit(Concept concept, string name, string unit, double limit, bool low, List<Evidence> evidence, ref bool measured)
    {
        var values = Valued(concept).ToList();
        foreach (var m in Unconvertible(concept))
        {
            evidence.Add(Cite(m, $"{name} in an unknown unit", EvidenceRole.Context));
        }

        if (values.Count == 0)
        {
            return false;
        }

        measured = true;
        var worst = low ? Lowest(values)! : Highest(values)!;
        var past = low ? Below(worst, limit) : Above(worst, limit);
        var relation = low ? "below" : "above";
        evidence.Add(Cite(worst, $"{name} {Fmt(worst.Value!.Value)} {unit} ({(past ? relation : "not " + relation)} {Fmt(limit)})", past ? EvidenceRole.Decisive : EvidenceRole.Against));
        return past;
    }
}
