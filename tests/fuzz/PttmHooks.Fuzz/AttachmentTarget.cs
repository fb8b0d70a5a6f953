using System.Text;
using PttmHooks.Reading.Text;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace PttmHooks.Fuzz;

/// <summary>
/// The second target: <see cref="AttachmentDecoder.Decode"/> alone, without the host. An input is a
/// content type on its first line, then the attachment's bytes. A crash is an exception out of the
/// decoder, or a result that is neither a text nor a reason.
/// </summary>
internal static class AttachmentTarget
{
    /// <summary>Decodes one input; throws when the decoder breaks its promise.</summary>
    public static void Check(ReadOnlySpan<byte> input)
    {
        var newline = input[..Math.Min(input.Length, 200)].IndexOf((byte)'\n');
        var contentType = newline < 0 ? "text/plain" : Encoding.Latin1.GetString(input[..newline]);
        var data = newline < 0 ? input : input[(newline + 1)..];
        var decoded = AttachmentDecoder.Decode(contentType, data);
        if (decoded.Ok ? decoded.Text!.Length > AttachmentDecoder.MaxChars : string.IsNullOrEmpty(decoded.Problem))
        {
            throw new InvalidOperationException($"{contentType}: a result that is neither a text within the cap nor a reason");
        }
    }

    /// <summary>Writes the seed corpus: one real input of each content type read.</summary>
    public static void WriteSeeds(string folder)
    {
        Directory.CreateDirectory(folder);
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        var page = builder.AddPage(PageSize.A4);
        page.AddText("Estimated RVSP 54 mmHg. Flattened septum (D-shaped LV).", 11, new PdfPoint(50, 780), font);
        page.AddText("No pulmonary embolism.", 11, new PdfPoint(50, 764), font);
        var seeds = new (string Name, string ContentType, byte[] Data)[]
        {
            ("plain", "text/plain; charset=windows-1252", [.. "Estimated RVSP 54 mmHg.\r\nTR Vmax 3.4 m/s "u8, 0xE9, 0x93, .. "No PE."u8]),
            ("utf16", "text/plain; charset=utf-16", Encoding.Unicode.GetBytes("RVSP \u2265 54 mmHg\r\nTAPSE 14 mm")),
            ("html", "text/html", Encoding.UTF8.GetBytes("<html><head><meta charset=utf-8><title>Echo</title><style>p{}</style></head><body><h1>Echo</h1><p>RVSP 54&nbsp;mmHg &#8805; &amp;</p><table><tr><th>a</th><td>b</td></tr></table><ul><li>no PE</li></ul><pre>x\n y</pre><br></body></html>")),
            ("rtf", "text/rtf", Encoding.ASCII.GetBytes(@"{\rtf1\ansi\ansicpg1252\uc1\deff0{\fonttbl{\f0\fnil\fcharset0 Arial;}}{\colortbl;\red0\green0\blue0;}{\*\generator Riched20;}{\info{\title x}}\pard\plain\f0\fs20 Estimated RVSP 54\~mmHg \u8805\'3f 50 \'e9cho\par {\trowd\cellx2000 TAPSE\cell 14 mm\cell\row}{\pict\bin4 abcd}\tab\{\}\\ \emdash\line end}")),
            ("pdf", "application/pdf", builder.Build()),
        };
        foreach (var (name, contentType, data) in seeds)
        {
            File.WriteAllBytes(Path.Combine(folder, "attachment-" + name), [.. Encoding.Latin1.GetBytes(contentType + "\n"), .. data]);
        }
    }
}
