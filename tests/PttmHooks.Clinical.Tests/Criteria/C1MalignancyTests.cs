using PttmHooks.Clinical.Assessment;
using Xunit;
using static PttmHooks.Clinical.Tests.Scenarios;

namespace PttmHooks.Clinical.Tests.Criteria;

/// <summary>C1: a solid malignancy (ICD-10 C00–C80, C7A, C7B except C44; Z85 except haematological and skin; SNOMED CT; text).</summary>
public sealed class C1MalignancyTests
{
    private static PttmAssessment WithCode(string system, string code, string? text = null) =>
        Chart.For("p1").WithCondition(Chart.Coding(system, code), daysAgo: 400, text: text).Evaluate();

    [Theory]
    [InlineData("C50.912")]
    [InlineData("C50912")]
    [InlineData("c50.912")]
    [InlineData("C00.0")]
    [InlineData("C16.9")]
    [InlineData("C34.90")]
    [InlineData("C80.1")]
    [InlineData("C7A.010")]
    [InlineData("C7B.00")]
    [InlineData("C79.51")]
    [InlineData("C43.9")] // melanoma of skin is not C44
    public void Icd10cm_codes_c00_to_c80_c7a_and_c7b_meet_c1(string code)
    {
        State(WithCode(Chart.Icd10Cm, code), CriterionId.C1, CriterionState.Met);
    }

    [Theory]
    [InlineData("C50.9")]
    [InlineData("C509")]
    [InlineData("C16.9")]
    public void Who_icd10_codes_meet_c1(string code)
    {
        State(WithCode(Chart.Icd10Who, code), CriterionId.C1, CriterionState.Met);
    }

    [Theory]
    [InlineData("urn:oid:2.16.840.1.113883.6.90", "C25.9")]
    [InlineData("urn:oid:2.16.840.1.113883.6.96", "363418001")]
    public void Oid_system_identifiers_are_understood(string system, string code)
    {
        State(WithCode(system, code), CriterionId.C1, CriterionState.Met);
    }

    [Theory]
    [InlineData("C44.91")] // basal cell carcinoma of skin
    [InlineData("C44.92")] // squamous cell carcinoma of skin
    [InlineData("C44")]
    [InlineData("D05.10")] // carcinoma in situ of breast
    [InlineData("C81.90")] // Hodgkin lymphoma
    [InlineData("C83.30")] // diffuse large B-cell lymphoma
    [InlineData("C90.00")] // multiple myeloma
    [InlineData("C96.9")]
    [InlineData("Z85.828")] // personal history of other skin cancer
    [InlineData("Z85.71")] // personal history of Hodgkin lymphoma
    [InlineData("Z85.6")] // personal history of leukaemia
    [InlineData("Z80.3")] // family history of breast cancer
    public void Skin_haematological_in_situ_and_family_codes_do_not_meet_c1(string code)
    {
        State(WithCode(Chart.Icd10Cm, code), CriterionId.C1, CriterionState.NotMet);
    }

    [Theory]
    [InlineData("C83.30")]
    [InlineData("Z85.71")]
    public void Haematological_malignancy_alone_is_reported_as_such(string code)
    {
        var a = WithCode(Chart.Icd10Cm, code);
        Assert.True(a.Malignancy.HaematologicalOnly);
        Assert.Equal("haematological-only", a.Reasons[0].Code);
        Decision(a, Recommendation.None);
    }

