using System.Buffers;

namespace PttmHooks.Clinical.Text;

/// <summary>A word of a text: its place in the lower-cased buffer and the sentence it belongs to.</summary>
internal readonly record struct Token(int Start, int Length, int Sentence);

/// <summary>
/// Text split into lower-case words and sentences. Words are runs of letters and digits; everything
/// else separates them, so "ground-glass" reads as "ground glass" and "V/Q" as "v q". A sentence ends
/// at '.', '!', '?' or ';' followed by a space or the end, or at a line break; a '.' between digits
/// ("1.2") does not end one.
/// </summary>
internal sealed class TokenizedText : IDisposable
{
    private char[] _buffer;
    private Token[] _tokens;

    private TokenizedText(char[] buffer, Token[] tokens, int count)
    {
        _buffer = buffer;
        _tokens = tokens;
        Count = count;
    }

    public int Count { get; }

    public Token this[int index] => _tokens[index];

    public ReadOnlySpan<char> Word(int index)
    {
        var t = _tokens[index];
        return _buffer.AsSpan(t.Start, t.Length);
    }

    public static TokenizedText Create(ReadOnlySpan<char> text)
    {
        var buffer = ArrayPool<char>.Shared.Rent(Math.Max(16, text.Length));
        var tokens = ArrayPool<Token>.Shared.Rent(Math.Max(8, (text.Length / 2) + 1));
        var count = 0;
        var sentence = 0;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsLetterOrDigit(c))
            {
                var start = i;
                while (i < text.Length && char.IsLetterOrDigit(text[i]))
                {
                    buffer[i] = char.ToLowerInvariant(text[i]);
                    i++;
                }

                tokens[count++] = new Token(start, i - start, sentence);
                continue;
            }

            if (count > 0 && tokens[count - 1].Sentence == sentence && EndsSentence(text, i))
            {
                sentence++;
            }

            buffer[i] = ' ';
            i++;
        }

        return new TokenizedText(buffer, tokens, count);
    }

    private static bool EndsSentence(ReadOnlySpan<char> text, int i)
    {
        var c = text[i];
        if (c is '\n' or '\r')
        {
            return true;
        }

        if (c is not ('.' or '!' or '?' or ';'))
        {
            return false;
        }

        // A '.' inside a number ("1.2") or an abbreviation without a following space does not end a sentence.
        return i + 1 >= text.Length || char.IsWhiteSpace(text[i + 1]);
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<char>.Shared.Return(_buffer);
            ArrayPool<Token>.Shared.Return(_tokens);
            _buffer = [];
            _tokens = [];
        }
    }
}
