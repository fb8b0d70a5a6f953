using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Attachment = Hl7.Fhir.Model.Attachment;
using Binary = Hl7.Fhir.Model.Binary;
using DiagnosticReport = Hl7.Fhir.Model.DiagnosticReport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using PttmHooks.Clinical;
using PttmHooks.Reading.Gathering;
using PttmHooks.Service.Tests.Support;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace PttmHooks.Service.Tests.Fallback;

/// <summary>
/// Report texts behind attachment urls (issue 18): read from the EHR's FHIR server with the hook's
/// token, in both forms servers answer (the Binary as FHIR JSON, the raw content), relative or
/// absolute on the same base, never from another host, in parallel, inside the call's budget; every
/// failure named on the card, never a 500.
/// </summary>
public sealed class AttachmentReadTests
{
    private const string CardCase = "seed000-breast-perfusion-defects";
    // A perfusion scan beside the case's own, which already shows defects: an unreadable text of it
    // cannot change the answer (clinical-rule.md reading 35), so its failures are notes on the card;
    // an unreadable text that could decide is a 412 (ReportTextEndToEndTests).
    private const string ReportText = "Lung perfusion scan: multiple peripheral perfusion defects.";

    /// <summary>A perfusion scan report whose text is only an attachment, added to the request's imaging reports.</summary>
    private static JsonObject AddReport(JsonObject request, string id, JsonObject attachment, JsonArray? contained = null) =>
        FallbackRig.AddImagingReport(request, id, new JsonObject { ["text"] = "Lung perfusion scintigraphy" }, "2026-11-18", attachment, contained);

    private static JsonObject Url(string url, string contentType = "text/plain") => new() { ["contentType"] = contentType, ["url"] = url };

    private static string BinaryJson(string contentType, string text) =>
        $$"""{"resourceType":"Binary","id":"b1","contentType":"{{contentType}}","data":"{{Convert.ToBase64String(Encoding.UTF8.GetBytes(text))}}"}""";