    [Theory]
    [InlineData("Z85.3")]
    [InlineData("Z85.038")]
    [InlineData("Z85.118")]
    [InlineData("Z85.07")]
    [InlineData("Z85.850")] // thyroid: any other Z85 counts
    public void Personal_history_of_solid_malignancy_meets_c1(string code)
    {
        var a = WithCode(Chart.Icd10Cm, code);
        State(a, CriterionId.C1, CriterionState.Met);
        Assert.StartsWith("History of solid malignancy", a[CriterionId.C1].Evidence[0].Finding, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("363346000")]
    [InlineData("254837009")]
    [InlineData("408647009")]
    [InlineData("700423003")]
    [InlineData("94391008")]
    [InlineData("1255629002")]
    public void Snomed_solid_tumour_codes_meet_c1(string code)
    {
        State(WithCode(Chart.Snomed, code), CriterionId.C1, CriterionState.Met);
    }

    [Fact]
    public void Loinc_is_not_a_system_for_conditions()
    {
        State(WithCode(Chart.Loinc, "C50.912"), CriterionId.C1, CriterionState.NotMet);
    }

    [Fact]
    public void A_condition_matches_when_any_of_its_codings_matches()
    {
        var code = new Hl7.Fhir.Model.CodeableConcept
        {
            Coding = [Chart.Coding(Chart.Local, "ONC-42", "Oncology problem"), Chart.Coding(Chart.Icd10Cm, "C25.9")],
        };
        var a = Chart.For("p1").WithCondition(code, daysAgo: 30).Evaluate();
        State(a, CriterionId.C1, CriterionState.Met);
    }

    [Theory]
    [InlineData("Adenocarcinoma of the pancreas", "pancreas")]
    [InlineData("Metastatic gastric cancer", "gastric")]
    [InlineData("Malignant tumour of the ovary", "ovary")]
    [InlineData("Carcinoma of unknown primary", "unknown primary")]
    public void Condition_with_only_text_naming_a_carcinoma_meets_c1_and_names_the_site(string text, string site)
    {
        var a = Chart.For("p1").WithCondition(text, daysAgo: 100).Evaluate();
        State(a, CriterionId.C1, CriterionState.Met);
        Assert.Contains(site, a.Malignancy.PrimarySites);
    }

    [Fact]
    public void Adenocarcinoma_in_text_is_flagged_as_higher_risk()
    {
        var a = Chart.For("p1").WithCondition("Adenocarcinoma of the pancreas", daysAgo: 100).Evaluate();
        Assert.True(a.Malignancy.Adenocarcinoma);
        Assert.Contains("higher risk", a[CriterionId.C1].Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Signet_ring_morphology_is_flagged_as_higher_risk()
    {
        var a = WithCode(Chart.Icd10Cm, "C16.9", "Poorly differentiated gastric adenocarcinoma with signet-ring cells");
        Assert.True(a.Malignancy.SignetRing);
        Assert.Contains("gastric", a.Malignancy.PrimarySites);
    }

    [Theory]
    [InlineData("Basal cell carcinoma of the nose")]
    [InlineData("Cutaneous squamous cell carcinoma")]
    [InlineData("Follicular lymphoma")]
    [InlineData("Chronic lymphocytic leukemia")]
    [InlineData("Family history of breast cancer")]
    [InlineData("Ductal carcinoma in situ")]
    [InlineData("Lung cancer screening")]
    public void Text_about_skin_haematological_or_family_cancer_does_not_meet_c1(string text)
    {
        State(Chart.For("p1").WithCondition(text, daysAgo: 100).Evaluate(), CriterionId.C1, CriterionState.NotMet);
    }

    [Fact]
    public void Local_code_whose_display_names_basal_cell_carcinoma_does_not_meet_c1()
    {
        var a = Chart.For("p1").WithCondition(Chart.Coding(Chart.Local, "DERM-7", "Basal cell carcinoma of skin"), daysAgo: 50).Evaluate();
        State(a, CriterionId.C1, CriterionState.NotMet);
    }

    [Theory]
    [InlineData("active")]
    [InlineData("recurrence")]
    [InlineData("relapse")]
    [InlineData("remission")]
    [InlineData("inactive")]
    [InlineData("resolved")]
    [InlineData(null)]
    public void An_old_cancer_of_any_clinical_status_meets_c1(string? status)
    {
        // Seeds 003 and 004 developed PTTM 6 and 12 years after treatment.
        var a = Chart.For("p1").WithSolidCancer("C50.911", daysAgo: 12 * 365, clinicalStatus: status).Evaluate();
        State(a, CriterionId.C1, CriterionState.Met);
    }

    [Fact]
    public void No_condition_at_all_does_not_meet_c1()
    {
        var a = Chart.For("p1").WithSpO2(80, daysAgo: 1).Evaluate();
        State(a, CriterionId.C1, CriterionState.NotMet);
        Assert.Equal("no-solid-malignancy", a.Reasons[0].Code);
    }
}
