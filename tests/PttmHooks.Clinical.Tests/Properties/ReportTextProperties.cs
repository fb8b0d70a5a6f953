using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Hl7.Fhir.Model;
using Xunit;

namespace PttmHooks.Clinical.Tests.Properties;

/// <summary>Where a shared case's report text is moved to, and whether each report moves.</summary>
public sealed record MovedText(SharedChart Chart, string Where, bool[] Moves)
{
    public override string ToString() => $"{Chart} to {Where} [{string.Join(",", Moves.Select(m => m ? 1 : 0))}]";
}

public static class MovedTextArbitraries
{
    public static Arbitrary<MovedText> Moved() => Arb.From(
        from chart in Gen.Elements(SharedChart.All.ToArray())
        from place in Gen.Elements("attachment", "narrative result", "both")
        from moves in Gen.ArrayOf(Gen.Elements(true, false), 12)
        select new MovedText(chart, place, moves));
}

/// <summary>
/// One notion of a report's text (pttm-criteria.md 1.1, "Report text, wherever the EHR puts it"): for
/// every shared case, moving each report's conclusion into a presentedForm attachment (read before the
/// rule, <see cref="PatientRecord.AttachmentTexts"/>) or into a narrative result Observation never changes
/// the assessment.
/// </summary>
public sealed class ReportTextProperties
{
    [Property(Arbitrary = [typeof(MovedTextArbitraries)], MaxTest = 120)]
    public void Moving_a_conclusion_elsewhere_never_changes_the_assessment(MovedText c)
    {
        var before = Outcome.Evaluate(c.Chart.Record(), c.Chart.Now);
        var record = c.Chart.Record();
        var observations = record.Observations.ToList();
        var texts = new Dictionary<Attachment, AttachmentText>(ReferenceEqualityComparer.Instance);
        var i = 0;
        foreach (var report in record.Reports)
        {
            if (report.Conclusion is not { } conclusion || !c.Moves[i++ % c.Moves.Length])
            {
                continue;
            }

            report.Conclusion = null;
            var where = c.Where == "both" ? (i % 2 == 0 ? "attachment" : "narrative result") : c.Where;
            if (where == "attachment")
            {
                var attachment = new Attachment { ContentType = "application/pdf", Url = "Binary/" + report.Id };
                report.PresentedForm.Add(attachment);
                texts[attachment] = new AttachmentText(conclusion, null, "Binary/" + report.Id);
            }
            else
            {
                var narrative = new Observation
                {
                    Id = report.Id + "-impression",
                    Status = ObservationStatus.Final,
                    Code = new CodeableConcept(Chart.Loinc, "19005-8", "Radiology Imaging study [Impression] (narrative)"),
                    Effective = report.Effective,
                    Value = new FhirString(conclusion),
                };
                observations.Add(narrative);
                report.Result.Add(new ResourceReference("Observation/" + narrative.Id));
            }
        }

        var moved = new PatientRecord(record.Patient, record.Conditions, observations, record.Reports, record.Notes, texts);
        var after = Outcome.Evaluate(moved, c.Chart.Now);
        Assert.Equal(Outcome.Decision(before), Outcome.Decision(after));
        Assert.Equal(string.Join(" ", before.Reasons.Select(r => r.Code)), string.Join(" ", after.Reasons.Select(r => r.Code)));
        Assert.Equal(string.Join(" ", before.IndicatorReasons.Select(r => r.Code)), string.Join(" ", after.IndicatorReasons.Select(r => r.Code)));
        Assert.Equal(Outcome.Evidence(before), Outcome.Evidence(after));
        Assert.Empty(after.UnreadTexts);
    }

    [Fact]
    public void Every_shared_case_moved_whole_keeps_its_outcome()
    {
        // The exhaustive form for each case: every conclusion into an attachment, then into a narrative result.
        foreach (var chart in SharedChart.All)
        {
            foreach (var where in new[] { "attachment", "narrative result" })
            {
                Moving_a_conclusion_elsewhere_never_changes_the_assessment(new MovedText(chart, where, [true]));
            }
        }
    }
}
