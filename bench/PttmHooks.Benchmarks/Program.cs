using BenchmarkDotNet.Running;

namespace PttmHooks.Benchmarks;

/// <summary>The entry point (a named class: the service's own <c>Program</c> is referenced here too).</summary>
public static class Entry
{
    /// <summary>Runs the benchmarks chosen on the command line.</summary>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Entry).Assembly).Run(args);
}
