using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PttmHooks.Service.Hosting;

namespace PttmHooks.Service.Tests.Hosting;

/// <summary>
/// The service started as a process (<c>dotnet PttmHooks.Service.dll</c>, as <c>dotnet run</c> starts it)
/// on a port this test already listens on: it exits with <see cref="StartupFailures.AddressInUseExitCode"/>
/// and one sentence naming the address, and prints no stack trace.
/// </summary>
public sealed class AddressInUseTests
{
    [Theory]
    [InlineData("ASPNETCORE_URLS")]
    [InlineData("--urls")]
    public async Task A_port_in_use_ends_the_service_with_a_sentence_and_its_exit_code_not_a_stack_trace(string how)
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var address = $"http://127.0.0.1:{((IPEndPoint)occupant.LocalEndpoint).Port}";

        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PttmHooks.Service.dll"));
        if (how == "--urls")
        {
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add(address);
        }
        else
        {
            start.Environment["ASPNETCORE_URLS"] = address;
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Cds__Authentication__Required"] = "false";
        start.Environment.Remove("ASPNETCORE_HTTP_PORTS");
        start.Environment.Remove("ASPNETCORE_HTTPS_PORTS");

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var (stdout, stderr) = (await output, await error);
        var all = $"exit {process.ExitCode}\nstdout:\n{stdout}\nstderr:\n{stderr}";
        Assert.True(process.ExitCode == StartupFailures.AddressInUseExitCode, all);
        Assert.Equal(StartupFailures.AddressInUseSentence(address), stderr.Trim());
        Assert.Contains($"{address} is already in use by another process", stderr, StringComparison.Ordinal);
        Assert.Contains("ASPNETCORE_URLS", stderr, StringComparison.Ordinal);
        Assert.Contains($"Cannot listen on {address}: the address is already in use", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", stdout + stderr, StringComparison.Ordinal);
    }
}
