using System.Globalization;
using System.Net;
using Resource = Hl7.Fhir.Model.Resource;
using PttmHooks.Cli.Tests.Support;
using PttmHooks.Service.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using PttmHooks.Reading.Samples;

namespace PttmHooks.Cli.Tests.Evaluate;

/// <summary>
/// <c>evaluate --fhir --patient --token-env</c> against a FHIR server over real HTTP (WireMock) that
/// holds every case and pages its searches by 3: the service's own fetcher gathers each chart, with
/// the token from the environment variable on every request, and the token is never printed.
/// </summary>
public sealed class EvaluateFhirTests(EvaluateFhirTests.Server server) : IClassFixture<EvaluateFhirTests.Server>
{
    public sealed class Server : IDisposable
    {
        public Server()
        {
            var resources = new List<Resource>();
            foreach (var set in new[] { "cases", "own-cases" })
            {
                foreach (var sample in SampleCase.LoadAll(TestFiles.Path(set)))
                {
                    resources.AddRange(FhirServerFake.LoadCase(sample.Folder));
                }
            }

            Fhir = FhirServerFake.Start(resources, pageSize: 3);
        }

        public FhirServerFake Fhir { get; }

        public void Dispose() => Fhir.Dispose();
    }

    public static TheoryData<string> Cases() => TestFiles.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Every_case_gathered_from_a_fhir_server_with_the_token_gives_what_it_expects(string name)
    {
        var sample = TestFiles.Case(name);
        var variable = "PTTM_TEST_TOKEN_" + Guid.NewGuid().ToString("N");
        var token = "secret-token-" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, token);
        try
        {
            var before = server.Fhir.Requests.Count;
            var run = await PttmCli.RunAsync("evaluate", "--fhir", server.Fhir.BaseUrl.AbsoluteUri, "--patient", sample.PatientId, "--token-env", variable, "--json", "--at", Iso(sample.EvaluatedAt));

            Assert.True(run.ExitCode == 0, run.ToString());
            EvaluateCaseTests.AssertExpected(sample, run.Json());
            Assert.Equal("fhir", (string?)run.Json()["source"]!["kind"]);
            Assert.Equal(sample.PatientId, (string?)run.Json()["patientId"]);

            var requests = server.Fhir.Requests.Skip(before).Where(r => r.PathAndQuery.Contains(Uri.EscapeDataString(sample.PatientId), StringComparison.Ordinal)).ToList();
            Assert.True(requests.Count >= 10, $"{requests.Count} requests for {sample.PatientId}: one per discovery template at least");
            Assert.All(requests, r => Assert.Equal("Bearer " + token, r.Authorization));
            Assert.DoesNotContain(token, run.Console, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task The_table_from_a_fhir_server_names_the_server_and_never_the_token()
    {
        var sample = TestFiles.Case("cases/seed004-breast-history-hypoxaemia-vq");
        var variable = "PTTM_TEST_TOKEN_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "table-token-7c1e");
        try
        {
            var run = await PttmCli.RunAsync("evaluate", "--fhir", server.Fhir.BaseUrl.AbsoluteUri, "--patient", sample.PatientId, "--token-env", variable, "--at", Iso(sample.EvaluatedAt));

            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("Source:           FHIR server " + server.Fhir.BaseUrl.AbsoluteUri.TrimEnd('/'), run.Output, StringComparison.Ordinal);
            Assert.Contains("Recommendation:   wedged-pa-cytology", run.Output, StringComparison.Ordinal);
            Assert.Contains("Fetched from the FHIR server:", run.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("table-token-7c1e", run.Console, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task Without_token_env_the_server_is_queried_without_authorization()
    {
        var sample = TestFiles.Case("cases/possible-no-ctpa");
        var before = server.Fhir.Requests.Count;
        var run = await PttmCli.RunAsync("evaluate", "--fhir", server.Fhir.BaseUrl.AbsoluteUri, "--patient", sample.PatientId, "--json", "--at", Iso(sample.EvaluatedAt));

        Assert.True(run.ExitCode == 0, run.ToString());
        EvaluateCaseTests.AssertExpected(sample, run.Json());
        Assert.All(server.Fhir.Requests.Skip(before), r => Assert.Null(r.Authorization));
    }

    [Fact]
    public async Task A_token_variable_that_is_not_set_is_bad_input_and_nothing_is_sent()
    {
        var before = server.Fhir.Requests.Count;
        var run = await PttmCli.RunAsync("evaluate", "--fhir", server.Fhir.BaseUrl.AbsoluteUri, "--patient", "seed004", "--token-env", "PTTM_TEST_UNSET_" + Guid.NewGuid().ToString("N"));

        PttmCli.AssertBadInput(run, "(--token-env) is not set");
        Assert.Equal(before, server.Fhir.Requests.Count);
    }

    [Fact]
    public async Task A_server_that_refuses_the_token_gives_exit_3_naming_each_key_and_the_reason()
    {
        using var refusing = WireMockServer.Start();
        refusing.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(HttpStatusCode.Unauthorized)
            .WithHeader("Content-Type", "application/fhir+json")
            .WithBody("""{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login","diagnostics":"token expired"}]}"""));
        var variable = "PTTM_TEST_TOKEN_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "refused-token-51d0");
        try
        {
            var run = await PttmCli.RunAsync("evaluate", "--fhir", refusing.Url + "/fhir", "--patient", "seed004", "--token-env", variable);

            Assert.True(run.ExitCode == 3, run.ToString());
            Assert.Contains("could not be gathered completely", run.Error, StringComparison.Ordinal);
            Assert.Contains("conditions (Condition?patient=", run.Error, StringComparison.Ordinal);
            Assert.Contains("401", run.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("refused-token-51d0", run.Console, StringComparison.Ordinal);
            PttmCli.AssertNoStackTrace(run);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task A_patient_the_server_does_not_know_has_no_solid_malignancy_and_no_card()
    {
        var run = await PttmCli.RunAsync("evaluate", "--fhir", server.Fhir.BaseUrl.AbsoluteUri, "--patient", "nobody-here", "--json", "--at", "2026-11-20T12:00:00Z");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("none", (string?)run.Json()["recommendation"]);
        Assert.Equal("NotMet", (string?)run.Json()["criteria"]![0]!["state"]);
    }

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
