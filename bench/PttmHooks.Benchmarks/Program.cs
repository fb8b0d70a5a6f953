using System.Globalization;
using BenchmarkDotNet.Running;

namespace PttmHooks.Benchmarks;

/// <summary>The entry point (a named class: the service's own <c>Program</c> is referenced here too).</summary>
public static class Entry
{
    /// <summary>
    /// Runs the benchmarks chosen on the command line, or one of the load test's helpers:
    /// <c>requests &lt;folder&gt; &lt;fhir-base&gt;</c> writes the request bodies, <c>fhir-server &lt;port&gt; &lt;delay-ms&gt;</c>
    /// serves a FHIR server with a fixed delay (see bench/load/run.sh), <c>token-cpu &lt;rounds&gt;</c> measures
    /// the client token's check by CPU time (<see cref="TokenValidationBenchmark.MeasureCpu"/>).
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        switch (args)
        {
            case ["requests", var folder, var fhirServer]:
                return LoadTools.WriteRequests(folder, fhirServer);
            case ["fhir-server", var port, var delayMs]:
                return await LoadTools.ServeFhirAsync(
                    int.Parse(port, CultureInfo.InvariantCulture),
                    TimeSpan.FromMilliseconds(int.Parse(delayMs, CultureInfo.InvariantCulture))).ConfigureAwait(false);
            case ["token-cpu", var rounds]:
                return TokenValidationBenchmark.MeasureCpu(int.Parse(rounds, CultureInfo.InvariantCulture));
            default:
                BenchmarkSwitcher.FromAssembly(typeof(Entry).Assembly).Run(args);
                return 0;
        }
    }
}
