using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using PttmHooks.Service.Cards;
using PttmHooks.Service.Telemetry;
using PttmHooks.Service.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.Server;

namespace PttmHooks.Service.Tests.Fallback;

/// <summary>
/// The FHIR fallback against WireMock.Net FHIR servers, one scenario per test: what prefetch
/// lacks is fetched with the EHR's token; failures become a 412 that says why, in time.
/// </summary>
public sealed class FallbackScenarioTests
{
    private const string CardCase = "seed000-breast-perfusion-defects";

    private static async Task<JsonNode> CardsAsync(HttpResponseMessage response)
    {
        var body = await response.JsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, TestFiles.Show(body));
        return body;
    }

    private static async Task<string> ExpectedSummaryAsync(FallbackRig rig)
    {
        using var response = await rig.PostAsync(rig.CaseRequest(CardCase).Request);
        var body = await CardsAsync(response);
        return (string)Assert.Single(body["cards"]!.AsArray())!["summary"]!;
    }

    [Fact]
    public async Task Partial_prefetch_fetches_the_missing_key_with_the_token_and_gives_the_same_card()
    {
        using var rig = new FallbackRig();
        var expected = await ExpectedSummaryAsync(rig);
        var (request, omitted) = rig.CaseRequest(CardCase, "conditions");
        rig.Search("Condition").RespondWith(FallbackRig.FhirJson(200, omitted["conditions"]!.ToJsonString()));

        using var response = await rig.PostAsync(request);

        var card = Assert.Single((await CardsAsync(response))["cards"]!.AsArray())!;
        Assert.Equal(expected, (string)card["summary"]!);
        var sent = Assert.Single(rig.Requests);
        Assert.StartsWith("/fhir/Condition?patient=", sent.PathAndQuery, StringComparison.Ordinal);
        Assert.Equal("Bearer " + FallbackRig.Token, sent.Authorization);
        // Conditions are never narrowed by date: a cancer counts at any age of record.
        Assert.DoesNotContain("date=", sent.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prefetch_key_holding_an_OperationOutcome_is_fetched_from_the_FHIR_server()
    {
        using var rig = new FallbackRig();
        var expected = await ExpectedSummaryAsync(rig);
        var (request, omitted) = rig.CaseRequest(CardCase, "conditions");
        request["prefetch"]!["conditions"] = JsonNode.Parse(FallbackRig.Outcome("too-costly", "the EHR could not run this search"));
        rig.Search("Condition").RespondWith(FallbackRig.FhirJson(200, omitted["conditions"]!.ToJsonString()));

        using var response = await rig.PostAsync(request);

        Assert.Equal(expected, (string)Assert.Single((await CardsAsync(response))["cards"]!.AsArray())!["summary"]!);
        Assert.Single(rig.Requests);
    }

    [Fact]
    public async Task Every_query_carries_the_bearer_token_and_observation_searches_are_narrowed_to_the_window()
    {
        using var rig = new FallbackRig();
        var (request, _) = rig.CaseRequest(CardCase, [.. TestFiles.Templates.Keys]);

        using var response = await rig.PostAsync(request);

        // Every search answered empty: nothing to report, but an answer, not a 412.
        Assert.Equal("""{"cards":[]}""", await response.TextAsync());
        Assert.Equal(TestFiles.Templates.Count, rig.Requests.Count);
        Assert.All(rig.Requests, r => Assert.Equal("Bearer " + FallbackRig.Token, r.Authorization));
        var evaluatedAt = Http.Case(CardCase).EvaluatedAt;
        var since = DateOnly.FromDateTime(evaluatedAt.UtcDateTime.AddDays(-91)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var observationSearches = rig.Requests.Where(r => r.PathAndQuery.Contains("/fhir/Observation?", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, observationSearches.Count);
        Assert.All(observationSearches, r => Assert.Contains("date=ge" + since, r.PathAndQuery, StringComparison.Ordinal));
        var imaging = Assert.Single(rig.Requests, r => r.PathAndQuery.Contains("category=RAD", StringComparison.Ordinal));
        Assert.Contains("date=ge" + since, imaging.PathAndQuery, StringComparison.Ordinal);
        // A positive wedged-PA cytology establishes PTTM at any age: pathology is never narrowed.
        var pathology = Assert.Single(rig.Requests, r => r.PathAndQuery.Contains("category=CP", StringComparison.Ordinal));
        Assert.DoesNotContain("date=", pathology.PathAndQuery, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(401, "refused the access token (401)", "unauthorized")]
    [InlineData(403, "denied access (403)", "forbidden")]
    public async Task A_FHIR_server_refusing_the_token_gives_412_naming_the_keys_and_the_status(int status, string reason, string outcome)
    {
        using var queries = new MetricCollector<double>(null, CdsMetrics.MeterName, "pttm.fhir.query.duration");
        using var rig = new FallbackRig();
        var (request, _) = rig.CaseRequest(CardCase, "conditions", "oxygenation");
        rig.Fhir.Given(Request.Create().UsingGet()).AtPriority(1).RespondWith(FallbackRig.FhirJson(status, FallbackRig.Outcome("security", "token rejected")));

        using var response = await rig.PostAsync(request);

        var issues = await response.ErrorAsync(HttpStatusCode.PreconditionFailed);
        Assert.Equal(["prefetch.conditions", "prefetch.oxygenation"], issues.Expressions().Order(StringComparer.Ordinal));
        Assert.All(issues, i => Assert.Contains(reason, i.Diagnostics, StringComparison.Ordinal));
        // 401 and 403 are not transient: one request per key, no retries.
        Assert.Equal(2, rig.Requests.Count);
        // The reason is kept for telemetry, by key.
        Assert.Contains(queries.GetMeasurementSnapshot(), m =>
            Equals(m.Tags["pttm.prefetch.key"], "oxygenation") && Equals(m.Tags["pttm.fhir.outcome"], outcome));
        Assert.DoesNotContain(FallbackRig.Token, await response.TextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_500_is_retried_once_and_the_second_answer_is_used()
    {
        using var rig = new FallbackRig();
        var expected = await ExpectedSummaryAsync(rig);
        var (request, omitted) = rig.CaseRequest(CardCase, "conditions");
        rig.Search("Condition").InScenario("flaky").WillSetStateTo("recovered")
            .RespondWith(FallbackRig.FhirJson(500, FallbackRig.Outcome("exception", "database busy")));
        rig.Search("Condition").InScenario("flaky").WhenStateIs("recovered")
            .RespondWith(FallbackRig.FhirJson(200, omitted["conditions"]!.ToJsonString()));

        using var response = await rig.PostAsync(request);

        Assert.Equal(expected, (string)Assert.Single((await CardsAsync(response))["cards"]!.AsArray())!["summary"]!);
        Assert.Equal(2, rig.Requests.Count);
    }

    [Fact]
    public async Task A_429_with_a_Retry_After_inside_the_budget_is_waited_for_and_retried()
    {
        using var rig = new FallbackRig();
        var (request, omitted) = rig.CaseRequest(CardCase, "conditions");
        rig.Search("Condition").InScenario("limited").WillSetStateTo("free")
            .RespondWith(FallbackRig.FhirJson(429, FallbackRig.Outcome("throttled", "slow down")).WithHeader("Retry-After", "1"));
        rig.Search("Condition").InScenario("limited").WhenStateIs("free")
            .RespondWith(FallbackRig.FhirJson(200, omitted["conditions"]!.ToJsonString()));

        var clock = Stopwatch.StartNew();
        using var response = await rig.PostAsync(request);

        Assert.Single((await CardsAsync(response))["cards"]!.AsArray());
        Assert.Equal(2, rig.Requests.Count);
        // Retry-After: 1 was honoured (not the 10 ms backoff).
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(950), $"answered after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_429_whose_Retry_After_outlasts_the_budget_is_not_waited_for()
    {
        using var rig = new FallbackRig();
        var (request, _) = rig.CaseRequest(CardCase, "conditions");
        rig.Search("Condition").RespondWith(FallbackRig.FhirJson(429, FallbackRig.Outcome("throttled", "slow down")).WithHeader("Retry-After", "30"));

        var clock = Stopwatch.StartNew();
        using var response = await rig.PostAsync(request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.PreconditionFailed));
        Assert.Equal("prefetch.conditions", issue.Expression);
        Assert.Contains("rate-limiting requests (429, Retry-After 30 s", issue.Diagnostics, StringComparison.Ordinal);
        Assert.Single(rig.Requests);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"answered after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_server_slower_than_the_budget_gives_412_at_the_budget_not_when_the_server_answers()
    {
        using var rig = new FallbackRig(new Dictionary<string, string?>
        {
            ["Cds:Fallback:Budget"] = "00:00:00.600",
            ["Cds:Fallback:AttemptTimeout"] = "00:00:00.400",
        });
        var (request, _) = rig.CaseRequest(CardCase, "conditions", "imagingReports");
        rig.Fhir.Given(Request.Create().UsingGet()).AtPriority(1)
            .RespondWith(FallbackRig.FhirJson(200, FallbackRig.EmptyBundle).WithDelay(TimeSpan.FromSeconds(5)));
        // Warm the app up first, so that the measurement is the fallback and not start-up.
        using (await rig.App.GetAsync("/cds-services"))
        {
        }

        var clock = Stopwatch.StartNew();
        using var response = await rig.PostAsync(request);
        var elapsed = clock.Elapsed;

        var issues = await response.ErrorAsync(HttpStatusCode.PreconditionFailed);
        Assert.Equal(["prefetch.conditions", "prefetch.imagingReports"], issues.Expressions().Order(StringComparer.Ordinal));
        Assert.All(issues, i => Assert.Contains("time budget of 600 ms", i.Diagnostics, StringComparison.Ordinal));
        // The server answers after 5 s; the budget (600 ms) must cut the wait. The bound leaves room for
        // a loaded CI machine (test projects run in parallel, Chromium among them): the budget's own
        // precision is measured by FallbackBenchmark, not here.
        Assert.True(elapsed < TimeSpan.FromMilliseconds(2000), $"answered after {elapsed.TotalMilliseconds:F0} ms; budget 600 ms, server delay 5 s");
    }

    [Fact]
    public async Task The_circuit_opens_after_repeated_failures_and_closes_again_once_the_server_recovers()
    {
        using var rig = new FallbackRig(new Dictionary<string, string?>
        {
            ["Cds:Fallback:MaxRetries"] = "0",
            ["Cds:Fallback:Circuit:MinimumThroughput"] = "2",
            ["Cds:Fallback:Circuit:BreakDuration"] = "00:00:00.500",
        });
        rig.Fhir.Given(Request.Create().UsingGet()).AtPriority(1).RespondWith(FallbackRig.FhirJson(503, FallbackRig.Outcome("transient", "down")));

        // Failures: the circuit opens.
        var (first, _) = rig.CaseRequest(CardCase, "conditions", "oxygenation", "markers");
        using (var response = await rig.PostAsync(first))
        {
            var issues = await response.ErrorAsync(HttpStatusCode.PreconditionFailed);
            Assert.Contains(issues, i => i.Diagnostics.Contains("HTTP 503", StringComparison.Ordinal));
        }

        // Open: the server is not called at all.
        var before = rig.Requests.Count;
        var (second, _) = rig.CaseRequest(CardCase, "conditions");
        using (var response = await rig.PostAsync(second))
        {
            var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.PreconditionFailed));
            Assert.Contains("circuit to this FHIR server is open", issue.Diagnostics, StringComparison.Ordinal);
        }

        Assert.Equal(before, rig.Requests.Count);

        // The server recovers; after the break a trial call goes through and the circuit closes.
        rig.Fhir.ResetMappings();
        rig.AnswerDefaults();
        var closed = false;
        for (var attempt = 0; attempt < 30 && !closed; attempt++)
        {
            await Task.Delay(200, TestContext.Current.CancellationToken);
            rig.App.Time.SetUtcNow(rig.App.Time.GetUtcNow().AddSeconds(1));
            var (again, _) = rig.CaseRequest(CardCase, "conditions");
            rig.App.Time.SetUtcNow(rig.App.Time.GetUtcNow().AddSeconds(1 + attempt));
            using var response = await rig.PostAsync(again);
            closed = response.StatusCode == HttpStatusCode.OK;
        }

        Assert.True(closed, "the circuit did not close after the server recovered");
        Assert.True(rig.Requests.Count > before);
    }

    [Fact]
    public async Task A_next_link_to_another_host_is_never_followed()
    {
        using var rig = new FallbackRig();
        using var elsewhere = WireMockServer.Start();
        elsewhere.Given(Request.Create().UsingGet()).RespondWith(FallbackRig.FhirJson(200, FallbackRig.EmptyBundle));
        var (request, omitted) = rig.CaseRequest(CardCase, "conditions");
        var page = omitted["conditions"]!.AsObject();
        page["link"] = new JsonArray(new JsonObject { ["relation"] = "next", ["url"] = elsewhere.Url + "/fhir/Condition?page=2" });
        rig.Search("Condition").RespondWith(FallbackRig.FhirJson(200, page.ToJsonString()));

        using var response = await rig.PostAsync(request);

        var card = Assert.Single((await CardsAsync(response))["cards"]!.AsArray())!;
        Assert.Empty(elsewhere.LogEntries);
        Assert.Single(rig.Requests);
        Assert.Contains("next link points outside it", (string)card["detail"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fhirServer_off_the_allowlist_is_400_and_no_request_leaves()
    {
        using var rig = new FallbackRig();
        using var untrusted = WireMockServer.Start();
        var (request, _) = rig.CaseRequest(CardCase, "conditions");
        request["fhirServer"] = untrusted.Url + "/fhir";

        using var response = await rig.PostAsync(request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("fhirServer", issue.Expression);
        Assert.Contains("is not one of the FHIR servers this caller may name (Cds:FhirServers", issue.Diagnostics, StringComparison.Ordinal);
        Assert.Empty(untrusted.LogEntries);
        Assert.Empty(rig.Requests);
    }

    [Theory]
    [InlineData("http://fhir.example.org/fhir", "uses http")]
    [InlineData("https://user:secret@ehr.example.org/fhir", "without user info")]
    [InlineData("https://ehr.example.org/fhir?_format=json", "without user info, query or fragment")]
    public async Task A_fhirServer_that_is_not_a_plain_https_base_is_400(string fhirServer, string reason)
    {
        using var rig = new FallbackRig();
        var (request, _) = rig.CaseRequest(CardCase, "conditions");
        request["fhirServer"] = fhirServer;

        using var response = await rig.PostAsync(request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Contains(reason, issue.Diagnostics, StringComparison.Ordinal);
        Assert.Empty(rig.Requests);
    }

    [Fact]
    public async Task Without_fhirAuthorization_a_server_not_configured_as_open_is_not_queried()
    {
        using var rig = new FallbackRig();
        var (request, _) = rig.CaseRequest(CardCase, "conditions");
        request.Remove("fhirAuthorization");

        using var response = await rig.PostAsync(request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.PreconditionFailed));
        Assert.Contains("no fhirAuthorization", issue.Diagnostics, StringComparison.Ordinal);
        Assert.Empty(rig.Requests);
    }

    [Fact]
    public async Task Without_fhirAuthorization_an_open_server_is_queried_without_a_token()
    {
        using var rig = new FallbackRig(new Dictionary<string, string?> { ["Cds:Fallback:OpenServers:0"] = "{base}" });
        var (request, omitted) = rig.CaseRequest(CardCase, "conditions");
        request.Remove("fhirAuthorization");
        rig.Search("Condition").RespondWith(FallbackRig.FhirJson(200, omitted["conditions"]!.ToJsonString()));

        using var response = await rig.PostAsync(request);

        Assert.Single((await CardsAsync(response))["cards"]!.AsArray());
        Assert.Null(Assert.Single(rig.Requests).Authorization);
    }

    [Fact]
    public async Task An_OperationOutcome_answered_by_the_FHIR_server_is_a_failed_query_with_its_diagnostics()
    {
        using var rig = new FallbackRig();
        var (request, _) = rig.CaseRequest(CardCase, "conditions");
        rig.Search("Condition").RespondWith(FallbackRig.FhirJson(200, FallbackRig.Outcome("too-costly", "search too broad")));

        using var response = await rig.PostAsync(request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.PreconditionFailed));
        Assert.Contains("answered with an OperationOutcome (search too broad)", issue.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_searchset_whose_entry_is_an_object_is_a_failed_query_not_a_500()
    {
        using var rig = new FallbackRig();
        var (request, _) = rig.CaseRequest(CardCase, "conditions");
        rig.Search("Condition").RespondWith(FallbackRig.FhirJson(200, """
            {"resourceType": "Bundle", "type": "searchset", "entry": {"resource": {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/seed000"}}}}
            """));

        using var response = await rig.PostAsync(request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.PreconditionFailed));
        Assert.Contains("not a FHIR R4 Bundle (Bundle.entry cannot be read", issue.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fetched_resource_with_a_misshapen_element_is_read_in_part_and_the_card_says_so()
    {
        using var rig = new FallbackRig();
        var expected = await ExpectedSummaryAsync(rig);
        var (request, omitted) = rig.CaseRequest(CardCase, "conditions");
        var bundle = omitted["conditions"]!.AsObject();
        bundle["entry"]!.AsArray().Add(new JsonObject
        {
            ["resource"] = JsonNode.Parse("""{"resourceType": "Condition", "id": "odd", "code": {"coding": {"system": "http://snomed.info/sct", "code": "38341003"}}}"""),
        });
        rig.Search("Condition").RespondWith(FallbackRig.FhirJson(200, bundle.ToJsonString()));

        using var response = await rig.PostAsync(request);

        var card = Assert.Single((await CardsAsync(response))["cards"]!.AsArray())!;
        Assert.Equal(expected, (string)card["summary"]!);
        Assert.Contains("not valid FHIR R4", (string)card["detail"]!, StringComparison.Ordinal);
        Assert.Contains(MarkdownText.Escape("Condition/odd.code.coding"), (string)card["detail"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_data_that_cannot_change_the_answer_does_not_block_it_no_malignancy_in_complete_conditions()
    {
        using var rig = new FallbackRig();
        var observationKeys = TestFiles.Templates.Keys.Where(k => k != "conditions" && k != "patient").ToArray();
        var (request, _) = rig.CaseRequest("neg-no-cancer-copd", observationKeys);
        rig.Fhir.Given(Request.Create().UsingGet()).AtPriority(1).RespondWith(FallbackRig.FhirJson(401, FallbackRig.Outcome("security", "expired")));

        using var response = await rig.PostAsync(request);

        Assert.Equal("""{"cards":[]}""", await response.TextAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Missing_data_that_could_change_the_answer_blocks_it_malignancy_present()
    {
        using var rig = new FallbackRig();
        var (request, _) = rig.CaseRequest(CardCase, "oxygenation");
        rig.Fhir.Given(Request.Create().UsingGet()).AtPriority(1).RespondWith(FallbackRig.FhirJson(401, FallbackRig.Outcome("security", "expired")));

        using var response = await rig.PostAsync(request);

        Assert.Equal("prefetch.oxygenation", Assert.Single(await response.ErrorAsync(HttpStatusCode.PreconditionFailed)).Expression);
    }

    [Fact]
    public async Task The_spec_patient_view_request_pointed_at_a_trusted_server_is_answered_from_it_with_its_token()
    {
        using var rig = new FallbackRig();
        var request = TestFiles.Fixture("hl7-spec/patient-view-request.json").AsObject();
        request["fhirServer"] = rig.FhirBase;

        using var response = await rig.PostAsync(request);

        // Patient 1288992 has no data on this server: nothing to report, every key fetched with the spec's token.
        Assert.Equal("""{"cards":[]}""", await response.TextAsync());
        Assert.Equal(TestFiles.Templates.Count, rig.Requests.Count);
        Assert.All(rig.Requests, r => Assert.Equal("Bearer some-opaque-fhir-access-token", r.Authorization));
    }

    [Fact]
    public async Task A_search_that_answers_another_patients_resources_is_not_used()
    {
        using var rig = new FallbackRig();
        var (request, omitted) = rig.CaseRequest(CardCase, "conditions");
        var page = omitted["conditions"]!.ToJsonString().Replace("Patient/seed000b", "Patient/someone-else", StringComparison.Ordinal);
        Assert.Contains("someone-else", page, StringComparison.Ordinal);
        rig.Search("Condition").RespondWith(FallbackRig.FhirJson(200, page));

        using var response = await rig.PostAsync(request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.PreconditionFailed));
        Assert.Contains("resources of another patient", issue.Diagnostics, StringComparison.Ordinal);
    }
}
