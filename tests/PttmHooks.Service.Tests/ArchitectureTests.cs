using System.Reflection;
using PttmHooks.Clinical;
using PttmHooks.Reading;
using PttmHooks.Service.CdsHooks;

namespace PttmHooks.Service.Tests;

/// <summary>
/// The arrows between the projects (docs/architecture.md): Service → Reading → Clinical, never the
/// reverse; the reading library carries no ASP.NET Core; and no library of the service references the
/// sample data (PttmHooks.SampleData: the noise of the benchmarks, <c>samples export</c> and the tests). Read from the assemblies' metadata, so
/// that a type used across an arrow the wrong way fails here whatever the project files say.
/// (The CLI's own arrows are checked in PttmHooks.Cli.Tests.)
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Service = typeof(CdsCatalog).Assembly;
    private static readonly Assembly Reading = typeof(FhirReadInPart).Assembly;
    private static readonly Assembly Clinical = typeof(PttmRule).Assembly;

    [Fact]
    public void The_assemblies_are_the_three_libraries()
    {
        Assert.Equal("PttmHooks.Service", Service.GetName().Name);
        Assert.Equal("PttmHooks.Reading", Reading.GetName().Name);
        Assert.Equal("PttmHooks.Clinical", Clinical.GetName().Name);
    }

    [Fact]
    public void The_service_references_the_reading_library_and_the_clinical_core()
    {
        var references = References(Service);

        Assert.Contains("PttmHooks.Reading", references);
        Assert.Contains("PttmHooks.Clinical", references);
    }

    [Fact]
    public void The_reading_library_references_the_clinical_core_and_neither_the_service_nor_ASP_NET_Core()
    {
        var references = References(Reading);

        Assert.Contains("PttmHooks.Clinical", references);
        Assert.DoesNotContain("PttmHooks.Service", references);
        Assert.DoesNotContain("pttm-hooks", references);
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    [Fact]
    public void The_clinical_core_references_neither_the_reading_library_nor_the_service_nor_ASP_NET_Core()
    {
        var references = References(Clinical);

        Assert.DoesNotContain("PttmHooks.Reading", references);
        Assert.DoesNotContain("PttmHooks.Service", references);
        Assert.DoesNotContain("pttm-hooks", references);
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.Extensions", StringComparison.Ordinal));
    }

    [Fact]
    public void No_library_of_the_service_references_the_sample_data_and_its_build_does_not_carry_it()
    {
        foreach (var assembly in new[] { Service, Reading, Clinical })
        {
            Assert.DoesNotContain("PttmHooks.SampleData", References(assembly));
        }

        var deps = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "PttmHooks.Service.deps.json"));
        Assert.Contains("PttmHooks.Reading", deps, StringComparison.Ordinal);
        Assert.DoesNotContain("PttmHooks.SampleData", deps, StringComparison.Ordinal);
    }

    private static IReadOnlyList<string> References(Assembly assembly) =>
        [.. assembly.GetReferencedAssemblies().Select(a => a.Name!)];
}
