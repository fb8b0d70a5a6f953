using System.Net;
using System.Net.Sockets;
using System.Text;
using PttmHooks.Cli.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace PttmHooks.Cli.Tests.Failures;

/// <summary>
/// What a new user meets first: no service running, a port taken by another program, a file that is
/// not there, a FHIR server that refuses the connection or the token. Each ends with one sentence
/// saying what happened and what to do, with the exit code docs/command-line.md documents, never a stack trace.
/// </summary>
public sealed class ExpectedFailureTests
{
    private const string Case = "seed004-breast-history-hypoxaemia-vq";

    private static string Cases => TestFiles.Path("cases");

    [Fact]
    public async Task Samples_request_with_no_service_running_says_how_to_start_it_exit_4()
    {
        var run = await PttmCli.RunAsync("samples", "request", Case, "--cases", Cases, "--service", ServiceOn(ClosedPort()));

        AssertFailure(run, 4, "nothing answers at http://127.0.0.1:");
        Assert.Contains("dotnet run --project src/PttmHooks.Service", run.Error, StringComparison.Ordinal);
        Assert.Contains("--offline", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Samples_post_with_no_service_running_says_how_to_start_it_exit_4()
    {
        var run = await PttmCli.RunAsync("samples", "post", "--cases", Cases, "--service", ServiceOn(ClosedPort()));

        AssertFailure(run, 4, "is the service running? Start it with 'dotnet run --project src/PttmHooks.Service'");
        Assert.Equal("", run.Output);
    }

    [Fact]
    public async Task Samples_post_with_its_templates_built_in_and_no_service_running_exit_4()
    {
        var run = await PttmCli.RunAsync("samples", "post", Case, "--offline", "--cases", Cases, "--service", ServiceOn(ClosedPort()));

        AssertFailure(run, 4, "nothing answers at http://127.0.0.1:");
    }

    [Fact]
    public async Task A_port_held_by_another_program_that_does_not_speak_http_exit_4()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var other = AnswerEveryConnectionAsync(listener, "SSH-2.0-OpenSSH_9.2\r\n", stop.Token);

        var run = await PttmCli.RunAsync("samples", "request", Case, "--cases", Cases, "--service", ServiceOn(port));
        await stop.CancelAsync();
        await other;

        AssertFailure(run, 4, $"http://127.0.0.1:{port} did not answer as an HTTP server");
        Assert.Contains("another program may be using that port", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_web_server_that_is_not_the_service_exit_4()
    {
        using var other = WireMockServer.Start();
        other.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(HttpStatusCode.NotFound).WithBody("<html>Not Found</html>"));

        var run = await PttmCli.RunAsync("samples", "request", Case, "--cases", Cases, "--service", other.Url + "/cds-services/pttm-screening");

        AssertFailure(run, 4, "answered HTTP 404, not a CDS discovery document");
    }

    [Fact]
    public async Task A_server_that_answers_200_with_something_else_than_discovery_exit_4()
    {
        using var other = WireMockServer.Start();
        other.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(HttpStatusCode.OK)
            .WithHeader("Content-Type", "text/html").WithBody("<html>a dashboard</html>"));

        var run = await PttmCli.RunAsync("samples", "request", Case, "--cases", Cases, "--service", other.Url + "/cds-services/pttm-screening");

        AssertFailure(run, 4, "answered with something else than a CDS discovery document");
    }

    [Fact]
    public async Task A_service_that_requires_a_client_token_says_to_pass_jwt_key_exit_4()
    {
        using var service = WireMockServer.Start();
        service.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(HttpStatusCode.Unauthorized).WithHeader("WWW-Authenticate", "Bearer"));

        var run = await PttmCli.RunAsync("samples", "post", Case, "--cases", Cases, "--service", service.Url + "/cds-services/pttm-screening");

        AssertFailure(run, 4, "asks for a client token (401): pass --jwt-key");
    }

    [Fact]
    public async Task A_sample_case_that_does_not_exist_exit_2() =>
        AssertFailure(await PttmCli.RunAsync("samples", "request", "no-such-case", "--offline", "--cases", Cases), 2, "there is no sample case 'no-such-case'");

    [Fact]
    public async Task A_jwt_key_file_that_does_not_exist_exit_2() =>
        AssertFailure(await PttmCli.RunAsync("token", "--jwt-key", "/nonexistent/key.json", "http://localhost:5080/cds-services"), 2, "no such key file (--jwt-key)");

    [Fact]
    public async Task An_evaluate_file_that_does_not_exist_exit_2() =>
        AssertFailure(await PttmCli.RunAsync("evaluate", "/nonexistent/chart.json"), 2, "no such file; give the path of a FHIR Bundle or a CDS Hooks request");

    [Fact]
    public async Task A_fhir_server_that_refuses_the_connection_exit_3()
    {
        var run = await PttmCli.RunAsync("evaluate", "--fhir", $"http://127.0.0.1:{ClosedPort()}/fhir", "--patient", "seed004");

        AssertFailure(run, 3, "could not be gathered completely");
        Assert.Contains("check that the FHIR server is running and that --fhir is its base URL.", LastLine(run), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fhir_server_that_answers_401_without_a_token_says_to_pass_token_env_exit_3()
    {
        using var fhir = Refusing401();

        var run = await PttmCli.RunAsync("evaluate", "--fhir", fhir.Url + "/fhir", "--patient", "seed004");

        AssertFailure(run, 3, "could not be gathered completely");
        Assert.Contains("asks for an access token (401): put one in an environment variable and name it with --token-env.", LastLine(run), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fhir_server_that_refuses_the_token_says_to_give_a_valid_one_exit_3()
    {
        using var fhir = Refusing401();
        var variable = "PTTM_TEST_TOKEN_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "expired-token-9f3a");
        try
        {
            var run = await PttmCli.RunAsync("evaluate", "--fhir", fhir.Url + "/fhir", "--patient", "seed004", "--token-env", variable);

            AssertFailure(run, 3, "could not be gathered completely");
            Assert.Contains("refused the access token (401): put a valid token in the environment variable given with --token-env", LastLine(run), StringComparison.Ordinal);
            Assert.DoesNotContain("expired-token-9f3a", run.Console, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    private static void AssertFailure(CliRun run, int exitCode, string messagePart)
    {
        Assert.True(run.ExitCode == exitCode, run.ToString());
        Assert.Contains(messagePart, run.Error, StringComparison.Ordinal);
        Assert.StartsWith("error: ", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", run.Console, StringComparison.Ordinal);
        Assert.DoesNotContain("unexpected", run.Console, StringComparison.Ordinal);
        PttmCli.AssertNoStackTrace(run);
    }

    private static string LastLine(CliRun run) => run.Error.TrimEnd().Split('\n')[^1];

    private static string ServiceOn(int port) => $"http://127.0.0.1:{port}/cds-services/pttm-screening";

    /// <summary>A loopback port nothing listens on: one the system just gave out and took back.</summary>
    private static int ClosedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private static WireMockServer Refusing401()
    {
        var server = WireMockServer.Start();
        server.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(HttpStatusCode.Unauthorized)
            .WithHeader("Content-Type", "application/fhir+json")
            .WithBody("""{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login","diagnostics":"no token"}]}"""));
        return server;
    }

    /// <summary>Another program on the port: it greets each connection with <paramref name="greeting"/> and hangs up.</summary>
    private static async Task AnswerEveryConnectionAsync(TcpListener listener, string greeting, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                using var client = await listener.AcceptTcpClientAsync(stop);
                await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(greeting), stop);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
