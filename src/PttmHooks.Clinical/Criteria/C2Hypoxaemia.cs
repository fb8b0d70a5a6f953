using PttmHooks.Clinical.Assessment;
using PttmHooks.Clinical.Chart;
using PttmHooks.Clinical.Terminology;

namespace PttmHooks.Clinical.Criteria;

internal sealed partial class RuleRun
{
    // Seeds: SpO2 85 % and PaO2 41.7 mmHg (000); exertional SpO2 82 %, PaO2 8.4 kPa (004).
    internal const double SpO2Limit = 90;
    internal const double PaO2Limit = 60;
    internal const double RoomAirFiO2 = 21;

    /// <summary>
    /// C2: hypoxaemia (SpO2 &lt; 90 %, PaO2 &lt; 60 mmHg, a hypoxaemia Condition), a raised A–a gradient
    /// (above age/4 + 4 mmHg, measured or computed from a blood gas), or dyspnea with onset in the window.
    /// </summary>
    public CriterionResult EvaluateC2()
    {
        var evidence = new List<Evidence>();
        var measured = false;
        var met = false;

        var spo2 = Valued(Concept.SpO2).ToList();
        measured |= spo2.Count > 0;
        var lowSpO2 = Lowest(spo2.Where(m => Below(m, SpO2Limit)));
        if (lowSpO2 is not null)
        {
            met = true;
            evidence.Add(Cite(lowSpO2, $"SpO2 {Fmt(lowSpO2.Value!.Value)} % (below {SpO2Limit} %)", EvidenceRole.Decisive));
        }

        if (Latest(spo2) is { } lastSpO2 && !ReferenceEquals(lastSpO2, lowSpO2))
        {
            var below = Below(lastSpO2, SpO2Limit);
            evidence.Add(Cite(lastSpO2, $"Latest SpO2 {Fmt(lastSpO2.Value!.Value)} %", below ? EvidenceRole.Decisive : met ? EvidenceRole.Context : EvidenceRole.Against));
        }

        var pao2 = Valued(Concept.PaO2).ToList();
        measured |= pao2.Count > 0;
        var lowPaO2 = Lowest(pao2.Where(m => Below(m, PaO2Limit)));
        if (lowPaO2 is not null)
        {
            met = true;
            evidence.Add(Cite(lowPaO2, $"PaO2 {Fmt(lowPaO2.Value!.Value)} mmHg (below {PaO2Limit} mmHg)", EvidenceRole.Decisive));
        }

        foreach (var c in ConditionsOf(Concept.HypoxaemiaCondition).Where(c => c.InWindow(_window)))
        {
            met = true;
            evidence.Add(Cite(c, "Hypoxaemia recorded", EvidenceRole.Decisive));
        }

        measured |= AaGradient(evidence, ref met, pao2, lowPaO2);

        foreach (var c in ConditionsOf(Concept.Dyspnea).Where(c => c.InWindow(_window)))
        {
            met = true;
            evidence.Add(Cite(c, "Dyspnea with onset in the window", EvidenceRole.Decisive));
        }

        foreach (var m in Unconvertible(Concept.SpO2).Concat(Unconvertible(Concept.PaO2)))
        {
            evidence.Add(Cite(m, "Oxygenation value in an unknown unit", EvidenceRole.Context));
        }

        if (met)
        {
            return new CriterionResult(CriterionId.C2, CriterionState.Met, SummaryC2(evidence), evidence);
        }

        return measured
            ? new CriterionResult(CriterionId.C2, CriterionState.NotMet, "Oxygenation in the window is not below the limits and no dyspnea is recorded.", evidence)
            : new CriterionResult(CriterionId.C2, CriterionState.Unknown, "No oxygenation measurement or dyspnea in the window.", evidence);
    }

