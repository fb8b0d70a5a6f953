using PttmHooks.Reading.CdsHooks;
using PttmHooks.Reading.Fhir;
using PttmHooks.Reading.Gathering;
using PttmHooks.Service.Fhir;

namespace PttmHooks.Service.Tests.Fallback;

/// <summary>The fallback's settings checked at start-up, the allowlist's comparison, and the query narrowing.</summary>
public sealed class FallbackSettingsTests
{
    private static string StartFailure(Dictionary<string, string?> settings, string environment = "Development")
    {
        using var app = new ServiceApp(settings, environment);
        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        return Hosting.StartupTests.Messages(error);
    }

    [Theory]
    [InlineData("Development", "http://fhir.example.org/fhir", "not loopback")]
    [InlineData("Development", "fhir.example.org/fhir", "not an absolute URL")]
    [InlineData("Development", "https://ehr.example.org/fhir?tenant=1", "without user info, query or fragment")]
    public void A_FHIR_server_that_is_not_a_plain_https_base_stops_the_start(string environment, string url, string reason)
    {
        var message = StartFailure(new() { ["Cds:FhirServers:0"] = url }, environment);

        Assert.Contains("Cds:FhirServers:0", message, StringComparison.Ordinal);
        Assert.Contains(reason, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://localhost:8080/fhir", true, null)]
    [InlineData("http://127.0.0.1:8080/fhir", true, null)]
    [InlineData("http://localhost:8080/fhir", false, "uses http")]
    [InlineData("http://10.0.0.5/fhir", true, "not loopback")]
    [InlineData("https://ehr.example.org/fhir", false, null)]
    [InlineData("ftp://ehr.example.org/fhir", false, "must be an https URL")]
    [InlineData("https://ehr.example.org/fhir#top", false, "without user info, query or fragment")]
    public void Plain_http_is_accepted_only_to_loopback_in_Development(string url, bool development, string? problem)
    {
        var found = FhirServerPolicy.SchemeProblem(new Uri(url), development);

        if (problem is null)
        {
            Assert.Null(found);
        }
        else
        {
            Assert.Contains(problem, found, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_open_server_that_is_not_allowed_stops_the_start()
    {
        var message = StartFailure(new() { ["Cds:Fallback:OpenServers:0"] = "https://sandbox.example.org/fhir" });

        Assert.Contains("Cds:Fallback:OpenServers:0", message, StringComparison.Ordinal);
        Assert.Contains("is not a FHIR server of any client", message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_attempt_timeout_longer_than_the_budget_stops_the_start()
    {
        var message = StartFailure(new() { ["Cds:Fallback:Budget"] = "00:00:01", ["Cds:Fallback:AttemptTimeout"] = "00:00:03" });

        Assert.Contains("Cds:Fallback:AttemptTimeout", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Cds:Fallback:Circuit:FailureRatio", "0", "FailureRatio")]
    [InlineData("Cds:Fallback:Circuit:MinimumThroughput", "1", "MinimumThroughput")]
    [InlineData("Cds:Fallback:Circuit:BreakDuration", "00:00:00.100", "BreakDuration")]
    public void A_circuit_setting_out_of_range_stops_the_start(string key, string value, string member)
    {
        var message = StartFailure(new() { [key] = value });

        Assert.Contains("Cds:Fallback:Circuit:" + member, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://EHR.example.org/FHIR/", "https://ehr.example.org/fhir")]
    [InlineData("https://ehr.example.org:443/fhir", "https://ehr.example.org/fhir")]
    [InlineData("https://ehr.example.org/fhir/r4", "https://ehr.example.org/fhir/r4")]
    public void Bases_compare_without_case_default_port_or_trailing_slash(string given, string normalised) =>
        Assert.Equal(normalised, FhirServerPolicy.Normalise(given));

    [Fact]
    public void A_base_that_only_starts_like_an_allowed_one_is_not_allowed()
    {
        Assert.NotEqual(FhirServerPolicy.Normalise("https://ehr.example.org/fhir"), FhirServerPolicy.Normalise("https://ehr.example.org/fhir-admin"));
        Assert.NotEqual(FhirServerPolicy.Normalise("https://ehr.example.org/fhir"), FhirServerPolicy.Normalise("https://ehr.example.org.evil.test/fhir"));
    }

    [Fact]
    public void Every_template_key_is_decided_narrowed_or_searched_in_full()
    {
        // A new key must be placed on purpose: narrowing a key the rule reads at any age would hide data.
        var decided = QueryNarrowing.NarrowedKeys.Keys.Concat(QueryNarrowing.FullKeys).Order(StringComparer.Ordinal);
        Assert.Equal(TestFiles.Templates.Keys.Order(StringComparer.Ordinal), decided);
        Assert.Empty(QueryNarrowing.NarrowedKeys.Keys.Intersect(QueryNarrowing.FullKeys));
    }

    [Theory]
    [InlineData("conditions", null, "Condition?patient=p1&_count=500")]
    [InlineData("oxygenation", null, "&_sort=-date&_count=100&date=ge2026-08-21")]
    [InlineData("oxygenation", 3, "&_sort=-date&_count=3&date=ge2026-08-21")]
    [InlineData("conditions", 1000, "Condition?patient=p1&_count=500")]
    [InlineData("patient", 3, "Patient/p1")]
    public void Fallback_queries_are_narrowed_by_date_and_capped_by_page_size(string key, int? pageSize, string expectedEnd)
    {
        var template = PrefetchTemplate.Parse(key, TestFiles.Templates[key]);
        var url = template.Fill(new PttmHooks.Reading.CdsHooks.HookContext("Practitioner/u", "p1", null, new Dictionary<string, string> { ["patientId"] = "p1" }))!;

        var narrowed = QueryNarrowing.Narrow(template, url, new DateOnly(2026, 8, 21), pageSize);

        Assert.EndsWith(expectedEnd, narrowed, StringComparison.Ordinal);
    }
}
