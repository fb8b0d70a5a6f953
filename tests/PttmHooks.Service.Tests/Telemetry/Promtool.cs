using System.Diagnostics;

namespace PttmHooks.Service.Tests.Telemetry;

/// <summary>
/// Prometheus' own checker, <c>promtool check metrics</c>, run on a scrape's text.
/// </summary>
/// <remarks>
/// A test that needs it fails (never skips) when it is not installed: it comes with Debian's
/// <c>prometheus</c> package, which CI installs (<c>apt-get install prometheus</c>), and so must a
/// developer machine.
/// </remarks>
public static class Promtool
{
    private static readonly string[] s_knownPlaces = ["/usr/bin/promtool", "/usr/local/bin/promtool", "/opt/homebrew/bin/promtool"];

    /// <summary>Runs <c>promtool check metrics</c> with <paramref name="exposition"/> on its standard input: its exit code and what it printed.</summary>
    public static async Task<(int ExitCode, string Output)> CheckMetricsAsync(string exposition)
    {
        var executable = Find() ?? throw new InvalidOperationException(
            "promtool is not installed (looked on the PATH and in " + string.Join(", ", s_knownPlaces) + "). " +
            "The /metrics test checks the scrape with Prometheus' own promtool: install it with `sudo apt-get install prometheus` " +
            "(CI installs it the same way). No Prometheus server needs to run.");
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

    private static string? Find()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "promtool"))
            .Concat(s_knownPlaces)
            .FirstOrDefault(File.Exists);
    }
}