    private static string SummaryC2(List<Evidence> evidence)
    {
        var hypoxaemia = evidence.Any(e => e.Role == EvidenceRole.Decisive && (e.Finding.StartsWith("SpO2", StringComparison.Ordinal) || e.Finding.StartsWith("PaO2", StringComparison.Ordinal) || e.Finding.StartsWith("Hypox", StringComparison.Ordinal) || e.Finding.StartsWith("A–a", StringComparison.Ordinal)));
        var dyspnea = evidence.Any(e => e.Role == EvidenceRole.Decisive && e.Finding.StartsWith("Dyspnea", StringComparison.Ordinal));
        return (hypoxaemia, dyspnea) switch
        {
            (true, true) => "Hypoxaemia and dyspnea in the window.",
            (true, false) => "Hypoxaemia in the window.",
            _ => "Dyspnea with onset in the window.",
        };
    }

    /// <summary>
    /// The A–a gradient, measured or computed with the alveolar gas equation
    /// PAO2 = FiO2 × (760 − 47) − PaCO2 / 0.8 (mmHg; seed 004 computes 6.9 kPa). The limit is age/4 + 4.
    /// Returns true when a gradient was available.
    /// </summary>
    private bool AaGradient(List<Evidence> evidence, ref bool met, List<Measurement> pao2, Measurement? alreadyLow)
    {
        var available = false;
        foreach (var m in Valued(Concept.AaGradient))
        {
            available = true;
            var (limit, how) = AaLimit(m.Time);
            if (Above(m, limit))
            {
                met = true;
                evidence.Add(Cite(m, $"A–a gradient {Fmt(m.Value!.Value)} mmHg (above {Fmt(limit)} mmHg {how})", EvidenceRole.Decisive));
            }
        }

        if (alreadyLow is not null)
        {
            return available;
        }

        // Compute from the latest blood gas with a PaCO2 beside it.
        var paco2 = Valued(Concept.PaCO2).ToList();
        foreach (var o2 in pao2.OrderByDescending(m => m.Time))
        {
            var co2 = paco2.Where(c => Close(c.Time, o2.Time)).MinBy(c => Distance(c.Time, o2.Time));
            if (co2 is null)
            {
                continue;
            }

            var fio2 = Valued(Concept.FiO2).Where(f => Close(f.Time, o2.Time)).MinBy(f => Distance(f.Time, o2.Time));
            var onOxygen = _facts.Measurements.Any(f => f.Concept == Concept.OxygenFlow && f.Value is > 0 && Close(f.Time, o2.Time));
            if (fio2 is null && onOxygen)
            {
                continue; // On supplemental oxygen with no FiO2 recorded: the gradient cannot be computed.
            }

            var fraction = (fio2?.Value ?? RoomAirFiO2) / 100.0;
            var gradient = (fraction * (760 - 47)) - (co2.Value!.Value / 0.8) - o2.Value!.Value;
            var (limit, how) = AaLimit(o2.Time);
            available = true;
            var fio2Note = fio2 is null ? "FiO2 not recorded: room air (21 %) assumed" : $"FiO2 {Fmt(fio2.Value!.Value)} %";
            var raised = gradient > limit;
            met |= raised;
            var role = raised ? EvidenceRole.Decisive : EvidenceRole.Against;
            var finding = $"A–a gradient {Fmt(gradient)} mmHg computed ({(raised ? "above" : "within")} {Fmt(limit)} mmHg {how})";
            evidence.Add(Cite(o2, finding, role, $"PaO2 {Fmt(o2.Value!.Value)} mmHg; {fio2Note}"));
            evidence.Add(Cite(co2, $"PaCO2 {Fmt(co2.Value!.Value)} mmHg (used for the A–a gradient)", raised ? EvidenceRole.Decisive : EvidenceRole.Context));
            if (fio2 is not null)
            {
                evidence.Add(Cite(fio2, $"FiO2 {Fmt(fio2.Value!.Value)} % (used for the A–a gradient)", EvidenceRole.Context));
            }

            break;
        }

        return available;
    }

