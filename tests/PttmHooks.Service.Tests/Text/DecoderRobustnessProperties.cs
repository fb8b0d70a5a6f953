using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using PttmHooks.Reading.Text;

namespace PttmHooks.Service.Tests.Text;

/// <summary>
/// Any bytes, under any content type the decoder reads, end in a text or a reason, in bounded time:
/// random bytes, and real inputs of each type mutated (bytes flipped, inserted, removed, spans
/// repeated, the end cut off).
/// </summary>
public sealed class DecoderRobustnessProperties
{
    /// <summary>Far more than any input here takes (milliseconds); a loop or a blow-up would not end in it.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static readonly string[] Types = ["text/plain", "text/plain; charset=utf-16", "text/html", "application/xhtml+xml", "text/rtf", "application/pdf"];

    /// <summary>A real input of each reader, to mutate.</summary>
    private static readonly (string ContentType, byte[] Data)[] Seeds =
    [
        ("text/plain; charset=windows-1252", [.. "Estimated RVSP 54 mmHg. "u8, 0xE9, 0x93, .. "No PE."u8]),
        ("text/plain; charset=utf-16", Encoding.Unicode.GetBytes("RVSP \u2265 54 mmHg\r\nTAPSE 14 mm")),
        ("text/html", Encoding.UTF8.GetBytes("<html><head><meta charset=utf-8><title>t</title></head><body><p>RVSP 54&nbsp;mmHg &#8805; <b>x</b></p><table><tr><td>a</td><td>b</td></tr></table><ul><li>no PE</li></ul><pre>x\n y</pre></body></html>")),
        ("text/rtf", Encoding.ASCII.GetBytes(@"{\rtf1\ansi\ansicpg1252\uc1{\fonttbl{\f0 Arial;}}{\colortbl;\red0\green0\blue0;}{\*\generator x;}\pard\plain\f0\fs20 RVSP \u8805\'3f 54 mmHg \'e9\par {\pict\bin4 abcd}\tab\cell\row\~\{\}\\ \emdash}")),
        ("application/pdf", Pdfs.WithPages(["Estimated RVSP 54 mmHg.", "No pulmonary embolism."])),
        ("application/pdf", Pdfs.HandWritten("PASP of 72 mmHg.")),
    ];

    [Property(MaxTest = 300)]
    public void Random_bytes_never_throw(byte[] data, PositiveInt type)
    {
        Bounded(Types[type.Get % Types.Length], data);
    }

    [Property(MaxTest = 200)]
    public void Random_text_made_of_each_formats_tokens_never_throws(NonEmptyArray<PositiveInt> picks, PositiveInt type)
    {
        // Random bytes rarely look like markup; these are made of the tokens the readers act on.
        string[] tokens =
        [
            "{", "}", "\\", "\\par ", "\\'e9", "\\'", "\\u8805?", "\\u-", "\\uc3", "\\bin5 ", "\\*", "{\\*\\x ", "{\\fonttbl", "\\ansicpg932 ", "\\'81\\'40",
            "<", ">", "</", "<p>", "<td>", "<tr>", "<pre>", "</pre>", "<script>", "&#", "&#x110000;", "&amp", "<!--", "<meta charset=utf-16>",
            "%PDF-1.4\n", "obj", "endobj", "stream\n", "endstream", "xref", "trailer", "<<", ">>", "/Length 99999", "startxref\n", "%%EOF",
            "RVSP 54 mmHg", " ", "\n", "\r", "\0", "\u00E9", "\uD800",
        ];
        var text = string.Concat(picks.Get.Select(p => tokens[p.Get % tokens.Length]));

        Bounded(Types[type.Get % Types.Length], Encoding.UTF8.GetBytes(text));
    }

    [Property(MaxTest = 400)]
    public void Mutated_real_inputs_never_throw(PositiveInt seedIndex, int mutationSeed)
    {
        var (contentType, data) = Seeds[seedIndex.Get % Seeds.Length];

        Bounded(contentType, Mutate(data, new Random(mutationSeed)));
    }

    [Fact]
    public void The_seeds_are_read_before_they_are_mutated()
    {
        // Otherwise the mutation property would only ever test the failure paths.
        foreach (var (contentType, data) in Seeds)
        {
            var decoded = AttachmentDecoder.Decode(contentType, data);
            Assert.True(decoded.Ok, contentType + ": " + decoded.Problem);
            Assert.Contains("mmHg", decoded.Text, StringComparison.Ordinal);
        }
    }

    private static void Bounded(string contentType, byte[] data)
    {
        var run = Task.Run(() => AttachmentDecoder.Decode(contentType, data));
        Assert.True(run.Wait(Bound), $"{contentType}, {data.Length} bytes: no answer in {Bound}");
        var decoded = run.Result;

        Assert.True(decoded.Ok || !string.IsNullOrEmpty(decoded.Problem), "an unreadable result says why");
        Assert.True(decoded.Text is null || decoded.Text.Length <= AttachmentDecoder.MaxChars);
        Assert.True(decoded.Text is null || !decoded.Text.Contains('\r', StringComparison.Ordinal), "line breaks are \\n");
    }

    private static byte[] Mutate(byte[] data, Random random)
    {
        var bytes = new List<byte>(data);
        var count = random.Next(1, 12);
        for (var i = 0; i < count && bytes.Count > 0; i++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 3:
                    bytes.RemoveRange(at, Math.Min(random.Next(1, 64), bytes.Count - at));
                    break;
                case 4:
                    var length = Math.Min(random.Next(1, 200), bytes.Count - at);
                    var span = bytes.GetRange(at, length);
                    for (var r = random.Next(1, 20); r > 0; r--)
                    {
                        bytes.InsertRange(at, span);
                    }

                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return [.. bytes];
    }
}