    private static async Task<JsonNode> CardAsync(HttpResponseMessage response)
    {
        var body = await response.JsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, TestFiles.Show(body));
        return Assert.Single(body["cards"]!.AsArray())!;
    }

    private static string Detail(JsonNode card) => (string)card["detail"]!;

    /// <summary>A rig for the reader alone: a budget a loaded machine's first request fits in (what is tested is not the budget).</summary>
    private static FallbackRig ReaderRig(string? maxBytes = null) => new(new Dictionary<string, string?>
    {
        ["Cds:Fallback:Budget"] = "00:00:20",
        ["Cds:Fallback:AttemptTimeout"] = "00:00:10",
        ["Cds:Fallback:MaxAttachmentBytes"] = maxBytes ?? (8 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    [Fact]
    public async Task A_Binary_answered_as_FHIR_JSON_is_fetched_with_the_hook_token_and_its_text_is_read()
    {
        using var reads = new MetricCollector<long>(null, "PttmHooks.CdsHooks", "pttm.attachment.reads");
        using var rig = new FallbackRig();
        var (request, _) = rig.CaseRequest(CardCase);
        AddReport(request, "ctpa-json", Url("Binary/b1"));
        rig.Fhir.Given(Request.Create().WithPath("/fhir/Binary/b1").UsingGet()).AtPriority(1)
            .RespondWith(FallbackRig.FhirJson(200, BinaryJson("text/plain", ReportText)));

        using var response = await rig.PostAsync(request);

        var card = await CardAsync(response);
        Assert.DoesNotContain("could not be read", Detail(card), StringComparison.Ordinal);
        var sent = Assert.Single(rig.Fhir.LogEntries);
        Assert.Equal("/fhir/Binary/b1", sent.RequestMessage.Path);
        Assert.Equal("Bearer " + FallbackRig.Token, Header(sent, "Authorization"));
        // Both forms are acceptable to the service: FHIR JSON first, the raw content next.
        Assert.Contains("application/fhir+json", Header(sent, "Accept"), StringComparison.Ordinal);
        Assert.Contains("text/plain", Header(sent, "Accept"), StringComparison.Ordinal);
        Assert.Contains(reads.GetMeasurementSnapshot(), m => Equals(m.Tags["pttm.attachment.source"], "fhir") && Equals(m.Tags["pttm.attachment.outcome"], "ok"));
    }

    [Theory]
    [InlineData("json")]
    [InlineData("raw")]
    public async Task The_reader_gives_the_text_of_a_Binary_in_either_form(string form)
    {
        using var rig = ReaderRig();
        var respond = form == "json"
            ? FallbackRig.FhirJson(200, BinaryJson("text/plain", ReportText))
            : Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/plain; charset=utf-8").WithBody(ReportText);
        rig.Fhir.Given(Request.Create().WithPath("/fhir/Binary/b1").UsingGet()).AtPriority(1).RespondWith(respond);

        var read = Assert.Single((await ReadAsync(rig, "Binary/b1")).Reads);

        Assert.Equal(ReportText, read.Text.Text);
        Assert.Equal("Binary/b1", read.Text.Origin);
        Assert.Equal(("fhir", "ok", "DiagnosticReport/r1.presentedForm[0]"), (read.Source, read.Outcome, read.Expression));
    }

    [Fact]
    public async Task A_raw_PDF_is_fetched_and_handed_to_the_decoder_as_application_pdf()
    {
        using var rig = ReaderRig();
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n%\u00e2\u00e3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF");
        rig.Fhir.Given(Request.Create().WithPath("/fhir/Binary/p1").UsingGet()).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/pdf").WithBody(pdf));

        var read = Assert.Single((await ReadAsync(rig, "Binary/p1", "application/pdf")).Reads);

        Assert.Equal("Binary/p1", read.Text.Origin);
        Assert.Contains("application/pdf", Header(Assert.Single(rig.Fhir.LogEntries), "Accept"), StringComparison.Ordinal);
        // The plumbing: the bytes reached the decoder as PDF. Whether it reads this PDF is the
        // decoder's business (a PDF without a text layer is named as unreadable).
        Assert.True(read.Text.Ok || read.Outcome == "unreadable", read.Text.Problem);
    }

    [Theory]
    [InlineData("relative")]
    [InlineData("absolute")]
    [InlineData("absolute, other case and default-free form")]
    public async Task A_url_on_the_same_base_is_followed_relative_or_absolute(string form)
    {
        using var rig = ReaderRig();
        rig.Fhir.Given(Request.Create().WithPath("/fhir/Binary/b1").UsingGet()).AtPriority(1)
            .RespondWith(FallbackRig.FhirJson(200, BinaryJson("text/plain", ReportText)));
        var url = form switch
        {
            "relative" => "Binary/b1",
            "absolute" => rig.FhirBase + "/Binary/b1",
            _ => rig.FhirBase.Replace("http://localhost", "HTTP://LOCALHOST", StringComparison.Ordinal).Replace("/fhir", "/FHIR/", StringComparison.Ordinal) + "../fhir/Binary/b1",
        };

        var read = Assert.Single((await ReadAsync(rig, url)).Reads);

        Assert.Equal(ReportText, read.Text.Text);
        Assert.Single(rig.Fhir.LogEntries);
    }

    [Theory]
    [InlineData("other host")]
    [InlineData("same host, other path")]
    [InlineData("user info")]
    public async Task A_url_to_another_server_is_never_requested_and_the_card_names_it(string form)
    {
        using var other = WireMockServer.Start();
        other.Given(Request.Create().UsingAnyMethod()).RespondWith(FallbackRig.FhirJson(200, BinaryJson("text/plain", ReportText)));
        using var rig = new FallbackRig();
        var (request, _) = rig.CaseRequest(CardCase);
        var url = form switch
        {
            "other host" => other.Url + "/fhir/Binary/b1",
            "same host, other path" => rig.Fhir.Url + "/elsewhere/Binary/b1",
            _ => rig.FhirBase.Replace("http://", "http://someone@", StringComparison.Ordinal) + "/Binary/b1",
        };
        AddReport(request, "ctpa-foreign", Url(url));

        using var response = await rig.PostAsync(request);

        var detail = Detail(await CardAsync(response));
        Assert.Empty(other.LogEntries);
        Assert.Empty(rig.Fhir.LogEntries);
        Assert.Contains("ctpa-foreign could not be read", detail, StringComparison.Ordinal);
        Assert.Contains("another server", detail, StringComparison.Ordinal);
        Assert.Contains("was not followed", detail, StringComparison.Ordinal);
        if (form == "other host")
        {
            Assert.Contains(new Uri(other.Url!).Authority, detail, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(401, "refused the access token (401)")]
    [InlineData(404, "has no such resource or endpoint (404)")]
    public async Task A_Binary_refused_or_missing_is_named_on_the_card_and_not_retried(int status, string said)
    {
        using var reads = new MetricCollector<long>(null, "PttmHooks.CdsHooks", "pttm.attachment.reads");
        using var rig = new FallbackRig();
        var (request, _) = rig.CaseRequest(CardCase);
        AddReport(request, "ctpa-refused", Url("Binary/b1"));
        rig.Fhir.Given(Request.Create().WithPath("/fhir/Binary/b1").UsingGet()).AtPriority(1)
            .RespondWith(FallbackRig.FhirJson(status, FallbackRig.Outcome("security", "no")));

        using var response = await rig.PostAsync(request);

        var detail = Detail(await CardAsync(response));
        Assert.Contains("ctpa-refused could not be read", detail, StringComparison.Ordinal);
        Assert.Contains(said, detail, StringComparison.Ordinal);
        Assert.Single(rig.Fhir.LogEntries);
        Assert.Contains(reads.GetMeasurementSnapshot(), m => Equals(m.Tags["pttm.attachment.outcome"], status == 401 ? "unauthorized" : "not-found"));
    }

    [Fact]
    public async Task A_Binary_slower_than_the_budget_is_cut_at_the_budget_and_named()
    {
        using var rig = new FallbackRig(new Dictionary<string, string?>
        {
            ["Cds:Fallback:Budget"] = "00:00:00.600",
            ["Cds:Fallback:AttemptTimeout"] = "00:00:00.500",
            ["Cds:Fallback:MaxRetries"] = "0",
        });
        // Warm up (the host's first call), so that the clock measures the call alone.
        using (var warm = await rig.PostAsync(rig.CaseRequest(CardCase).Request))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var (request, _) = rig.CaseRequest(CardCase);
        AddReport(request, "ctpa-slow", Url("Binary/b1"));
        rig.Fhir.Given(Request.Create().WithPath("/fhir/Binary/b1").UsingGet()).AtPriority(1)
            .RespondWith(FallbackRig.FhirJson(200, BinaryJson("text/plain", ReportText)).WithDelay(TimeSpan.FromSeconds(5)));

        var clock = Stopwatch.StartNew();
        using var response = await rig.PostAsync(request);
        var elapsed = clock.Elapsed;

        var detail = Detail(await CardAsync(response));
        Assert.Contains("ctpa-slow could not be read", detail, StringComparison.Ordinal);
        Assert.Contains("Binary/b1 could not be fetched", detail, StringComparison.Ordinal);
        // The server answers after 5 s; the budget (600 ms) cuts the wait. The bound leaves room
        // for a loaded CI machine, as the search budget's own test does.
        Assert.True(elapsed < TimeSpan.FromMilliseconds(2500), $"answered after {elapsed.TotalMilliseconds:F0} ms; budget 600 ms, server delay 5 s");
    }

    [Fact]
    public async Task Three_attachments_are_fetched_at_once_not_one_after_another()
    {
        // A roomy budget: what is tested is that the three are in flight together, not the budget.
        using var rig = ReaderRig();
        var (request, _) = rig.CaseRequest(CardCase);
        foreach (var id in new[] { "b1", "b2", "b3" })
        {
            AddReport(request, "report-" + id, Url("Binary/" + id));
        }

        // Each answer waits until all three requests are in flight (or 800 ms have passed): the
        // highest number in flight at once says whether they were sent together.
        var inFlight = 0;
        var most = 0;
        using var allThere = new CountdownEvent(3);
        rig.Fhir.Given(Request.Create().WithPath(new WireMock.Matchers.WildcardMatcher("/fhir/Binary/*")).UsingGet()).AtPriority(1)
            .RespondWith(Response.Create().WithCallback(message =>
            {
                var now = Interlocked.Increment(ref inFlight);
                InterlockedMax(ref most, now);
                allThere.Signal();
                allThere.Wait(TimeSpan.FromMilliseconds(800));
                Interlocked.Decrement(ref inFlight);
                return new ResponseMessage
                {
                    StatusCode = 200,
                    Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("text/plain") },
                    BodyData = new BodyData { BodyAsString = ReportText, DetectedBodyType = BodyType.String },
                };
            }));

        using var response = await rig.PostAsync(request);

        Assert.DoesNotContain("could not be read", Detail(await CardAsync(response)), StringComparison.Ordinal);
        Assert.Equal(3, rig.Fhir.LogEntries.Count);
        Assert.Equal(3, Volatile.Read(ref most));
    }

    [Fact]
    public async Task An_attachment_larger_than_the_limit_by_its_size_is_not_fetched()
    {
        using var rig = new FallbackRig(new Dictionary<string, string?> { ["Cds:Fallback:MaxAttachmentBytes"] = "4096" });
        var (request, _) = rig.CaseRequest(CardCase);
        var attachment = Url("Binary/big");
        attachment["size"] = 10_000_000;
        AddReport(request, "ctpa-big", attachment);

        using var response = await rig.PostAsync(request);

        var detail = Detail(await CardAsync(response));
        Assert.Empty(rig.Fhir.LogEntries);
        Assert.Contains("above the limit of 4096 bytes", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Binary_larger_than_the_limit_is_abandoned_at_the_limit()
    {
        using var rig = ReaderRig("4096");
        rig.Fhir.Given(Request.Create().WithPath("/fhir/Binary/big").UsingGet()).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/plain").WithBody(new string('x', 20_000)));

        var read = Assert.Single((await ReadAsync(rig, "Binary/big")).Reads);

        Assert.Equal("too-large", read.Outcome);
        Assert.Contains("larger than 4096 bytes", read.Text.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_fhirServer_a_url_is_named_as_not_followed_and_inline_and_contained_texts_are_read()
    {
        using var rig = new FallbackRig();
        var (request, _) = rig.CaseRequest(CardCase);
        request.Remove("fhirServer");
        request.Remove("fhirAuthorization");
        AddReport(request, "ctpa-url", Url("Binary/b1"));
        AddReport(request, "ctpa-inline", new JsonObject { ["contentType"] = "text/plain", ["data"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(ReportText)) });
        AddReport(request, "ctpa-contained", Url("#t"), [JsonNode.Parse(BinaryJson("text/plain", ReportText).Replace("\"b1\"", "\"t\"", StringComparison.Ordinal))]);

        using var response = await rig.PostAsync(request);

        var detail = Detail(await CardAsync(response));
        Assert.Contains("ctpa-url could not be read", detail, StringComparison.Ordinal);
        Assert.Contains("no fhirServer", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("ctpa-inline could not be read", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("ctpa-contained could not be read", detail, StringComparison.Ordinal);
        Assert.Empty(rig.Fhir.LogEntries);
    }

    [Fact]
    public async Task The_token_reaches_no_log_and_no_other_host()
    {
        using var other = WireMockServer.Start();
        using var rig = new FallbackRig(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Trace" });
        var (request, _) = rig.CaseRequest(CardCase);
        var patientId = (string)request["context"]!["patientId"]!;
        AddReport(request, "ctpa-ok", Url("Binary/b1"));
        AddReport(request, "ctpa-away", Url(other.Url + "/Binary/b2"));
        rig.Fhir.Given(Request.Create().WithPath("/fhir/Binary/b1").UsingGet()).AtPriority(1)
            .RespondWith(FallbackRig.FhirJson(500, FallbackRig.Outcome("exception", "down")));

        using var response = await rig.PostAsync(request);

        await CardAsync(response);
        Assert.Empty(other.LogEntries);
        foreach (var record in rig.App.Logs.GetSnapshot())
        {
            var text = record.Message + string.Join(" ", record.StructuredState?.Select(p => p.Value) ?? []);
            Assert.DoesNotContain(FallbackRig.Token, text, StringComparison.Ordinal);
            Assert.DoesNotContain(patientId, text, StringComparison.Ordinal);
            Assert.DoesNotContain("Binary/b1", text, StringComparison.Ordinal);
        }

        Assert.Contains(rig.App.Logs.GetSnapshot(), r => r.Id.Id == 2205);
        Assert.Contains(rig.App.Logs.GetSnapshot(), r => r.Id.Id == 2204);
    }

    /// <summary>Reads one attachment of a report with the service's own reader, against the rig's FHIR server with the token.</summary>
    private static async Task<AttachmentReading> ReadAsync(FallbackRig rig, string url, string contentType = "text/plain")
    {
        var parsed = new Attachment { ContentType = contentType, Url = url };
        var report = new DiagnosticReport { Id = "r1", PresentedForm = [parsed] };
        var record = new PatientRecord(null, [], [], [report]);
        var reader = rig.App.Services.GetRequiredService<AttachmentReader>();
        var source = new AttachmentSource(new Uri(rig.FhirBase), FallbackRig.Token, new Dictionary<string, Binary>());
        return await reader.ReadAsync(record, [(report, parsed)], source, TimeProvider.System.GetTimestamp(), TestContext.Current.CancellationToken);
    }

    private static string Header(WireMock.Logging.ILogEntry entry, string name) =>
        entry.RequestMessage.Headers is { } headers && headers.TryGetValue(name, out var values) ? string.Join(", ", values) : string.Empty;

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
