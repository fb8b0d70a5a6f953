using PttmHooks.Clinical.Terminology;

namespace PttmHooks.Clinical.Text;

/// <summary>How a text states a finding.</summary>
public enum Assertion
{
    /// <summary>The text does not mention it.</summary>
    NotMentioned,
    /// <summary>Mentioned as a question, an indication or a history ("to assess for PE").</summary>
    Hypothetical,
    /// <summary>Mentioned and negated in its sentence ("no evidence of pulmonary embolism").</summary>
    Negated,
    /// <summary>Mentioned with doubt ("PE cannot be excluded", "indeterminate").</summary>
    Uncertain,
    /// <summary>Mentioned and not negated: the text states it.</summary>
    Affirmed,
}

/// <summary>A finding's strongest statement in a text and the sentence that made it.</summary>
internal readonly record struct TextStatement(Assertion Assertion, int SentenceStart, int SentenceLength)
{
    public string Quote(string text) => Assertion == Assertion.NotMentioned ? "" : text.Substring(SentenceStart, SentenceLength);
}

/// <summary>
/// A text scanned once against the phrase index, answering for any finding whether the text
/// affirms, negates or doubts it. Negation follows NegEx: a cue before the mention ("no", "negative
/// for") or after it ("excluded", "not seen") negates it when both are in one sentence and no
/// terminator ("but", "however") stands between them.
/// </summary>
internal sealed class TextAnalysis : IDisposable
{
    private readonly TokenizedText _tokens;
    private readonly Categories _categories;
    private readonly List<PhraseHit> _hits;
    private List<PhraseHit>? _cues;

    private TextAnalysis(TokenizedText tokens, Categories categories, List<PhraseHit> hits)
    {
        _tokens = tokens;
        _categories = categories;
        _hits = hits;
    }

    public IReadOnlyList<PhraseHit> Hits => _hits;

    public static TextAnalysis Analyze(string text, Knowledge knowledge)
    {
        var tokens = TokenizedText.Create(text);
        var hits = new List<PhraseHit>();
        knowledge.Index.Scan(tokens, hits);
        return new TextAnalysis(tokens, knowledge.Categories, hits);
    }

    public bool Has(int category)
    {
        if (category < 0)
        {
            return false;
        }

        foreach (var hit in _hits)
        {
            if (hit.Category == category)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The strongest statement of a finding: Affirmed over Uncertain over Negated over Hypothetical.
    /// Mentions covered by a <paramref name="pseudo"/> phrase ("PE protocol", "tumour emboli") are not mentions.
    /// </summary>
    public TextStatement Assess(int finding, int pseudo = -1)
    {
        var best = new TextStatement(Assertion.NotMentioned, 0, 0);
        foreach (var mention in _hits)
        {
            if (mention.Category != finding || IsShadowed(mention, finding, pseudo))
            {
                continue;
            }

            var assertion = AssertionOf(mention);
            if (assertion > best.Assertion)
            {
                var (start, length) = SentenceSpan(mention.Sentence);
                best = new TextStatement(assertion, start, length);
            }
        }

        return best;
    }

    /// <summary>True when any mention of <paramref name="finding"/> is affirmed.</summary>
    public bool Affirms(int finding, int pseudo = -1) => Assess(finding, pseudo).Assertion == Assertion.Affirmed;

    private bool IsShadowed(PhraseHit mention, int finding, int pseudo)
    {
        foreach (var other in _hits)
        {
            if (other.Category == pseudo && other.Overlaps(mention))
            {
                return true;
            }

            // "pulmonary embolism" also holds "embolism": the longer mention speaks for both.
            if (other.Category == finding && other.Length > mention.Length && other.Contains(mention))
            {
                return true;
            }
        }

        return false;
    }

    private Assertion AssertionOf(PhraseHit mention)
    {
        var cues = Cues();
        var negated = false;
        var uncertain = false;
        var hypothetical = false;
        foreach (var cue in cues)
        {
            if (cue.Sentence != mention.Sentence || cue.Overlaps(mention))
            {
                continue;
            }

            var before = cue.End <= mention.Start;
            if (!Reaches(cue, mention, before))
            {
                continue;
            }

            if (cue.Category == _categories.Uncertainty)
            {
                uncertain = true;
            }
            else if (cue.Category == _categories.Hypothetical && before)
            {
                hypothetical = true;
            }
            else if ((cue.Category == _categories.NegationBefore && before) || (cue.Category == _categories.NegationAfter && !before))
            {
                negated = true;
            }
        }

        return hypothetical ? Assertion.Hypothetical
            : uncertain ? Assertion.Uncertain
            : negated ? Assertion.Negated
            : Assertion.Affirmed;
    }

    /// <summary>A cue reaches a mention when no terminator stands between them.</summary>
    private bool Reaches(PhraseHit cue, PhraseHit mention, bool before)
    {
        var from = before ? cue.End : mention.End;
        var to = before ? mention.Start : cue.Start;
        foreach (var t in Cues())
        {
            if (t.Category == _categories.Terminator && t.Sentence == mention.Sentence && t.Start >= from && t.End <= to)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Cue hits, without those inside a longer cue ("not" inside "not excluded").</summary>
    private List<PhraseHit> Cues()
    {
        if (_cues is not null)
        {
            return _cues;
        }

        _cues = [];
        foreach (var hit in _hits)
        {
            if (!_categories.IsCue(hit.Category))
            {
                continue;
            }

            var inside = false;
            foreach (var other in _hits)
            {
                if (_categories.IsCue(other.Category) && other.Length > hit.Length && other.Contains(hit))
                {
                    inside = true;
                    break;
                }
            }

            if (!inside)
            {
                _cues.Add(hit);
            }
        }

        return _cues;
    }

    private (int Start, int Length) SentenceSpan(int sentence)
    {
        var first = -1;
        var last = -1;
        for (var i = 0; i < _tokens.Count; i++)
        {
            if (_tokens[i].Sentence == sentence)
            {
                if (first < 0)
                {
                    first = i;
                }

                last = i;
            }
        }

        if (first < 0)
        {
            return (0, 0);
        }

        var start = _tokens[first].Start;
        return (start, _tokens[last].Start + _tokens[last].Length - start);
    }

    public void Dispose() => _tokens.Dispose();
}
