using System.Text;
using PttmHooks.Reading.Text;

namespace PttmHooks.Service.Tests.Text;

/// <summary>Which content types are read, and the limits every reader shares.</summary>
public sealed class AttachmentDecoderTests
{
    [Theory]
    [InlineData("text/plain")]
    [InlineData("text/plain; charset=utf-8")]
    [InlineData("Text/Markdown")]
    [InlineData("text/x-markdown")]
    [InlineData("text/html; charset=iso-8859-1")]
    [InlineData("application/xhtml+xml")]
    [InlineData("application/pdf")]
    [InlineData("text/rtf")]
    [InlineData(" application/rtf ")]
    public void The_types_read(string contentType)
    {
        Assert.True(AttachmentDecoder.CanDecode(contentType));
    }

    [Theory]
    [InlineData("application/msword")]
    [InlineData("application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    [InlineData("image/jpeg")]
    [InlineData("image/tiff")]
    [InlineData("application/octet-stream")]
    [InlineData("text/richtext")]
    [InlineData("application/dicom")]
    [InlineData("text/xml")]
    public void Other_types_are_named_as_unreadable_never_guessed_at(string contentType)
    {
        // Bytes that every reader would take for text, so a guess would show.
        var decoded = AttachmentDecoder.Decode(contentType, Encoding.UTF8.GetBytes("Estimated RVSP 54 mmHg."));

        Assert.False(AttachmentDecoder.CanDecode(contentType));
        Assert.Equal(DecodedText.Unreadable(contentType + " is not read"), decoded);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("; charset=utf-8")]
    public void No_content_type_is_named(string? contentType)
    {
        Assert.False(AttachmentDecoder.CanDecode(contentType));
        Assert.Equal(DecodedText.Unreadable("the attachment has no content type"), AttachmentDecoder.Decode(contentType, "RVSP 54 mmHg"u8));
    }

    [Fact]
    public void A_content_type_on_the_card_is_printable_and_short()
    {
        var decoded = AttachmentDecoder.Decode("image/\u0007" + new string('x', 500), "x"u8);

        Assert.Equal("image/" + new string('x', 94) + " is not read", decoded.Problem);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("text/html")]
    [InlineData("text/rtf")]
    [InlineData("application/pdf")]
    public void An_attachment_over_the_size_limit_is_not_read(string contentType)
    {
        var data = new byte[AttachmentDecoder.MaxBytes + 1];
        data.AsSpan().Fill((byte)'a');

        var decoded = AttachmentDecoder.Decode(contentType, data);

        Assert.Equal(DecodedText.Unreadable("the attachment (8.0 MiB) is larger than the 8 MiB read"), decoded);
        var atTheLimit = AttachmentDecoder.Decode(contentType, data.AsSpan(0, AttachmentDecoder.MaxBytes));
        Assert.DoesNotContain("larger", atTheLimit.Problem ?? string.Empty, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/pdf")]
    public void An_empty_attachment_is_named(string contentType)
    {
        Assert.Equal(DecodedText.Unreadable("the attachment is empty"), AttachmentDecoder.Decode(contentType, []));
    }

    [Fact]
    public void A_text_longer_than_the_cap_is_cut_and_says_so()
    {
        var line = "Estimated RVSP 54 mmHg.\n";
        var text = string.Concat(Enumerable.Repeat(line, (AttachmentDecoder.MaxChars / line.Length) + 10));

        var decoded = AttachmentDecoder.Decode("text/plain", Encoding.UTF8.GetBytes(text));

        Assert.True(decoded.Ok);
        Assert.True(decoded.Text!.Length <= AttachmentDecoder.MaxChars);
        Assert.True(decoded.Text.Length > AttachmentDecoder.MaxChars - line.Length);
        Assert.StartsWith(line, decoded.Text, StringComparison.Ordinal);
        Assert.Equal("only the first 1,048,576 characters were read", decoded.Problem);
    }

    [Fact]
    public void A_text_within_the_cap_has_no_note()
    {
        var text = new string('a', AttachmentDecoder.MaxChars);

        var decoded = AttachmentDecoder.Decode("text/plain", Encoding.ASCII.GetBytes(text));

        Assert.Equal(DecodedText.Of(text), decoded);
    }
}
