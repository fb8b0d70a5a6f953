using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using PttmHooks.Clinical.Terminology;

namespace PttmHooks.Clinical.Text;

/// <summary>A number a report's text states for a measure, in the unit it was written in (UCUM), with its sentence.</summary>
/// <param name="Concept">The measure.</param>
/// <param name="Value">The value that counts (the more abnormal end of a range).</param>
/// <param name="Comparator">"&lt;", "&gt;", "&lt;=", "&gt;=" or null.</param>
/// <param name="Unit">The UCUM unit of <paramref name="Value"/>, or null when neither written nor implied.</param>
/// <param name="UnitImplied">True when no unit was written and <paramref name="Unit"/> is the measure's usual one.</param>
/// <param name="SentenceStart">Where the sentence that states it begins in the text.</param>
/// <param name="SentenceLength">The sentence's length.</param>
/// <param name="Range">True when the text gives a range.</param>
internal readonly record struct TextMeasure(
    Concept Concept, double Value, string? Comparator, string? Unit, bool UnitImplied, int SentenceStart, int SentenceLength, bool Range);

/// <summary>A statement that a measure could not be measured or estimated ("RVSP could not be estimated").</summary>
internal readonly record struct TextGap(Concept Concept, int SentenceStart, int SentenceLength);

/// <summary>A sentence whose reading for numbers ran past the time limit, so that nothing it states was read.</summary>
internal readonly record struct TextUnread(int SentenceStart, int SentenceLength);