    /// <summary>
    /// The upper limit of a normal A–a gradient, age/4 + 4 mmHg. Without a birth date the limit for a
    /// 100-year-old (29 mmHg) is used, so that a missing age never raises a false alarm.
    /// </summary>
    private (double Limit, string How) AaLimit(DateTimeOffset? at) => AgeAt(at) is { } age
        ? ((age / 4.0) + 4, $"for age {age}")
        : (29, "for an unknown age");

    private bool Close(DateTimeOffset? a, DateTimeOffset? b) => Distance(a, b) <= _options.BloodGasPairing;

    private static TimeSpan Distance(DateTimeOffset? a, DateTimeOffset? b) =>
        a is { } x && b is { } y ? (x - y).Duration() : TimeSpan.MaxValue;

    /// <summary>
    /// Rapid progression (a severity flag): dyspnea with onset within 30 days, a dyspnea Condition whose
    /// text says it is rapidly progressing, or SpO2 falling by ≥ 4 points or PaO2 by ≥ 10 mmHg between two
    /// measurements within 14 days. Exertional readings are compared only with exertional ones: a walk
    /// test is not a trend.
    /// </summary>
    public (bool Rapid, List<Evidence> Evidence) EvaluateProgression()
    {
        var evidence = new List<Evidence>();
        foreach (var c in ConditionsOf(Concept.Dyspnea).Where(c => c.InWindow(_window)))
        {
            if (c.Date is { } onset && Now - onset <= _options.RapidOnset)
            {
                evidence.Add(Cite(c, $"Dyspnea onset {(int)(Now - onset).TotalDays} days ago (within {(int)_options.RapidOnset.TotalDays} days)", EvidenceRole.Decisive));
            }
            else if (c.RapidText)
            {
                evidence.Add(Cite(c, "Dyspnea documented as rapidly progressing", EvidenceRole.Decisive));
            }
        }

        AddFall(Concept.SpO2, 4, "SpO2", "%", evidence);
        AddFall(Concept.PaO2, 10, "PaO2", "mmHg", evidence);
        return (evidence.Count > 0, evidence);
    }

    private void AddFall(Concept concept, double drop, string name, string unit, List<Evidence> evidence)
    {
        foreach (var exertion in new[] { false, true })
        {
            var series = Valued(concept).Where(m => m.Exertion == exertion && m.Time is not null && m.Comparator is null)
                .OrderBy(m => m.Time).ToList();
            if (FindFall(series, drop, _options.TrendSpan) is var (high, low))
            {
                evidence.Add(Cite(high, $"{name} {Fmt(high.Value!.Value)} {unit} before the fall", EvidenceRole.Decisive));
                evidence.Add(Cite(low, $"{name} fell to {Fmt(low.Value!.Value)} {unit} within {(int)(low.Time!.Value - high.Time!.Value).TotalDays} days (a fall of {Fmt(high.Value!.Value - low.Value!.Value)} {unit})", EvidenceRole.Decisive));
                return;
            }
        }
    }

    /// <summary>
    /// The largest fall from an earlier to a later reading no more than <paramref name="span"/> apart, if at
    /// least <paramref name="drop"/>: a sliding-window maximum over the series sorted by time, O(n).
    /// </summary>
    internal static (Measurement High, Measurement Low)? FindFall(List<Measurement> series, double drop, TimeSpan span)
    {
        var window = new LinkedList<Measurement>(); // decreasing values, earliest first
        (Measurement, Measurement)? best = null;
        var bestDrop = drop;
        foreach (var m in series)
        {
            while (window.First is { } first && m.Time!.Value - first.Value.Time!.Value > span)
            {
                window.RemoveFirst();
            }

            if (window.First is { } top && top.Value.Value!.Value - m.Value!.Value >= bestDrop)
            {
                bestDrop = top.Value.Value!.Value - m.Value!.Value;
                best = (top.Value, m);
            }

            while (window.Last is { } last && last.Value.Value <= m.Value)
            {
                window.RemoveLast();
            }

            window.AddLast(m);
        }

        return best;
    }
}
