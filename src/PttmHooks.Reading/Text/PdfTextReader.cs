using System.Globalization;
using System.Text;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;
using UglyToad.PdfPig.Exceptions;

namespace PttmHooks.Reading.Text;

/// <summary>
/// application/pdf: the text layer of each page (PdfPig), in content order, words joined by spaces,
/// pages separated by a line break. A PDF whose pages have no text at all is a scan: named as
/// unreadable, never guessed at. Only the first <see cref="MaxPages"/> pages are read.
/// </summary>
internal static class PdfTextReader
{
    /// <summary>The pages read of one PDF; a report is a few pages, a longer PDF is a whole chart.</summary>
    public const int MaxPages = 50;

    private const string Damaged = "a PDF that could not be read (damaged or not a PDF)";

    /// <summary>The text of the PDF in <paramref name="data"/>, or why there is none.</summary>
    public static DecodedText Read(ReadOnlySpan<byte> data)
    {
        try
        {
            var options = new ParsingOptions
            {
                UseLenientParsing = true,
                SkipMissingFonts = true,
                ClipPaths = false,
            };
            using var document = PdfDocument.Open(data.ToArray(), options);
            var pages = document.NumberOfPages;
            if (pages <= 0)
            {
                return DecodedText.Unreadable("a PDF without pages");
            }

            var text = new StringBuilder();
            var read = Math.Min(pages, MaxPages);
            var damaged = 0;
            for (var number = 1; number <= read && text.Length <= AttachmentDecoder.MaxChars; number++)
            {
                string pageText;
                try
                {
                    pageText = ContentOrderTextExtractor.GetText(document.GetPage(number), new ContentOrderTextExtractor.Options
                    {
                        ReplaceWhitespaceWithSpace = true,
                        SeparateParagraphsWithDoubleNewline = false,
                    });
                }
                catch (Exception e) when (e is not (OutOfMemoryException or PdfDocumentEncryptedException))
                {
                    // One damaged page (or a page count larger than the pages there are) does not
                    // cost the others.
                    damaged++;
                    continue;
                }

                if (text.Length > 0)
                {
                    text.Append('\n');
                }

                text.Append(pageText);
            }

            if (damaged == read)
            {
                return DecodedText.Unreadable(Damaged);
            }

            if (!HasVisibleText(text))
            {
                return DecodedText.Unreadable("a scanned PDF without a text layer");
            }

            var notes = new List<string>();
            if (pages > read)
            {
                notes.Add(string.Format(CultureInfo.InvariantCulture, "only the first {0} of {1} pages were read", read, pages));
            }

            if (damaged > 0)
            {
                notes.Add(string.Format(CultureInfo.InvariantCulture, "{0} of {1} pages could not be read", damaged, read));
            }

            var note = notes.Count == 0 ? null : string.Join("; ", notes);
            return PlainText.Finish(text.ToString(), note);
        }
        catch (PdfDocumentEncryptedException)
        {
            return DecodedText.Unreadable("an encrypted PDF (it needs a password)");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // PdfPig throws many kinds for a broken file (its own, format, argument, index, invalid
            // operation, end of stream…); the reason a clinician needs is the same for all of them.
            return DecodedText.Unreadable(Damaged);
        }
    }

    private static bool HasVisibleText(StringBuilder text)
    {
        foreach (var chunk in text.GetChunks())
        {
            foreach (var c in chunk.Span)
            {
                if (!char.IsWhiteSpace(c) && !char.IsControl(c))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
