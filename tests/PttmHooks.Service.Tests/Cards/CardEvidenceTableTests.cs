using System.Text.Json;
using Hl7.Fhir.Model;
using PttmHooks.Clinical;
using PttmHooks.Clinical.Assessment;
using PttmHooks.Reading;
using PttmHooks.Service.Cards;
using Evidence = PttmHooks.Clinical.Assessment.Evidence;

namespace PttmHooks.Service.Tests.Cards;

/// <summary>
/// The card's evidence table for rows the sample cases rarely give: evidence against a criterion,
/// context without a date, a preliminary result dated in the future with a converted value, and the
/// progression's rows (a repeat of a C2 row shown once, a new one shown under C2).
/// </summary>
public sealed class CardEvidenceTableTests
{
    private static readonly PttmRule Rule = new();

    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Against_context_undated_future_preliminary_and_progression_rows_are_shown_as_such()
    {
        var detail = Compose(Assessment()).Detail!;

        // What speaks against a criterion, and context, come after the table, each with its criterion.
        Assert.Contains("\n- ✗ C4: CTPA with an equivocal filling defect: “Possible subsegmental filling defect \\| right lower lobe” — 2026-10-11 (40 days ago) — DiagnosticReport/extra-ctpa\n", detail, StringComparison.Ordinal);
        Assert.Contains("\n- · C6: LDH raised (unit not convertible) — undated — Observation/extra-ldh\n", detail, StringComparison.Ordinal);
        Assert.Contains("\n- · C2 (course): SpO2 95 % two weeks earlier — 2026-11-06 (14 days ago) — Observation/extra-spo2\n", detail, StringComparison.Ordinal);

        // Decisive rows sit in their criterion's row of the one table; a converted value shows both units.
        var c3 = Assert.Single(detail.Split('\n'), l => l.StartsWith("| C3 ", StringComparison.Ordinal));
        Assert.Contains(" · Right ventricular systolic pressure **preliminary**, recorded as 6.9 kPa (= 51.75 mmHg) — 2026-11-21 (future) — Observation/extra-rvsp |", c3, StringComparison.Ordinal);
        Assert.StartsWith("| C3 Pulmonary hypertension or RV strain: **Met** | ", c3, StringComparison.Ordinal);

        // The progression's repeat of a decisive C2 row is not shown twice.
        Assert.Single(detail.Split("Observation/seed004-obs5").Skip(1));
        Assert.Single(detail.Split('\n'), l => l.StartsWith("| Criterion | Decisive evidence |", StringComparison.Ordinal));

        // The decision and the next step come first, then why it is urgent.
        Assert.StartsWith("**PTTM suspected. Next step: cytology of wedged pulmonary artery blood (pulmonary microvascular cytology).**", detail, StringComparison.Ordinal);
        Assert.True(detail.IndexOf("**Why it is urgent:**", StringComparison.Ordinal) < detail.IndexOf("| Criterion |", StringComparison.Ordinal));
        Assert.Contains("**Preliminary results** decided part of this card", detail, StringComparison.Ordinal);
        Assert.Contains("**Also consider:** Tumour embolism\n", detail, StringComparison.Ordinal);
        Assert.Contains("**About the data:**\n\n- Read in part.\n", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void The_view_keeps_each_row_with_its_criterion_and_role()
    {
        var view = AssessmentView.Of(Assessment());

        Assert.Equal(["DiagnosticReport/extra-ctpa"], view[CriterionId.C4].Against.Select(r => r.Reference));
        Assert.Equal(["Observation/extra-ldh"], view[CriterionId.C6].Context.Select(r => r.Reference));
        Assert.Contains(view[CriterionId.C3].Decisive, r => r.Reference == "Observation/extra-rvsp" && r.Preliminary && r.DaysBefore == -1);
        Assert.Equal(2, view.Progression.Count);
        Assert.All(view.Progression, r => Assert.True(r.FromProgression && r.Criterion == CriterionId.C2));
        Assert.Equal(view.Criteria.Sum(c => c.Evidence.Count) + 1, view.Rows.Count);
    }

    private static PttmHooks.Service.CdsHooks.Card Compose(PttmAssessment assessment)
    {
        var composer = new CardComposer(new CardOptions(), Rule.DefaultOrder);
        var context = new CardContext("seed004", null, new Uri("https://pttm.example.org/rule"), ["Read in part."]);
        return Assert.Single(composer.Compose(assessment, context));
    }

    private static PttmAssessment Assessment()
    {
        var json = File.ReadAllText(TestFiles.Path("cases", "seed004-breast-history-hypoxaemia-vq", "bundle.json"));
        var bundle = JsonSerializer.Deserialize<Bundle>(json, FhirJsonFormat.Options)!;
        var a = Rule.Evaluate(PatientRecord.FromBundle(bundle), Now);
        var c2Row = a[CriterionId.C2].Evidence.First(e => e.Reference == "Observation/seed004-obs5");
        var criteria = a.Criteria.Select(c => c.Id switch
        {
            CriterionId.C3 => c with { Evidence = [.. c.Evidence, Row("Observation", "extra-rvsp", "Right ventricular systolic pressure", EvidenceRole.Decisive, Now.AddHours(12), "6.9 kPa", 51.75, "mm[Hg]", preliminary: true)] },
            CriterionId.C4 => c with { Evidence = [.. c.Evidence, Row("DiagnosticReport", "extra-ctpa", "CTPA with an equivocal filling defect", EvidenceRole.Against, Now.AddDays(-40), "Possible subsegmental filling defect | right lower lobe", display: "CT angiography chest")] },
            CriterionId.C6 => c with { Evidence = [.. c.Evidence, Row("Observation", "extra-ldh", "LDH raised", EvidenceRole.Context, null, null, 612, "U/L", note: "unit not convertible")] },
            _ => c,
        }).ToList();
        return a with
        {
            Criteria = criteria,
            ProgressionEvidence = [c2Row, Row("Observation", "extra-spo2", "SpO2 95 % two weeks earlier", EvidenceRole.Context, Now.AddDays(-14), "95 %")],
            Differentials = ["Tumour embolism"],
        };
    }

    private static Evidence Row(string type, string id, string finding, EvidenceRole role, DateTimeOffset? at, string? written, double? value = null, string? unit = null, bool preliminary = false, string? note = null, string? display = null) => new()
    {
        ResourceType = type,
        ResourceId = id,
        Finding = finding,
        Display = display,
        ValueAsWritten = written,
        Value = value,
        Unit = unit,
        EffectiveAt = at,
        Preliminary = preliminary,
        Role = role,
        Note = note,
    };
}
