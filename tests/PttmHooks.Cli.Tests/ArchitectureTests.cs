using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;

namespace PttmHooks.Cli.Tests;

/// <summary>
/// The CLI's arrows (docs/architecture.md): Cli → Reading → Clinical, Cli → SampleData (the noise of
/// <c>samples export</c>, which references the FHIR model only), and no ASP.NET Core anywhere below it. Read from the assemblies' metadata, following every PttmHooks assembly the CLI reaches.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Cli = typeof(CliApp).Assembly;

    [Fact]
    public void The_CLI_references_the_reading_library_and_not_the_service()
    {
        var references = Cli.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.Equal("pttm-hooks", Cli.GetName().Name);
        Assert.Contains("PttmHooks.Reading", references);
        Assert.Contains("PttmHooks.SampleData", references);
        Assert.DoesNotContain("PttmHooks.Service", references);
    }

    [Fact]
    public void The_sample_data_library_references_the_FHIR_model_and_no_other_project()
    {
        var sampleData = typeof(PttmHooks.SampleData.NoiseGenerator).Assembly;
        var references = sampleData.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.Equal("PttmHooks.SampleData", sampleData.GetName().Name);
        Assert.Contains(references, r => r.StartsWith("Hl7.Fhir", StringComparison.Ordinal));
        Assert.DoesNotContain(references, r => r.StartsWith("PttmHooks.", StringComparison.Ordinal) || r == "pttm-hooks");
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || r.StartsWith("Microsoft.Extensions", StringComparison.Ordinal));
    }

    [Fact]
    public void No_assembly_of_the_project_the_CLI_reaches_is_the_service_or_references_ASP_NET_Core()
    {
        var reached = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var next = new Queue<Assembly>([Cli]);
        while (next.TryDequeue(out var assembly))
        {
            var name = assembly.GetName().Name!;
            if (reached.ContainsKey(name))
            {
                continue;
            }

            var references = assembly.GetReferencedAssemblies().ToList();
            reached[name] = [.. references.Select(r => r.Name!)];
            foreach (var reference in references.Where(r => r.Name!.StartsWith("PttmHooks.", StringComparison.Ordinal)))
            {
                next.Enqueue(AssemblyLoadContext.Default.LoadFromAssemblyName(reference));
            }
        }

        Assert.Equal(["PttmHooks.Clinical", "PttmHooks.Reading", "PttmHooks.SampleData", "pttm-hooks"], reached.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, references) in reached)
        {
            Assert.DoesNotContain("PttmHooks.Service", references);
            Assert.True(!references.Any(r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)), $"{name} references ASP.NET Core: {string.Join(", ", references)}");
        }
    }

    [Fact]
    public void The_CLI_runs_on_the_base_runtime_alone_and_its_dependencies_hold_no_ASP_NET_Core()
    {
        // The files the build writes beside pttm-hooks.dll (copied into this test's output).
        using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "pttm-hooks.runtimeconfig.json")));
        var options = config.RootElement.GetProperty("runtimeOptions");
        Assert.Equal("Microsoft.NETCore.App", options.GetProperty("framework").GetProperty("name").GetString());
        Assert.False(options.TryGetProperty("frameworks", out _), "pttm-hooks.runtimeconfig.json names more than one framework");

        var deps = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "pttm-hooks.deps.json"));
        Assert.DoesNotContain("PttmHooks.Service", deps, StringComparison.Ordinal);
        Assert.DoesNotContain("Microsoft.AspNetCore", deps, StringComparison.OrdinalIgnoreCase);
    }
}
