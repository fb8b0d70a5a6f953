using System.Text;
using PttmHooks.Reading.Text;

namespace PttmHooks.Service.Tests.Text;

/// <summary>text/html and application/xhtml+xml: the text a reader sees, through AngleSharp.</summary>
public sealed class HtmlTextReaderTests
{
    private static string? Html(string html, string contentType = "text/html") =>
        AttachmentDecoder.Decode(contentType, Encoding.UTF8.GetBytes(html)).Text;

    [Fact]
    public void An_echo_report_as_an_ehr_renders_it()
    {
        const string html = """
            <!DOCTYPE html>
            <html><head><title>Echo report - DOE, JANE</title>
            <style>p { margin: 0 } .hdr { font-weight: bold }</style>
            <script>window.print && console.log("x < y");</script></head>
            <body>
              <h1>Transthoracic   Echocardiogram</h1>
              <div class="hdr">Findings</div>
              <p>Estimated RVSP 54&nbsp;mmHg. Flattened   septum
                 (D-shaped LV).</p>
              <p>TR peak velocity &ge; 3.4&nbsp;m/s &amp; RA pressure 15 mmHg.</p>
              <ul><li>No pericardial effusion.</li><li>RV <b>dilated</b>,   <i>TAPSE</i> 14 mm.</li></ul>
              <p>Conclusion:<br>Probable pulmonary hypertension.<br/>Reviewed by Dr&#x20;Smith.</p>
              <!-- internal comment: not text -->
            </body></html>
            """;

        Assert.Equal(
            "Transthoracic Echocardiogram\nFindings\nEstimated RVSP 54 mmHg. Flattened septum (D-shaped LV).\n"
            + "TR peak velocity \u2265 3.4 m/s & RA pressure 15 mmHg.\nNo pericardial effusion.\nRV dilated, TAPSE 14 mm.\n"
            + "Conclusion:\nProbable pulmonary hypertension.\nReviewed by Dr Smith.",
            Html(html));
    }

    [Fact]
    public void Entities_named_decimal_and_hex_are_decoded()
    {
        Assert.Equal("RVSP \u2265 50 & < 80 mmHg \u2014 \"moderate\" \u00E9cho", Html("<p>RVSP &#8805; 50 &amp; &lt; 80 mmHg &mdash; &quot;moderate&quot; &#xE9;cho</p>"));
    }

    [Fact]
    public void A_table_gives_one_line_per_row_with_cells_separated_by_a_tab()
    {
        const string html = """
            <table><thead><tr><th>Measurement</th><th>Value</th><th>Unit</th></tr></thead>
            <tbody><tr><td>RVSP</td><td>54</td><td>mmHg</td></tr>
            <tr><td>TAPSE</td><td> 14 </td><td>mm</td></tr></tbody></table>
            <p>No pulmonary embolism.</p>
            """;

        Assert.Equal("Measurement\tValue\tUnit\nRVSP\t54\tmmHg\nTAPSE\t14\tmm\nNo pulmonary embolism.", Html(html));
    }

    [Fact]
    public void A_fragment_without_html_or_body_is_read()
    {
        Assert.Equal("CTPA: No pulmonary embolism.\nMosaic attenuation.", Html("<b>CTPA:</b> No pulmonary embolism.<div>Mosaic attenuation.</div>"));
    }

    [Fact]
    public void Preformatted_text_keeps_its_lines()
    {
        Assert.Equal("ECHO\nRVSP      54 mmHg\nTAPSE     14 mm\nEnd.", Html("<pre>ECHO\nRVSP      54 mmHg\nTAPSE     14 mm</pre><p>End.</p>"));
    }

    [Fact]
    public void Xhtml_is_read_as_html()
    {
        const string xhtml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <html xmlns="http://www.w3.org/1999/xhtml"><head><title>CTPA</title></head>
            <body><div><p>No pulmonary embolism.</p><p>Mosaic perfusion&#160;pattern.</p></div></body></html>
            """;

        Assert.Equal("No pulmonary embolism.\nMosaic perfusion pattern.", Html(xhtml, "application/xhtml+xml"));
    }

    [Fact]
    public void The_charset_parameter_decodes_the_bytes()
    {
        byte[] bytes = [.. "<p>Dr "u8, 0xC9, .. "lise Martin: RVSP "u8, 0xB1, .. " 54 mmHg</p>"u8];

        Assert.Equal("Dr \u00C9lise Martin: RVSP \u00B1 54 mmHg", AttachmentDecoder.Decode("text/html; charset=iso-8859-1", bytes).Text);
    }

    [Theory]
    [InlineData("<meta charset=\"windows-1252\">")]
    [InlineData("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\">")]
    public void A_meta_charset_decodes_the_bytes_when_the_content_type_has_none(string meta)
    {
        byte[] bytes = [.. Encoding.ASCII.GetBytes("<html><head>" + meta + "</head><body><p>"), 0xE9, .. "chocardiographie: PAPs 54 mmHg</p></body></html>"u8];

        Assert.Equal("\u00E9chocardiographie: PAPs 54 mmHg", AttachmentDecoder.Decode("text/html", bytes).Text);
    }

    [Fact]
    public void The_charset_parameter_wins_over_a_meta_charset_and_a_bom_over_both()
    {
        byte[] bytes = [.. "<meta charset=\"windows-1252\"><p>"u8, .. Encoding.UTF8.GetBytes("\u2265 54 mmHg"), .. "</p>"u8];
        byte[] withBom = [0xEF, 0xBB, 0xBF, .. bytes];

        Assert.Equal("\u2265 54 mmHg", AttachmentDecoder.Decode("text/html; charset=utf-8", bytes).Text);
        Assert.Equal("\u00E2\u2030\u00A5 54 mmHg", AttachmentDecoder.Decode("text/html", bytes).Text);
        Assert.Equal("\u2265 54 mmHg", AttachmentDecoder.Decode("text/html; charset=windows-1252", withBom).Text);
    }

    [Fact]
    public void No_markup_remains_from_broken_html()
    {
        var text = Html("<div><p>RVSP 54 mmHg<p>TAPSE <b>14</i> mm</div></span><td>no PE<script>alert(1)</script><style>x{}");

        Assert.Equal("RVSP 54 mmHg\nTAPSE 14 mm\nno PE", text);
    }

    [Fact]
    public void Deeply_nested_html_is_read_without_running_out_of_stack()
    {
        var html = string.Concat(Enumerable.Repeat("<div><span>", 20_000)) + "RVSP 54 mmHg" + string.Concat(Enumerable.Repeat("</span></div>", 20_000));

        Assert.Equal("RVSP 54 mmHg", Html(html));
    }

    [Fact]
    public void A_table_of_150_000_rows_is_read_in_linear_time()
    {
        // Walking by sibling links is a search per step in AngleSharp: this took 44 s that way; it
        // takes one to five seconds on these machines now.
        var html = "<table>" + string.Concat(Enumerable.Repeat("<tr><td>RVSP</td><td>54 &amp; mmHg</td></tr>\n", 150_000)) + "</table>";
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var decoded = AttachmentDecoder.Decode("text/html", Encoding.ASCII.GetBytes(html));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"{watch.Elapsed}");
        Assert.StartsWith("RVSP\t54 & mmHg\nRVSP\t54 & mmHg\n", decoded.Text, StringComparison.Ordinal);
        Assert.Equal("only the first 1,048,576 characters were read", decoded.Problem);
    }
}
