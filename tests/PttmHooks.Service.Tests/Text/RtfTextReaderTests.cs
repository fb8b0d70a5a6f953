using System.Text;
using PttmHooks.Reading.Text;

namespace PttmHooks.Service.Tests.Text;

/// <summary>text/rtf and application/rtf: RTF as word processors and EHRs write it.</summary>
public sealed class RtfTextReaderTests
{
    private static string? Rtf(string rtf, string contentType = "text/rtf") =>
        AttachmentDecoder.Decode(contentType, Encoding.Latin1.GetBytes(rtf)).Text;

    [Fact]
    public void Rtf_as_wordpad_writes_it()
    {
        const string rtf = """
            {\rtf1\ansi\ansicpg1252\deff0\nouicompat\deflang1033{\fonttbl{\f0\fnil\fcharset0 Calibri;}}
            {\*\generator Riched20 10.0.19041}\viewkind4\uc1
            \pard\sa200\sl276\slmult1\f0\fs22\lang9 Estimated RVSP 54 mmHg. Flattened septum (D-shaped LV).\par
            TR Vmax 3.4 m/s; RVSP \u8805?50 mmHg.\par
            }
            """;

        Assert.Equal("Estimated RVSP 54 mmHg. Flattened septum (D-shaped LV).\nTR Vmax 3.4 m/s; RVSP \u226550 mmHg.", Rtf(rtf));
    }

    [Fact]
    public void Rtf_as_word_writes_it_with_its_tables_info_and_themes()
    {
        const string rtf = """
            {\rtf1\adeflang1025\ansi\ansicpg1252\uc1\adeff31507\deff0\stshfdbch31505\stshfloch31506\deflang1033\deflangfe1033
            {\fonttbl{\f0\fbidi \froman\fcharset0\fprq2{\*\panose 02020603050405020304}Times New Roman;}
            {\f1\fbidi \fswiss\fcharset0\fprq2{\*\panose 020b0604020202020204}Arial;}}
            {\colortbl;\red0\green0\blue0;\red0\green0\blue255;}
            {\*\defchp \f31506\fs22 }{\stylesheet{\ql \li0\ri0\widctlpar\wrapdefault \f31506\fs22 \snext0 \sqformat \spriority0 Normal;}
            {\*\cs10 \additive \ssemihidden Default Paragraph Font;}}
            {\*\rsidtbl \rsid1641766\rsid6035913}
            {\info{\title Echocardiogram report}{\author Reading Room}{\operator jdoe}{\creatim\yr2026\mo11\dy19\hr10\min2}}
            {\header \pard\plain \s15\ql \f1\fs16 CONFIDENTIAL - DOE, JANE MRN 000123\par}
            {\footer \pard\plain \f1\fs16 Page {\field{\*\fldinst { PAGE }}{\fldrslt {1}}}\par}
            {\*\themedata 504b030414000600080000002100e9de0fbfff0000001c020000130000005b436f6e74656e745f54797065735d2e786d6cac91cb4ec3301045f748fc83e52d4a}
            {\*\latentstyles\lsdstimax376\lsdlockeddef0{\lsdlockedexcept \lsdqformat1 \lsdpriority0 Normal;}}
            \pard\plain \ltrpar\ql \li0\ri0\sa160\sl259\slmult1\widctlpar\wrapdefault\f0\fs24\lang1033 {\rtlch\fcs1 \af0 \ltrch\fcs0 \b\insrsid6035913 IMPRESSION}{\insrsid6035913 \par }
            \pard \ltrpar\ql {\insrsid6035913 1.\tab Estimated RVSP 72\~mmHg \endash  severe pulmonary hypertension.\par
            2.\tab Right ventricle dilated, TAPSE 14 mm.\par }
            {\*\datastore 0105000002000000180000004d73786d6c322e534158584d4c5265616465722e362e30}}
            """;

        Assert.Equal("IMPRESSION\n1.\tEstimated RVSP 72 mmHg \u2013 severe pulmonary hypertension.\n2.\tRight ventricle dilated, TAPSE 14 mm.", Rtf(rtf));
    }

    [Fact]
    public void Rtf_as_an_ehr_writes_it_with_unicode_and_hex_escapes()
    {
        // Epic-style: one paragraph per line, \plain resets, \uc1 with \'3f fallbacks, \'e9 in 1252.
        const string rtf = """
            {\rtf1\ansi\ansicpg1252\uc1\deff0{\fonttbl{\f0\fnil\fcharset0 Arial;}{\f1\fnil Segoe UI Symbol;}}{\colortbl;\red0\green0\blue0;}
            \pard\plain\f0\fs20 CT ANGIOGRAPHY CHEST WITH CONTRAST\par
            \pard\plain\f0\fs20\b FINDINGS:\b0  No pulmonary embolism. Diffuse tree-in-bud opacities.\par
            \pard\plain\f0\fs20 Pulmonary artery diameter 3.4 cm; RVSP \u8804\'3f 35 mmHg on prior \'e9chocardiogramme.\par
            \pard\plain\f0\fs20 {\f1\u10004\'3f} Reviewed\line Dr. M\u252\'fcller \emdash  radiology\par
            }
            """;

        Assert.Equal(
            "CT ANGIOGRAPHY CHEST WITH CONTRAST\nFINDINGS: No pulmonary embolism. Diffuse tree-in-bud opacities.\n"
            + "Pulmonary artery diameter 3.4 cm; RVSP \u2264 35 mmHg on prior \u00E9chocardiogramme.\n\u2714 Reviewed\nDr. M\u00FCller \u2014 radiology",
            Rtf(rtf, "application/rtf"));
    }

