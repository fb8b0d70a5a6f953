using System.Text;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace PttmHooks.Service.Tests.Text;

/// <summary>PDFs for the tests: made with PdfPig's writer, or written by hand, byte by byte.</summary>
internal static class Pdfs
{
    /// <summary>A PDF with one page per entry, each line of it written in Helvetica, top down.</summary>
    public static byte[] WithPages(params string[][] pages)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        foreach (var lines in pages)
        {
            var page = builder.AddPage(PageSize.A4);
            var y = 780.0;
            foreach (var line in lines)
            {
                page.AddText(line, 11, new PdfPoint(50, y), font);
                y -= 16;
            }
        }

        return builder.Build();
    }

    /// <summary>A PDF of <paramref name="count"/> pages without text (a scan: an image, or nothing, on each).</summary>
    public static byte[] WithoutText(int count)
    {
        var builder = new PdfDocumentBuilder();
        for (var i = 0; i < count; i++)
        {
            var page = builder.AddPage(PageSize.A4);
            page.DrawRectangle(new PdfPoint(40, 40), 500, 700, 1);
        }

        return builder.Build();
    }

    /// <summary>
    /// A minimal PDF written by hand, as a small report generator might: one page, Helvetica, one
    /// text object per line, a correct cross-reference table.
    /// </summary>
    public static byte[] HandWritten(params string[] lines)
    {
        var content = new StringBuilder("BT /F1 12 Tf 72 720 Td 14 TL\n");
        foreach (var line in lines)
        {
            content.Append('(').Append(line.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("(", "\\(", StringComparison.Ordinal).Replace(")", "\\)", StringComparison.Ordinal)).Append(") Tj T*\n");
        }

        content.Append("ET");
        var stream = content.ToString();
        string[] objects =
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            $"<< /Length {Encoding.Latin1.GetByteCount(stream)} >>\nstream\n{stream}\nendstream",
        ];
        return FromObjects(objects);
    }

    /// <summary>A PDF of these objects (numbered from 1, the first the catalog), with its cross-reference table.</summary>
    public static byte[] FromObjects(params string[] objects)
    {
        var pdf = new StringBuilder("%PDF-1.4\n");
        var offsets = new List<int>();
        foreach (var (body, number) in objects.Select((o, i) => (o, i + 1)))
        {
            offsets.Add(Encoding.Latin1.GetByteCount(pdf.ToString()));
            pdf.Append(number).Append(" 0 obj\n").Append(body).Append("\nendobj\n");
        }

        var xref = Encoding.Latin1.GetByteCount(pdf.ToString());
        pdf.Append("xref\n0 ").Append(objects.Length + 1).Append("\n0000000000 65535 f \n");
        foreach (var offset in offsets)
        {
            pdf.Append(offset.ToString("D10", System.Globalization.CultureInfo.InvariantCulture)).Append(" 00000 n \n");
        }

        pdf.Append("trailer\n<< /Size ").Append(objects.Length + 1).Append(" /Root 1 0 R >>\nstartxref\n").Append(xref).Append("\n%%EOF\n");
        return Encoding.Latin1.GetBytes(pdf.ToString());
    }
}