/// <summary>
/// Reads the numbers that echocardiography and catheterisation reports write in words ("estimated RVSP
/// 54 mmHg", "TR Vmax: 3.4 m/sec", "PVR 360 dyn·s/cm5", "RVSP 35-40 mmHg"), and the statements that a
/// value could not be measured. One regular expression, built once from <c>measures.json</c> (names,
/// connectors, units); every match runs under a timeout, and a sentence that times out yields no
/// number but is returned as unread, so that the card can say that it was not read (never an
/// exception; docs/clinical-rule.md readings 30, 32 and 33).
/// </summary>
internal sealed class MeasureReader
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    private readonly Regex _number;
    private readonly Regex _names;
    private readonly Regex _gaps;
    private readonly Dictionary<string, MeasureEntry> _byName;
    private readonly Dictionary<string, string> _units;
    private readonly Dictionary<string, Concept[]> _gapConcepts;

    private MeasureReader(Regex number, Regex names, Regex gaps, Dictionary<string, MeasureEntry> byName, Dictionary<string, string> units, Dictionary<string, Concept[]> gapConcepts)
    {
        _number = number;
        _names = names;
        _gaps = gaps;
        _byName = byName;
        _units = units;
        _gapConcepts = gapConcepts;
    }

    /// <summary>Builds the reader of <paramref name="file"/>; <paramref name="timeout"/> limits each match (1 s; tests set less).</summary>
    public static MeasureReader Build(MeasureFile file, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Timeout;
        var byName = new Dictionary<string, MeasureEntry>(StringComparer.Ordinal);
        foreach (var measure in file.Measures)
        {
            if (!Enum.TryParse<Concept>(measure.Concept, out _))
            {
                throw new InvalidOperationException($"measures.json: unknown concept '{measure.Concept}'.");
            }

            foreach (var name in measure.Names)
            {
                byName[Normalize(name)] = measure;
            }
        }

        var units = file.Units.ToDictionary(u => Normalize(u.Key), u => u.Value, StringComparer.Ordinal);
        var gapConcepts = new Dictionary<string, Concept[]>(StringComparer.Ordinal);
        foreach (var gap in file.NotMeasured)
        {
            gapConcepts[Normalize(gap.Phrase)] = [.. gap.Concepts.Select(c => Enum.TryParse<Concept>(c, out var concept) ? concept
                : throw new InvalidOperationException($"measures.json: unknown concept '{c}'."))];
        }

        var names = Alternatives(byName.Keys);
        var connectors = Alternatives(file.Connectors.Select(Normalize));
        var unitPattern = Alternatives(units.Keys);
        const string Num = @"\d{1,4}(?:\.\d{1,3})?";
        var pattern = $@"(?<![\p{{L}}\p{{N}}])(?<name>{names})(?![\p{{L}}\p{{N}}])"
            + $@"(?:[ \t]*(?:[:=~≈(,]|(?:{connectors})(?![\p{{L}}\p{{N}}])))*?"
            // Atomic: the blanks before a comparator are never split between the two blank runs
            // (a run of n blanks before something that is not a number cost n² steps).
            + $@"(?>[ \t]*)(?<cmp>[<>≤≥]=?)?[ \t]*(?<v1>{Num})"
            + $@"(?:[ \t]*(?:-|–|—|to)[ \t]*(?<v2>{Num}))?"
            + $@"(?:[ \t]*(?<unit>{unitPattern}))?(?![\p{{L}}\p{{N}}])";
        const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture | RegexOptions.Compiled;
        var reader = new MeasureReader(
            new Regex(pattern, Options, limit),
            new Regex($@"(?<![\p{{L}}\p{{N}}])(?:{names})(?![\p{{L}}\p{{N}}])", Options, limit),
            new Regex($@"(?<![\p{{L}}\p{{N}}])(?:{Alternatives(gapConcepts.Keys)})(?![\p{{L}}\p{{N}}])", Options, limit),
            byName,
            units,
            gapConcepts);
        reader.WarmUp(file);
        return reader;
    }

    /// <summary>
    /// Runs each expression once on a sentence of its own names, so that the JIT compiles the
    /// expressions here and not inside the first report's match: on a loaded machine that first
    /// match took longer than <see cref="Timeout"/>, and the report's numbers were silently not read
    /// (own-rvsp-range-in-echo-text answered "possible" under load average 18).
    /// </summary>
    private void WarmUp(MeasureFile file)
    {
        var name = file.Measures.SelectMany(m => m.Names).FirstOrDefault() ?? "RVSP";
        var sentence = $"{name} 35-40 mmHg. {name} could not be estimated.";
        for (var i = 0; i < 3; i++)
        {
            try
            {
                _ = _number.IsMatch(sentence);
                _ = _names.IsMatch(sentence);
                _ = _gaps.IsMatch(sentence);
                return;
            }
            catch (RegexMatchTimeoutException)
            {
                // Still compiling on a busy machine: try again; the reader works either way.
            }
        }
    }

    /// <summary>
    /// The numbers and the not-measured statements of a text, and the sentences that took too long to
    /// read (nothing of such a sentence counts). Never throws.
    /// </summary>
    public (List<TextMeasure> Measures, List<TextGap> Gaps, List<TextUnread> Unread) Read(string text)
    {
        var measures = new List<TextMeasure>();
        var gaps = new List<TextGap>();
        var unread = new List<TextUnread>();
        if (string.IsNullOrEmpty(text))
        {
            return (measures, gaps, unread);
        }

        // Sentence by sentence: a match never runs beyond its sentence, so the work per match is bounded
        // by the sentence, and the number pattern runs only on sentences with a digit.
        foreach (var (start, length) in Sentences(text))
        {
            var (measured, notMeasured) = (measures.Count, gaps.Count);
            try
            {
                ReadSentence(text, start, length, measures, gaps);
            }
            catch (RegexMatchTimeoutException)
            {
                // A pathological sentence yields nothing, not even what was matched before the
                // timeout; the rest of the text still counts, and the sentence is said to be unread.
                measures.RemoveRange(measured, measures.Count - measured);
                gaps.RemoveRange(notMeasured, gaps.Count - notMeasured);
                unread.Add(new TextUnread(start, length));
            }
        }

        return (measures, gaps, unread);
    }

    private void ReadSentence(string text, int start, int length, List<TextMeasure> measures, List<TextGap> gaps)
    {
        var sentenceGaps = new List<Concept>();
        for (var gap = _gaps.Match(text, start, length); gap.Success; gap = gap.NextMatch())
        {
            var concepts = _gapConcepts.TryGetValue(Normalize(gap.Value), out var implied) && implied.Length > 0
                ? implied
                : NamesIn(text, start, length);
            foreach (var concept in concepts)
            {
                if (!sentenceGaps.Contains(concept))
                {
                    sentenceGaps.Add(concept);
                    gaps.Add(new TextGap(concept, start, length));
                }
            }
        }

        if (text.AsSpan(start, length).IndexOfAnyInRange('0', '9') < 0)
        {
            return;
        }

        for (var match = _number.Match(text, start, length); match.Success; match = match.NextMatch())
        {
            if (!_byName.TryGetValue(Normalize(match.Groups["name"].Value), out var entry) || !Enum.TryParse<Concept>(entry.Concept, out var concept))
            {
                continue;
            }

            if (sentenceGaps.Contains(concept))
            {
                continue; // "Unable to estimate RVSP 2/2 insufficient TR jet": no number in such a sentence counts.
            }

            var v1 = double.Parse(match.Groups["v1"].Value, CultureInfo.InvariantCulture);
            var range = match.Groups["v2"].Success;
            var value = v1;
            if (range)
            {
                var v2 = double.Parse(match.Groups["v2"].Value, CultureInfo.InvariantCulture);
                // The more abnormal end (reading 30): the upper one, except for TAPSE where low is abnormal.
                value = concept == Concept.Tapse ? Math.Min(v1, v2) : Math.Max(v1, v2);
            }

            string? unit;
            var implied = false;
            if (match.Groups["unit"].Success)
            {
                unit = _units.GetValueOrDefault(Normalize(match.Groups["unit"].Value));
            }
            else
            {
                unit = entry.Bare.FirstOrDefault(b => (b.Min is null || value >= b.Min) && (b.Max is null || value <= b.Max))?.Unit;
                implied = unit is not null;
            }

            var cmp = match.Groups["cmp"].Success ? match.Groups["cmp"].Value switch
            {
                "≤" or "<=" => "<=",
                "≥" or ">=" => ">=",
                var c => c,
            } : null;
            measures.Add(new TextMeasure(concept, value, cmp, unit, implied, start, length, range));
        }
    }

    /// <summary>The sentences of a text (start, length), split as <see cref="Sentence"/> splits them, blanks skipped.</summary>
    private static IEnumerable<(int Start, int Length)> Sentences(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            var (start, length) = Sentence(text, i);
            if (length > 0)
            {
                yield return (start, length);
            }

            i = Math.Max(start + length, i + 1);
        }
    }

    private Concept[] NamesIn(string text, int start, int length)
    {
        var found = new List<Concept>();
        foreach (Match name in _names.Matches(text.Substring(start, length)))
        {
            if (_byName.TryGetValue(Normalize(name.Value), out var entry) && Enum.TryParse<Concept>(entry.Concept, out var c) && !found.Contains(c))
            {
                found.Add(c);
            }
        }

        return [.. found];
    }

    /// <summary>The sentence around <paramref name="index"/>, split as <see cref="TokenizedText"/> splits sentences.</summary>
    internal static (int Start, int Length) Sentence(string text, int index)
    {
        var start = index;
        while (start > 0 && !Ends(text, start - 1))
        {
            start--;
        }

        var end = index;
        while (end < text.Length && !Ends(text, end))
        {
            end++;
        }

        if (end < text.Length && text[end] is '.' or '!' or '?' or ';')
        {
            end++;
        }

        while (start < end && char.IsWhiteSpace(text[start]))
        {
            start++;
        }

        return (start, end - start);
    }

    private static bool Ends(string text, int i) =>
        text[i] is '\n' or '\r'
        || (text[i] is '.' or '!' or '?' or ';' && (i + 1 >= text.Length || char.IsWhiteSpace(text[i + 1])));

    /// <summary>Lower case, and any run of spaces, tabs or hyphens as one space.</summary>
    private static string Normalize(string phrase)
    {
        var builder = new StringBuilder(phrase.Length);
        var space = false;
        foreach (var c in phrase.Trim())
        {
            if (c is ' ' or '\t' or '-' && builder.Length > 0 && !char.IsDigit(builder[^1]))
            {
                space = true;
                continue;
            }

            if (space)
            {
                builder.Append(' ');
                space = false;
            }

            builder.Append(char.ToLowerInvariant(c));
        }

        return builder.ToString();
    }

    /// <summary>A regex alternation of phrases, longest first; a space in a phrase matches spaces, tabs or a hyphen.</summary>
    private static string Alternatives(IEnumerable<string> phrases) =>
        string.Join('|', phrases.Distinct(StringComparer.Ordinal).OrderByDescending(p => p.Length).ThenBy(p => p, StringComparer.Ordinal)
            .Select(p => string.Join(@"[ \t\-]+", p.Split(' ').Select(Regex.Escape))));
}