    [Fact]
    public void Escaped_braces_backslashes_and_special_characters()
    {
        Assert.Equal(
            "Ratio {RV/LV} \\ 1.2 \u2018quoted\u2019 \u201Cdouble\u201D \u2022 item; optional hyphen; non-breaking-hyphen",
            Rtf(@"{\rtf1 Ratio \{RV/LV\} \\ 1.2 \lquote quoted\rquote  \ldblquote double\rdblquote  \bullet  item; op\-tion\-al hyphen; non\_breaking\_hyphen}"));
    }

    [Fact]
    public void Negative_unicode_values_and_a_wider_fallback()
    {
        // \u-3913 is U+F0B7 (a Symbol-font bullet); \uc2 skips two fallback characters; a surrogate
        // pair (U+1F600) written as two negative values.
        Assert.Equal("\uF0B7 PE \u2265 2 \uD83D\uDE00 ok", Rtf(@"{\rtf1\uc1\u-3913? PE {\uc2\u8805\'3e\'3d} 2 \u-10179?\u-8704? ok}"));
    }

    [Fact]
    public void A_field_reads_as_its_result_not_its_instruction()
    {
        const string rtf = @"{\rtf1 See {\field{\*\fldinst HYPERLINK ""https://pacs.example.org/1""}{\fldrslt {\ul prior CTPA}}} and {\field{\fldinst {DATE \\@ ""d MMM""}}{\fldrslt 19 Nov}}.}";

        Assert.Equal("See prior CTPA and 19 Nov.", Rtf(rtf));
    }

    [Fact]
    public void Cells_and_rows_of_an_rtf_table()
    {
        const string rtf = @"{\rtf1\ansi{\trowd\cellx2000\cellx4000 RVSP\cell 54 mmHg\cell\row}{\trowd\cellx2000\cellx4000 TAPSE\cell 14 mm\cell\row}}";

        Assert.Equal("RVSP\t54 mmHg\nTAPSE\t14 mm", Rtf(rtf));
    }

    [Fact]
    public void A_code_page_other_than_1252()
    {
        // \ansicpg1251: \'d0\'c2 is Cyrillic "РВ"; \ansicpg1250: \'b3 is "ł".
        Assert.Equal("\u0420\u0412 54", Rtf(@"{\rtf1\ansi\ansicpg1251 \'d0\'c2 54}"));
        Assert.Equal("\u0142", Rtf(@"{\rtf1\ansi\ansicpg1250 \'b3}"));
    }

    [Fact]
    public void Binary_data_and_pictures_are_skipped()
    {
        var rtf = "{\\rtf1 Before {\\pict\\pngblip\\picw10 89504e470d0a1a0a}{\\object\\objemb{\\*\\objdata 0105}}\\bin6 {}\\\\x After}";

        Assert.Equal("Before After", Rtf(rtf));
    }

    [Theory]
    [InlineData(@"{\rtf1 RVSP 54 mmHg\par No PE", "RVSP 54 mmHg\nNo PE")]
    [InlineData(@"{\rtf1 RVSP 54 mmHg}}}} No PE}", "RVSP 54 mmHg No PE")]
    [InlineData(@"{\rtf1 {{{RVSP {54}} mmHg", "RVSP 54 mmHg")]
    [InlineData(@"{\rtf1 RVSP 54 mmHg \'e", "RVSP 54 mmHg")]
    [InlineData(@"{\rtf1 RVSP 54 mmHg\u", "RVSP 54 mmHg")]
    [InlineData(@"{\rtf1 RVSP 54 mmHg\", "RVSP 54 mmHg")]
    [InlineData(@"{\rtf1 RVSP 54 mmHg\bin999999999", "RVSP 54 mmHg")]
    [InlineData(@"{\rtf1 {\fonttbl{\f0 Arial;} RVSP 54 mmHg", "")]
    public void Malformed_rtf_gives_the_text_it_has(string rtf, string expected)
    {
        Assert.Equal(expected, Rtf(rtf));
    }

    [Fact]
    public void Very_deep_nesting_ends_with_the_text()
    {
        var rtf = "{\\rtf1 " + new string('{', 200_000) + "RVSP 54 mmHg" + new string('}', 200_000) + "\\par No PE}";

        Assert.Equal("RVSP 54 mmHg\nNo PE", Rtf(rtf));
    }

    [Fact]
    public void Text_labelled_rtf_that_is_not_rtf_is_read_as_plain_text()
    {
        Assert.Equal("Estimated RVSP 54 mmHg.\nNo pericardial effusion.", Rtf("Estimated RVSP 54 mmHg.\r\nNo pericardial effusion.\r\n"));
    }
}
