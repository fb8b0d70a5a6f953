using System.Text;
using PttmHooks.Reading.Text;

namespace PttmHooks.Service.Tests.Text;

/// <summary>application/pdf: the text layer, through PdfPig, on PDFs made by its writer and by hand.</summary>
public sealed class PdfTextReaderTests
{
    [Fact]
    public void An_echo_report_made_by_a_pdf_writer_reads_as_its_sentences()
    {
        var pdf = Pdfs.WithPages(["Transthoracic echocardiogram", "Estimated RVSP 54 mmHg. Flattened septum (D-shaped LV).", "TAPSE 14 mm."]);

        var decoded = AttachmentDecoder.Decode("application/pdf", pdf);

        Assert.Null(decoded.Problem);
        Assert.Equal("Transthoracic echocardiogram\nEstimated RVSP 54 mmHg. Flattened septum (D-shaped LV).\nTAPSE 14 mm.", decoded.Text);
    }

    [Fact]
    public void Every_page_is_read_and_pages_are_separated_by_a_line_break()
    {
        var pdf = Pdfs.WithPages(["CT pulmonary angiogram", "Findings: no filling defect."], ["Impression: No pulmonary embolism."]);

        var decoded = AttachmentDecoder.Decode("application/pdf", pdf);

        Assert.Equal("CT pulmonary angiogram\nFindings: no filling defect.\nImpression: No pulmonary embolism.", decoded.Text);
    }

    [Fact]
    public void A_hand_written_minimal_pdf_is_read()
    {
        var pdf = Pdfs.HandWritten("ECHOCARDIOGRAM REPORT", "PASP of 72 mmHg (TR Vmax 3.9 m/s).", "Impression: severe pulmonary hypertension.");

        var decoded = AttachmentDecoder.Decode("application/pdf", pdf);

        Assert.True(decoded.Ok, decoded.Problem);
        Assert.Equal("ECHOCARDIOGRAM REPORT\nPASP of 72 mmHg (TR Vmax 3.9 m/s).\nImpression: severe pulmonary hypertension.", decoded.Text);
    }

    [Fact]
    public void A_pdf_with_pages_but_no_text_layer_is_a_scan_named_as_unreadable()
    {
        var decoded = AttachmentDecoder.Decode("application/pdf", Pdfs.WithoutText(2));

        Assert.False(decoded.Ok);
        Assert.Equal("a scanned PDF without a text layer", decoded.Problem);
    }

    [Fact]
    public void Pages_past_the_limit_are_not_read_and_the_result_says_so()
    {
        var pages = Enumerable.Range(1, PdfTextReader.MaxPages + 3).Select(n => new[] { $"Page {n} of the chart." }).ToArray();

        var decoded = AttachmentDecoder.Decode("application/pdf", Pdfs.WithPages(pages));

        Assert.True(decoded.Ok);
        Assert.Equal($"only the first {PdfTextReader.MaxPages} of {PdfTextReader.MaxPages + 3} pages were read", decoded.Problem);
        Assert.StartsWith("Page 1 of the chart.\nPage 2 of the chart.\n", decoded.Text, StringComparison.Ordinal);
        Assert.EndsWith($"Page {PdfTextReader.MaxPages} of the chart.", decoded.Text, StringComparison.Ordinal);
        Assert.DoesNotContain($"Page {PdfTextReader.MaxPages + 1} ", decoded.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pdf_cut_short_is_named_as_unreadable_never_thrown()
    {
        var pdf = Pdfs.HandWritten("Estimated RVSP 54 mmHg.");

        foreach (var length in new[] { 8, 40, pdf.Length / 3 })
        {
            var decoded = AttachmentDecoder.Decode("application/pdf", pdf.AsSpan(0, length));
            Assert.False(decoded.Ok, $"{length} bytes: {decoded.Text}");
            Assert.Contains("PDF", decoded.Problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_pdf_whose_cross_reference_offset_is_wrong_is_still_read()
    {
        // Lenient parsing: the objects are found by scanning, as viewers do.
        var pdf = Encoding.Latin1.GetString(Pdfs.HandWritten("Estimated RVSP 54 mmHg."));
        var startxref = pdf.LastIndexOf("startxref\n", StringComparison.Ordinal) + "startxref\n".Length;
        var cut = Encoding.Latin1.GetBytes(pdf[..startxref] + "12\n%%EOF\n");

        var decoded = AttachmentDecoder.Decode("application/pdf", cut);

        Assert.Equal("Estimated RVSP 54 mmHg.", decoded.Text);
    }

    [Theory]
    [InlineData("not a PDF at all, a text labelled application/pdf")]
    [InlineData("%PDF-1.7\n%%EOF")]
    [InlineData("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF")]
    public void A_broken_pdf_is_named_as_unreadable(string content)
    {
        var decoded = AttachmentDecoder.Decode("application/pdf", Encoding.ASCII.GetBytes(content));

        Assert.False(decoded.Ok);
        Assert.NotNull(decoded.Problem);
        Assert.Contains("PDF", decoded.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_encrypted_pdf_that_needs_a_password_is_named_as_unreadable()
    {
        // The standard security handler, revision 3, with a user password: PdfPig cannot open it
        // without the password (the /O and /U values do not match the empty one).
        var pdf = Encoding.Latin1.GetString(Pdfs.HandWritten("RVSP 54 mmHg"));
        var encrypt = "/Encrypt << /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 "
            + "/O <" + new string('a', 64) + "> /U <" + new string('b', 64) + "> >> /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>]";
        var encrypted = Encoding.Latin1.GetBytes(pdf.Replace("/Root 1 0 R", "/Root 1 0 R " + encrypt, StringComparison.Ordinal));

        var decoded = AttachmentDecoder.Decode("application/pdf", encrypted);

        Assert.False(decoded.Ok);
        Assert.NotNull(decoded.Problem);
        Assert.Contains("PDF", decoded.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_page_that_cannot_be_read_costs_only_that_page()
    {
        // The second page writes text in a font (F9) that its resources do not have: PdfPig throws
        // for that page alone.
        const string text = "BT /F1 12 Tf 72 720 Td (Estimated RVSP 54 mmHg.) Tj ET";
        var pdf = Pdfs.FromObjects(
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            $"<< /Length {text.Length} >>\nstream\n{text}\nendstream",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 7 0 R >>",
            "<< /Length 40 >>\nstream\nBT /F9 12 Tf (x) Tj ET\nendstream");

        var decoded = AttachmentDecoder.Decode("application/pdf", pdf);

        Assert.Equal("Estimated RVSP 54 mmHg.", decoded.Text);
        Assert.Equal("1 of 2 pages could not be read", decoded.Problem);
    }
}
