using PttmHooks.Clinical.Terminology;
using PttmHooks.Clinical.Text;
using Xunit;

namespace PttmHooks.Clinical.Tests.Text;

/// <summary>NegEx-style reading of report text: cues before and after a mention, scoped to the sentence, stopped by terminators.</summary>
public sealed class NegationTests
{
    private static Knowledge K => Knowledge.Instance;

    private static Assertion Pe(string text)
    {
        using var analysis = TextAnalysis.Analyze(text, K);
        return analysis.Assess(K.Categories.PeMention, K.Categories.PePseudo).Assertion;
    }

    [Theory]
    [InlineData("No evidence of pulmonary embolism.", Assertion.Negated)]
    [InlineData("Negative for PE.", Assertion.Negated)]
    [InlineData("PE excluded.", Assertion.Negated)]
    [InlineData("Pulmonary emboli are not seen.", Assertion.Negated)]
    [InlineData("No PE. Chronic thromboembolic changes.", Assertion.Affirmed)]
    [InlineData("No pleural effusion but a large pulmonary embolus.", Assertion.Affirmed)]
    [InlineData("No pleural effusion; pulmonary embolus in the right lower lobe.", Assertion.Affirmed)]
    [InlineData("PE cannot be excluded.", Assertion.Uncertain)]
    [InlineData("Possible subsegmental embolus.", Assertion.Uncertain)]
    [InlineData("Indication: assess for PE.", Assertion.Hypothetical)]
    [InlineData("PE protocol CT: no pulmonary embolism.", Assertion.Negated)]
    [InlineData("PE protocol CT.", Assertion.NotMentioned)]
    [InlineData("Tumour emboli in small arteries.", Assertion.NotMentioned)]
    [InlineData("Emphysema.", Assertion.NotMentioned)]
    public void Pe_mentions_are_read_in_their_sentence(string text, Assertion expected)
    {
        Assert.Equal(expected, Pe(text));
    }

    [Fact]
    public void A_decimal_point_does_not_end_a_sentence()
    {
        Assert.Equal(Assertion.Negated, Pe("No RV/LV ratio 1.2 or pulmonary embolism."));
    }

    [Fact]
    public void Negation_is_case_insensitive()
    {
        Assert.Equal(Assertion.Negated, Pe("NO EVIDENCE OF PULMONARY EMBOLISM."));
    }

    [Theory]
    [InlineData("Multiple small segmental perfusion defects.", Assertion.Affirmed)]
    [InlineData("No perfusion defects.", Assertion.Negated)]
    public void Perfusion_defects_are_read_with_negation(string text, Assertion expected)
    {
        using var analysis = TextAnalysis.Analyze(text, K);
        Assert.Equal(expected, analysis.Assess(K.Categories.PerfusionDefect).Assertion);
    }

    [Theory]
    [InlineData("No pulmonary hypertension.", Assertion.Negated)]
    [InlineData("Pulmonary hypertension with impaired RV function.", Assertion.Affirmed)]
    [InlineData("D-shaped left ventricle.", Assertion.Affirmed)]
    public void Echo_findings_are_read_with_negation(string text, Assertion expected)
    {
        using var analysis = TextAnalysis.Analyze(text, K);
        Assert.Equal(expected, analysis.Assess(K.Categories.EchoPh).Assertion);
    }

    [Theory]
    [InlineData("No malignant cells.", Assertion.Negated)]
    [InlineData("Malignant cells not identified.", Assertion.Negated)]
    [InlineData("Clusters of malignant cells.", Assertion.Affirmed)]
    public void Cytology_findings_are_read_with_negation(string text, Assertion expected)
    {
        using var analysis = TextAnalysis.Analyze(text, K);
        Assert.Equal(expected, analysis.Assess(K.Categories.MalignantCells).Assertion);
    }

    [Theory]
    [InlineData("Adenocarcinoma of the pancreas", Concept.SolidMalignancy, true)]
    [InlineData("Basal cell carcinoma", Concept.SolidMalignancy, false)]
    [InlineData("Shortness of breath", Concept.Dyspnea, true)]
    [InlineData("Breathless on stairs", Concept.Dyspnea, true)]
    [InlineData("Desaturation on walking", Concept.HypoxaemiaCondition, true)]
    public void Condition_text_synonyms_are_matched(string text, Concept concept, bool expected)
    {
        var c = K.ClassifyText(text, ResourceKinds.Condition);
        Assert.Equal(expected, c.Concepts.Contains(concept));
    }
}
