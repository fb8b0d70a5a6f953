using System.Globalization;
using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Xunit;
using PttmHooks.Reading.Text;

namespace PttmHooks.Service.Tests.Text;

/// <summary>
/// Report text written in each format the way a writer would write it reads back as the same text:
/// in every charset the plain-text reader knows, HTML-encoded in a paragraph, escaped into RTF.
/// </summary>
public sealed class RoundTripProperties
{
    /// <summary>What report sentences are made of, with the characters each format must escape or encode.</summary>
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:()-/%<>&\"'{}\\\u00E9\u00E8\u00FC\u00B1\u00B0\u2265\u2264\u2014\u2013\u201C\u201D\u00B5";

    [Property(MaxTest = 200)]
    public void Plain_text_reads_back_in_each_charset(int seed, PositiveInt length)
    {
        var text = Sentence(seed, length.Get);

        Assert.Equal(text, AttachmentDecoder.Decode("text/plain", Encoding.UTF8.GetBytes(text)).Text);
        Assert.Equal(text, AttachmentDecoder.Decode("text/plain; charset=utf-16", Encoding.Unicode.GetBytes(text)).Text);
        Assert.Equal(text, AttachmentDecoder.Decode("text/plain; charset=utf-16be", Encoding.BigEndianUnicode.GetBytes(text)).Text);
        var latin = new string([.. text.Where(c => c < 0x100)]).Replace("  ", " ", StringComparison.Ordinal).Trim();
        Assert.Equal(latin, AttachmentDecoder.Decode("text/plain; charset=iso-8859-1", Encoding.Latin1.GetBytes(latin)).Text);
    }

    [Property(MaxTest = 200)]
    public void Html_encoded_text_reads_back(int seed, PositiveInt length)
    {
        var text = Sentence(seed, length.Get);

        var html = "<html><head><title>t</title></head><body><p>" + WebUtility.HtmlEncode(text) + "</p></body></html>";

        Assert.Equal(text, AttachmentDecoder.Decode("text/html", Encoding.UTF8.GetBytes(html)).Text);
    }

    [Property(MaxTest = 200)]
    public void Text_escaped_into_rtf_reads_back(int seed, PositiveInt length)
    {
        var text = Sentence(seed, length.Get);

        var rtf = @"{\rtf1\ansi\ansicpg1252\uc1\deff0{\fonttbl{\f0\fnil Arial;}}\pard\plain\f0\fs20 " + Rtf(text) + @"\par}";

        Assert.Equal(text, AttachmentDecoder.Decode("text/rtf", Encoding.ASCII.GetBytes(rtf)).Text);
    }

    /// <summary>A sentence: single spaces, none at either end.</summary>
    private static string Sentence(int seed, int length)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        for (var i = 0; i < 1 + (length % 300); i++)
        {
            var c = Alphabet[random.Next(Alphabet.Length)];
            if (c == ' ' && (text.Length == 0 || text[^1] == ' '))
            {
                continue;
            }

            text.Append(c);
        }

        var sentence = text.ToString().Trim();
        return sentence.Length == 0 ? "RVSP" : sentence;
    }

    /// <summary>As Word writes text: escapes, \'hh in 1252, \uN with a '?' fallback.</summary>
    private static string Rtf(string text)
    {
        var rtf = new StringBuilder();
        foreach (var c in text)
        {
            if (c is '\\' or '{' or '}')
            {
                rtf.Append('\\').Append(c);
            }
            else if (c < 0x80)
            {
                rtf.Append(c);
            }
            else if (c < 0x100)
            {
                rtf.Append("\\'").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            }
            else
            {
                rtf.Append("\\u").Append(((int)(short)c).ToString(CultureInfo.InvariantCulture)).Append('?');
            }
        }

        return rtf.ToString();
    }
}
