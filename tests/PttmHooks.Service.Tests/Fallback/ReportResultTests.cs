using System.Net;
using System.Text.Json.Nodes;
using PttmHooks.Reading.Samples;
using PttmHooks.Service.Tests.Support;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using Bundle = Hl7.Fhir.Model.Bundle;
using DiagnosticReport = Hl7.Fhir.Model.DiagnosticReport;
using DocumentReference = Hl7.Fhir.Model.DocumentReference;
using Observation = Hl7.Fhir.Model.Observation;
using ResourceReference = Hl7.Fhir.Model.ResourceReference;

namespace PttmHooks.Service.Tests.Fallback;

/// <summary>
/// The narrative result Observations a report references (issue 18): asked for in prefetch with
/// <c>_include=DiagnosticReport:result</c>, and fetched by <c>Observation?_id=…</c> from the FHIR
/// server with the token where the EHR did not include them; and the clinical notes key.
/// </summary>
public sealed class ReportResultTests
{
    private const string CardCase = "seed000-breast-perfusion-defects";

    [Fact]
    public async Task A_result_the_EHR_did_not_include_is_fetched_by_id_with_the_token_for_the_patient()
    {
        using var rig = new FallbackRig();
        var (request, _) = rig.CaseRequest(CardCase);
        var patientId = (string)request["context"]!["patientId"]!;
        var entries = request["prefetch"]!["imagingReports"]!["entry"]!.AsArray();
        entries.Add(new JsonObject
        {
            ["resource"] = new JsonObject
            {
                ["resourceType"] = "DiagnosticReport",
                ["id"] = "ctpa-results",
                ["status"] = "final",
                ["code"] = new JsonObject { ["text"] = "CT angiography chest" },
                ["subject"] = new JsonObject { ["reference"] = "Patient/" + patientId },
                ["effectiveDateTime"] = "2026-11-18",
                ["result"] = new JsonArray(new JsonObject { ["reference"] = "Observation/imp-1" }, new JsonObject { ["reference"] = "Observation/imp-2" }),
            },
        });
        rig.Fhir.Given(Request.Create().WithPath("/fhir/Observation").WithUrl(new WildcardMatcher("*_id=imp-1,imp-2*")).UsingGet()).AtPriority(1)
            .RespondWith(FallbackRig.FhirJson(200, $$$"""
                {"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Observation","id":"imp-1","status":"final",
                 "code":{"coding":[{"system":"http://loinc.org","code":"19005-8"}]},"subject":{"reference":"Patient/{{{patientId}}}"},
                 "effectiveDateTime":"2026-11-18","valueString":"No pulmonary embolism."}}]}
                """));

        using var response = await rig.PostAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = Assert.Single(rig.Requests);
        Assert.StartsWith("/fhir/Observation?_id=imp-1,imp-2&patient=" + patientId, sent.PathAndQuery, StringComparison.Ordinal);
        Assert.Equal("Bearer " + FallbackRig.Token, sent.Authorization);
    }

    [Fact]
    public async Task Without_fhirServer_nothing_is_fetched_for_results()
    {
        using var rig = new FallbackRig();
        var request = rig.App.CaseRequest(CardCase);

        using var response = await rig.PostAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(rig.Requests);
    }

    [Fact]
    public void The_report_templates_include_their_results_and_the_notes_key_finds_notes_by_type()
    {
        var report = new DiagnosticReport { Id = "r", Subject = new ResourceReference("Patient/p"), Result = [new ResourceReference("Observation/o1")] };
        report.Category.Add(new Hl7.Fhir.Model.CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0074", "RAD"));
        var result = new Observation { Id = "o1", Subject = new ResourceReference("Patient/p") };
        var note = new DocumentReference { Id = "n", Subject = new ResourceReference("Patient/p"), Type = new Hl7.Fhir.Model.CodeableConcept("http://loinc.org", "34552-0") };
        note.Category.Add(new Hl7.Fhir.Model.CodeableConcept("http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category", "clinical-note"));
        var other = new DocumentReference { Id = "m", Subject = new ResourceReference("Patient/p"), Type = new Hl7.Fhir.Model.CodeableConcept("http://loinc.org", "11506-3") };
        other.Category.Add(new Hl7.Fhir.Model.CodeableConcept("http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category", "clinical-note"));
        Hl7.Fhir.Model.Resource[] resources = [report, result, note, other];

        var imaging = Assert.IsType<Bundle>(TemplateSearch.Run(TestFiles.Templates["imagingReports"].Replace("{{context.patientId}}", "p", StringComparison.Ordinal), resources));
        var notes = Assert.IsType<Bundle>(TemplateSearch.Run(TestFiles.Templates["notes"].Replace("{{context.patientId}}", "p", StringComparison.Ordinal), resources));

        Assert.Equal([("r", Bundle.SearchEntryMode.Match), ("o1", Bundle.SearchEntryMode.Include)], imaging.Entry.Select(e => (e.Resource!.Id, e.Search!.Mode!.Value)));
        Assert.Equal("n", Assert.Single(notes.Entry).Resource!.Id);
    }
}
