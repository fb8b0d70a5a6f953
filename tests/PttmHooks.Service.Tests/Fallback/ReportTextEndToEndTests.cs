using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using PttmHooks.Service.Tests.Support;
using PttmHooks.Service.Tests.Text;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace PttmHooks.Service.Tests.Fallback;

/// <summary>
/// Issue 18 end to end, through the merged pieces: the gathering reads a report's attachment from
/// the EHR's FHIR server, the decoder turns it into text, and the rule decides on that text (a CTPA
/// that excludes PE, an echo whose RVSP is only in its PDF); an attachment that cannot be read and
/// could decide is a 412 naming it, not a card built without it.
/// </summary>
public sealed class ReportTextEndToEndTests
{
    /// <summary>A report of LOINC <paramref name="loinc"/> whose text is only its attachment, added to the request's imaging reports.</summary>
    private static void AddReport(JsonObject request, string id, string loinc, string display, string date, JsonObject attachment) =>
        FallbackRig.AddImagingReport(request, id, new JsonObject
        {
            ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = loinc, ["display"] = display }),
            ["text"] = display,
        }, date, attachment);

    private static string BinaryJson(string id, string contentType, byte[] data) =>
        $$"""{"resourceType":"Binary","id":"{{id}}","contentType":"{{contentType}}","data":"{{Convert.ToBase64String(data)}}"}""";

    private static FallbackRig Rig() => new(new Dictionary<string, string?>
    {
        // A loaded machine's first request must fit: what is tested is the reading, not the budget.
        ["Cds:Fallback:Budget"] = "00:00:20",
        ["Cds:Fallback:AttemptTimeout"] = "00:00:10",
        ["Cds:Fallback:MaxRetries"] = "0",
    });

    private static async Task<string> SummaryAsync(HttpResponseMessage response)
    {
        var body = await response.JsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, TestFiles.Show(body));
        return (string)Assert.Single(body["cards"]!.AsArray())!["summary"]!;
    }

    [Fact]
    public async Task A_CTPA_whose_text_is_only_a_Binary_on_the_FHIR_server_excludes_PE_and_makes_the_card_suspected()
    {
        using var rig = Rig();
        var (request, _) = rig.CaseRequest("possible-no-ctpa");
        using (var before = await rig.PostAsync(request.DeepClone().AsObject()))
        {
            Assert.StartsWith("PTTM possible", await SummaryAsync(before), StringComparison.Ordinal);
        }

        AddReport(request, "ctpa-binary", "24627-2", "CT chest angiogram for pulmonary embolism", "2026-11-17", new JsonObject { ["contentType"] = "text/html", ["url"] = "Binary/ctpa1" });
        rig.Fhir.Given(Request.Create().WithPath("/fhir/Binary/ctpa1").UsingGet()).AtPriority(1)
            .RespondWith(FallbackRig.FhirJson(200, BinaryJson("ctpa1", "text/html",
                Encoding.UTF8.GetBytes("<html><body><h2>Impression</h2><ul><li>No pulmonary embolism.</li><li>No consolidation.</li></ul></body></html>"))));

        using var response = await rig.PostAsync(request);

        Assert.StartsWith("PTTM suspected", await SummaryAsync(response), StringComparison.Ordinal);
        Assert.Contains(rig.Requests, r => r.PathAndQuery == "/fhir/Binary/ctpa1" && r.Authorization == "Bearer " + FallbackRig.Token);
    }

    [Fact]
    public async Task An_echo_whose_RVSP_is_only_in_its_PDF_attachment_counts_as_pulmonary_hypertension()
    {
        using var rig = Rig();
        var (request, _) = rig.CaseRequest("possible-no-echo");
        using (var before = await rig.PostAsync(request.DeepClone().AsObject()))
        {
            Assert.StartsWith("PTTM possible", await SummaryAsync(before), StringComparison.Ordinal);
        }

        var pdf = Pdfs.WithPages(["Transthoracic echocardiogram", "Estimated RVSP 62 mmHg. Flattened interventricular septum."]);
        AddReport(request, "echo-pdf", "42148-7", "Echocardiography report", "2026-11-18", new JsonObject { ["contentType"] = "application/pdf", ["url"] = rig.FhirBase + "/Binary/echo1" });
        rig.Fhir.Given(Request.Create().WithPath("/fhir/Binary/echo1").UsingGet()).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/pdf").WithBody(pdf));

        using var response = await rig.PostAsync(request);

        Assert.StartsWith("PTTM suspected", await SummaryAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_CTPA_attachment_the_FHIR_server_cannot_give_is_a_412_naming_it()
    {
        using var rig = Rig();
        var (request, _) = rig.CaseRequest("possible-no-ctpa");
        AddReport(request, "ctpa-missing", "24627-2", "CT chest angiogram for pulmonary embolism", "2026-11-17", new JsonObject { ["contentType"] = "text/plain", ["url"] = "Binary/gone" });
        rig.Fhir.Given(Request.Create().WithPath("/fhir/Binary/gone").UsingGet()).AtPriority(1)
            .RespondWith(FallbackRig.FhirJson(404, FallbackRig.Outcome("not-found", "no such Binary")));

        using var response = await rig.PostAsync(request);

        var body = await response.JsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.PreconditionFailed, TestFiles.Show(body));
        Assert.Equal("OperationOutcome", (string?)body["resourceType"]);
        Assert.Contains(body["issue"]!.AsArray(), issue => TestFiles.Show(issue).Contains("DiagnosticReport/ctpa-missing", StringComparison.Ordinal));
    }
}
