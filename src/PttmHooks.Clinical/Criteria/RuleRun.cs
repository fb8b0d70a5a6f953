using System.Globalization;
using PttmHooks.Clinical.Assessment;
using PttmHooks.Clinical.Chart;
using PttmHooks.Clinical.Terminology;
using PttmHooks.Clinical.Text;

namespace PttmHooks.Clinical.Criteria;

/// <summary>
/// One evaluation of the rule: the chart's facts, the window, and the criteria computed from them.
/// Each criterion lives in its own file (C1Malignancy.cs, …); Decision.cs applies the decision table.
/// </summary>
internal sealed partial class RuleRun
{
    private readonly ChartFacts _facts;
    private readonly Knowledge _knowledge;
    private readonly PttmRuleOptions _options;
    private readonly Window _window;
    private readonly Dictionary<ReportFact, TextAnalysis> _analyses = new(ReferenceEqualityComparer.Instance);

    public RuleRun(ChartFacts facts, Knowledge knowledge, PttmRuleOptions options, DateTimeOffset now)
    {
        _facts = facts;
        _knowledge = knowledge;
        _options = options;
        _window = new Window(now - options.LookBack, now, now + options.FutureTolerance);
    }

    private Categories Cat => _knowledge.Categories;

    /// <summary>A report's text, scanned once per evaluation whatever the criteria ask of it (a CT is read by C4 and C6).</summary>
    private TextAnalysis Analysis(ReportFact report)
    {
        if (!_analyses.TryGetValue(report, out var analysis))
        {
            _analyses[report] = analysis = TextAnalysis.Analyze(report.Text, _knowledge);
        }

        return analysis;
    }

    /// <summary>Returns the pooled buffers of the report analyses.</summary>
    private void ReleaseAnalyses()
    {
        foreach (var analysis in _analyses.Values)
        {
            analysis.Dispose();
        }

        _analyses.Clear();
    }

    private DateTimeOffset Now => _window.Now;

    /// <summary>Measurements of one concept inside the window that carry a converted value.</summary>
    private IEnumerable<Measurement> Valued(Concept concept)
    {
        foreach (var m in _facts.Measurements)
        {
            if (m.Concept == concept && m.Value is not null && _window.Contains(m.At))
            {
                yield return m;
            }
        }
    }

    /// <summary>Measurements of one concept inside the window whose unit could not be converted: shown, never deciding.</summary>
    private IEnumerable<Measurement> Unconvertible(Concept concept)
    {
        foreach (var m in _facts.Measurements)
        {
            if (m.Concept == concept && m.Value is null && m.Problem is not null && _window.Contains(m.At))
            {
                yield return m;
            }
        }
    }

    private IEnumerable<ConditionFact> ConditionsOf(Concept concept)
    {
        foreach (var c in _facts.Conditions)
        {
            if (c.Concepts.Contains(concept))
            {
                yield return c;
            }
        }
    }

    private IEnumerable<ReportFact> ReportsOf(Concept kind, bool windowed = true)
    {
        foreach (var r in _facts.Reports)
        {
            if (r.Kind == kind && (!windowed || _window.Contains(r.At)))
            {
                yield return r;
            }
        }
    }

    // Thresholds honour Quantity.comparator: "<85" is below 90 for sure, ">85" is not known to be.
    internal static bool Below(Measurement m, double limit) => m.Value is { } v && m.Comparator switch
    {
        ">" or ">=" => false,
        _ => v < limit || (m.Comparator is "<" && v <= limit),
    };

    internal static bool AtLeast(Measurement m, double limit) => m.Value is { } v && m.Comparator switch
    {
        "<" or "<=" => false,
        _ => v >= limit,
    };

    internal static bool Above(Measurement m, double limit) => m.Value is { } v && m.Comparator switch
    {
        "<" or "<=" => false,
        _ => v > limit || (m.Comparator is ">" or ">=" && v >= limit),
    };

    internal static string Fmt(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private Evidence Cite(Measurement m, string finding, EvidenceRole role, string? note = null)
    {
        var notes = new List<string>(3);
        if (note is not null)
        {
            notes.Add(note);
        }

        if (m.Exertion)
        {
            notes.Add("measured on exertion");
        }

        if (m.Problem is not null)
        {
            notes.Add(m.Problem + ": shown, decides nothing");
        }

        if (m.Note is not null)
        {
            notes.Add(m.Note);
        }

        return new Evidence
        {
            ResourceType = m.Resource.TypeName,
            ResourceId = m.Resource.Id ?? "(no id)",
            Finding = finding,
            Display = m.Display,
            ValueAsWritten = m.Written,
            Value = m.Value,
            Unit = _knowledge.Info(m.Concept).Unit,
            EffectiveAt = m.At?.Earliest,
            Preliminary = m.Preliminary,
            Role = role,
            Note = notes.Count == 0 ? null : string.Join("; ", notes),
        };
    }

    private static Evidence Cite(ConditionFact c, string finding, EvidenceRole role, string? note = null)
    {
        var notes = new List<string>(3);
        if (note is not null)
        {
            notes.Add(note);
        }

        if (c.Unconfirmed)
        {
            notes.Add("verification status unconfirmed");
        }

        if (c.Status is not ClinicalStatus.Unspecified and not ClinicalStatus.Active)
        {
            notes.Add("clinical status " + c.Status.ToString().ToLowerInvariant());
        }

        if (c.Note is not null)
        {
            notes.Add(c.Note);
        }

        return new Evidence
        {
            ResourceType = "Condition",
            ResourceId = c.Resource.Id ?? "(no id)",
            Finding = finding,
            Display = c.Display,
            EffectiveAt = c.Date,
            Role = role,
            Note = notes.Count == 0 ? null : string.Join("; ", notes),
        };
    }

    /// <summary>
    /// Evidence from a report or note. Where the quoted sentence came from an attachment or a narrative
    /// result rather than the conclusion, the note says which ("from the attached report (Binary/7)").
    /// </summary>
    private static Evidence Cite(ReportFact r, string finding, EvidenceRole role, string? quote, string? note = null)
    {
        var at = string.IsNullOrEmpty(quote) ? -1 : r.Text.IndexOf(quote, StringComparison.Ordinal);
        var source = at >= 0 ? r.SourceAt(at) : null;
        return new Evidence
        {
            ResourceType = r.Resource.TypeName,
            ResourceId = r.Resource.Id ?? "(no id)",
            Finding = finding,
            Display = r.Display,
            ValueAsWritten = string.IsNullOrEmpty(quote) ? null : quote,
            EffectiveAt = r.At?.Earliest,
            Preliminary = r.Preliminary,
            Role = role,
            Note = source is null ? note : note is null ? source : note + "; " + source,
        };
    }

    /// <summary>The reading with the lowest value (the most abnormal for a "below" threshold).</summary>
    private static Measurement? Lowest(IEnumerable<Measurement> items) => items.MinBy(m => m.Value);

    private static Measurement? Highest(IEnumerable<Measurement> items) => items.MaxBy(m => m.Value);

    private static Measurement? Latest(IEnumerable<Measurement> items) => items.MaxBy(m => m.Time);

    private int? AgeAt(DateTimeOffset? at)
    {
        if (_facts.BirthDate is not { } born)
        {
            return null;
        }

        var when = at ?? Now;
        var age = when.Year - born.Year;
        if (when.Month < born.Month || (when.Month == born.Month && when.Day < born.Day))
        {
            age--;
        }

        return age;
    }
}
