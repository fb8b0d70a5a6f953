using System.Text;
using PttmHooks.Reading.Text;

namespace PttmHooks.Service.Tests.Text;

/// <summary>text/plain (and Markdown as plain text): the charset parameter, byte order marks, bad bytes.</summary>
public sealed class PlainTextReaderTests
{
    private const string Echo = "Estimated RVSP 54 mmHg. Flattened septum (D-shaped LV).";

    [Fact]
    public void Utf8_is_the_default()
    {
        var decoded = AttachmentDecoder.Decode("text/plain", Encoding.UTF8.GetBytes("RVSP \u2265 50 mmHg. No pulmonary embolism."));

        Assert.Equal(DecodedText.Of("RVSP \u2265 50 mmHg. No pulmonary embolism."), decoded);
    }

    [Theory]
    [InlineData("text/plain; charset=utf-8")]
    [InlineData("text/plain;charset=\"UTF-8\"")]
    [InlineData("TEXT/PLAIN; format=flowed; charset=utf8")]
    [InlineData("text/markdown; charset=utf-8")]
    [InlineData("text/x-markdown")]
    public void Labelled_utf8_and_markdown_read_as_utf8(string contentType)
    {
        var decoded = AttachmentDecoder.Decode(contentType, Encoding.UTF8.GetBytes("Pleural effusion \u2013 small. " + Echo));

        Assert.Equal("Pleural effusion \u2013 small. " + Echo, decoded.Text);
    }

    [Theory]
    [InlineData("iso-8859-1")]
    [InlineData("latin1")]
    [InlineData("windows-1252")]
    [InlineData("us-ascii")]
    public void Single_byte_charsets_read_as_windows_1252(string charset)
    {
        // 0xE9 é, 0x93/0x94 curly quotes, 0x96 en dash: in windows-1252 (browsers read Latin-1 and
        // ASCII labels so).
        byte[] bytes = [.. "Dr "u8, 0xE9, .. "lise: "u8, 0x93, .. "RVSP 54 mmHg"u8, 0x94, 0x20, 0x96, .. " septum flattened."u8];

        var decoded = AttachmentDecoder.Decode("text/plain; charset=" + charset, bytes);

        Assert.Equal("Dr \u00E9lise: \u201CRVSP 54 mmHg\u201D \u2013 septum flattened.", decoded.Text);
    }

    [Fact]
    public void Other_code_pages_the_framework_knows_are_read()
    {
        var bytes = CodePagesEncodingProvider.Instance.GetEncoding(1250)!.GetBytes("Pacjent z \u0141odzi, RVSP 54 mmHg.");

        var decoded = AttachmentDecoder.Decode("text/plain; charset=windows-1250", bytes);

        Assert.Equal("Pacjent z \u0141odzi, RVSP 54 mmHg.", decoded.Text);
    }

    [Theory]
    [InlineData("utf-16")]
    [InlineData("utf-16le")]
    public void Utf16_little_endian_without_a_bom(string charset)
    {
        var decoded = AttachmentDecoder.Decode("text/plain; charset=" + charset, Encoding.Unicode.GetBytes(Echo));

        Assert.Equal(Echo, decoded.Text);
    }

    [Theory]
    [InlineData("utf-16")]
    [InlineData("utf-16be")]
    public void Utf16_big_endian_without_a_bom(string charset)
    {
        var decoded = AttachmentDecoder.Decode("text/plain; charset=" + charset, Encoding.BigEndianUnicode.GetBytes(Echo));

        Assert.Equal(Echo, decoded.Text);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("text/plain; charset=iso-8859-1")]
    [InlineData("text/plain; charset=utf-8")]
    public void A_bom_wins_over_the_charset_parameter(string contentType)
    {
        byte[] le = [0xFF, 0xFE, .. Encoding.Unicode.GetBytes("RVSP \u2265 54 mmHg")];
        byte[] be = [0xFE, 0xFF, .. Encoding.BigEndianUnicode.GetBytes("RVSP \u2265 54 mmHg")];
        byte[] utf8 = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("RVSP \u2265 54 mmHg")];

        Assert.Equal("RVSP \u2265 54 mmHg", AttachmentDecoder.Decode(contentType, le).Text);
        Assert.Equal("RVSP \u2265 54 mmHg", AttachmentDecoder.Decode(contentType, be).Text);
        Assert.Equal("RVSP \u2265 54 mmHg", AttachmentDecoder.Decode(contentType, utf8).Text);
    }

    [Fact]
    public void Invalid_utf8_is_decoded_with_replacement_characters()
    {
        byte[] bytes = [.. "RVSP 54 mmHg "u8, 0xC3, 0x28, .. " no PE "u8, 0xFF];

        var decoded = AttachmentDecoder.Decode("text/plain; charset=utf-8", bytes);

        Assert.Equal("RVSP 54 mmHg \uFFFD( no PE \uFFFD", decoded.Text);
    }

    [Fact]
    public void An_unknown_charset_is_read_as_utf8_keeping_the_text()
    {
        byte[] bytes = [.. "Estimated RVSP 54 mmHg, "u8, 0xE9, .. "cho"u8];

        var decoded = AttachmentDecoder.Decode("text/plain; charset=x-made-up-charset", bytes);

        Assert.Equal("Estimated RVSP 54 mmHg, \uFFFDcho", decoded.Text);
    }

    [Fact]
    public void Line_breaks_are_one_form_and_blank_runs_and_trailing_spaces_go()
    {
        var text = "\r\n\r\nECHO REPORT   \r\n\r\n\r\n\r\nEstimated RVSP 54\u00A0mmHg.\t\r\nTR Vmax\t3.4 m/s\rNo\0 pericardial effusion.\n\n";

        var decoded = AttachmentDecoder.Decode("text/plain", Encoding.UTF8.GetBytes(text));

        Assert.Equal("ECHO REPORT\n\nEstimated RVSP 54 mmHg.\nTR Vmax\t3.4 m/s\nNo pericardial effusion.", decoded.Text);
    }
}
