using System.Diagnostics;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Telemetry;

/// <summary>
/// Prometheus' own checker, <c>promtool check metrics</c>, run on a scrape's text.
/// </summary>
/// <remarks>
/// A test that needs it is skipped, saying what to install, when it is not installed, and fails
/// instead where <c>CI=true</c> or <c>PTTM_REQUIRE_ALL=1</c> (<see cref="SystemTool"/>): it comes
/// with Debian's <c>prometheus</c> package, which CI installs (<c>apt-get install prometheus</c>).
/// </remarks>
public static class Promtool
{
    private static readonly string[] s_knownPlaces = ["/usr/bin/promtool", "/usr/local/bin/promtool", "/opt/homebrew/bin/promtool"];

    /// <summary>The path of promtool; skips the test (fails it in CI), with what to install, when it is missing.</summary>
    public static string Require() => SystemTool.Require("promtool", s_knownPlaces,
        "The /metrics test checks the scrape with Prometheus' own promtool: install it with `sudo apt-get install prometheus` " +
        "(CI installs it the same way). No Prometheus server needs to run.");

    /// <summary>Runs <c>promtool check metrics</c> with <paramref name="exposition"/> on its standard input: its exit code and what it printed.</summary>
    public static async Task<(int ExitCode, string Output)> CheckMetricsAsync(string exposition)
    {
        var executable = Require();
        var start = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("check");
        start.ArgumentList.Add("metrics");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.StandardInput.WriteAsync(exposition);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await output) + (await errors));
    }
}
