using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;

namespace PttmHooks.Benchmarks;

/// <summary>
/// Shared settings: case names are long, so the parameter column is widened to show them whole; results
/// go to bench/BenchmarkDotNet.Artifacts whatever the working directory (git-ignored).
/// </summary>
public class BenchConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public BenchConfig()
    {
        SummaryStyle = SummaryStyle.Default.WithMaxParameterColumnWidth(48);
        if (BenchFolder() is { } bench)
        {
            ArtifactsPath = Path.Combine(bench, "BenchmarkDotNet.Artifacts");
        }
    }

    /// <summary>The repository's bench/ folder, found upwards from the binary (null when run elsewhere).</summary>
    private static string? BenchFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PttmHooks.sln")))
            {
                return Path.Combine(dir.FullName, "bench");
            }
        }

        return null;
    }
}
