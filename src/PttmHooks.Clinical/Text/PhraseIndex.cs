using System.Collections.Frozen;

namespace PttmHooks.Clinical.Text;

/// <summary>A phrase found in a text: its category and the words [Start, End) it covers.</summary>
internal readonly record struct PhraseHit(int Category, int Start, int End, int Sentence)
{
    public int Length => End - Start;

    public bool Overlaps(PhraseHit other) => Start < other.End && other.Start < End;

    public bool Contains(PhraseHit other) => Start <= other.Start && other.End <= End;
}

/// <summary>
/// Every phrase of the rule (value-set synonyms, report findings, negation cues) in one index, so a
/// text is scanned once whatever is asked of it. Phrases are keyed by their first word: a scan costs a
/// dictionary probe per word of the text, not a comparison per phrase.
/// </summary>
internal sealed class PhraseIndex
{
    private readonly FrozenDictionary<string, Phrase[]> _byFirstWord;
    private readonly FrozenDictionary<string, Phrase[]>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly Phrase[] _prefixFirst;

    private PhraseIndex(FrozenDictionary<string, Phrase[]> byFirstWord, Phrase[] prefixFirst)
    {
        _byFirstWord = byFirstWord;
        _lookup = _byFirstWord.GetAlternateLookup<ReadOnlySpan<char>>();
        _prefixFirst = prefixFirst;
    }

    /// <summary>Builds the index from (phrase, category) pairs. A word ending in '*' matches any word it begins.</summary>
    public static PhraseIndex Build(IEnumerable<(string Phrase, int Category)> phrases)
    {
        var byFirst = new Dictionary<string, List<Phrase>>(StringComparer.Ordinal);
        var prefixFirst = new List<Phrase>();
        var seen = new HashSet<(string, int)>();
        foreach (var (text, category) in phrases)
        {
            var words = Words(text);
            if (words.Length == 0 || !seen.Add((string.Join(' ', words), category)))
            {
                continue;
            }

            var phrase = new Phrase(words, category);
            if (words[0].EndsWith('*'))
            {
                prefixFirst.Add(phrase);
                continue;
            }

            if (!byFirst.TryGetValue(words[0], out var list))
            {
                byFirst[words[0]] = list = [];
            }

            list.Add(phrase);
        }

        return new PhraseIndex(
            byFirst.ToFrozenDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal),
            [.. prefixFirst]);
    }

    /// <summary>Splits a phrase the way <see cref="TokenizedText"/> splits a text, keeping a trailing '*'.</summary>
    internal static string[] Words(string phrase)
    {
        var words = new List<string>();
        var current = new System.Text.StringBuilder();
        foreach (var c in phrase)
        {
            if (char.IsLetterOrDigit(c))
            {
                current.Append(char.ToLowerInvariant(c));
            }
            else if (c == '*' && current.Length > 0)
            {
                current.Append('*');
                words.Add(current.ToString());
                current.Clear();
            }
            else if (current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
        }

        if (current.Length > 0)
        {
            words.Add(current.ToString());
        }

        return [.. words];
    }

    /// <summary>Adds every phrase occurrence in <paramref name="text"/> to <paramref name="hits"/>.</summary>
    public void Scan(TokenizedText text, List<PhraseHit> hits)
    {
        for (var i = 0; i < text.Count; i++)
        {
            if (_lookup.TryGetValue(text.Word(i), out var candidates))
            {
                foreach (var phrase in candidates)
                {
                    TryMatch(text, i, phrase, hits);
                }
            }

            foreach (var phrase in _prefixFirst)
            {
                TryMatch(text, i, phrase, hits);
            }
        }
    }

    private static void TryMatch(TokenizedText text, int start, Phrase phrase, List<PhraseHit> hits)
    {
        var words = phrase.Words;
        if (start + words.Length > text.Count)
        {
            return;
        }

        var sentence = text[start].Sentence;
        for (var w = 0; w < words.Length; w++)
        {
            var index = start + w;
            if (text[index].Sentence != sentence || !WordMatches(text.Word(index), words[w]))
            {
                return;
            }
        }

        hits.Add(new PhraseHit(phrase.Category, start, start + words.Length, sentence));
    }

    private static bool WordMatches(ReadOnlySpan<char> word, string pattern) =>
        pattern.EndsWith('*')
            ? word.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal)
            : word.SequenceEqual(pattern);

    private sealed record Phrase(string[] Words, int Category);
}
