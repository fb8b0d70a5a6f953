using System.Text.Json.Nodes;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Reading.Samples;

namespace PttmHooks.Cli.Tests.Support;

/// <summary>What one command printed, and its exit code.</summary>
public sealed record CliRun(int ExitCode, string Output, string Error)
{
    /// <summary>Everything the command printed.</summary>
    public string Console => Output + Error;

    /// <summary>The output parsed as JSON.</summary>
    public JsonNode Json() => JsonNode.Parse(Output) ?? throw new InvalidOperationException("The output is JSON null.");

    /// <inheritdoc />
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>Runs <c>pttm-hooks</c> commands in-process, as Program runs them, with captured output.</summary>
public static class PttmCli
{
    /// <summary>Runs <paramref name="args"/>.</summary>
    public static Task<CliRun> RunAsync(params string[] args) => RunAsync(TestContext.Current.CancellationToken, args);

    /// <summary>Runs <paramref name="args"/> with <paramref name="cancellationToken"/> as Ctrl-C.</summary>
    public static async Task<CliRun> RunAsync(CancellationToken cancellationToken, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliApp.RunAsync(args, output, error, cancellationToken);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Asserts a bad-input failure: exit code 2, a message, and no stack trace or exception name.</summary>
    public static void AssertBadInput(CliRun run, string messagePart)
    {
        ArgumentNullException.ThrowIfNull(run);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains(messagePart, run.Error, StringComparison.Ordinal);
        AssertNoStackTrace(run);
    }

    /// <summary>No stack trace, no exception type name.</summary>
    public static void AssertNoStackTrace(CliRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        Assert.DoesNotContain("   at ", run.Console, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", run.Console, StringComparison.Ordinal);
    }
}

/// <summary>The test data copied beside the test binary, and the sample cases.</summary>
public static class TestFiles
{
    /// <summary>A folder or file under TestData.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([AppContext.BaseDirectory, "TestData", .. parts]);

    /// <summary>Every case of samples/cases ("cases/…") and tests/TestData/own-cases ("own-cases/…").</summary>
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var set in new[] { "cases", "own-cases" })
        {
            foreach (var sample in SampleCase.LoadAll(Path(set)))
            {
                data.Add(set + "/" + System.IO.Path.GetFileName(sample.Folder));
            }
        }

        return data;
    }

    /// <summary>A case by its "set/name".</summary>
    public static SampleCase Case(string name) => SampleCase.Load(Path(name.Split('/')));

    /// <summary>A case's <c>expected</c> object.</summary>
    public static JsonNode Expected(SampleCase sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(sample.Folder, "case.json")))!["expected"]!;
    }

    /// <summary>The templates of the embedded discovery document.</summary>
    public static IReadOnlyDictionary<string, string> Templates { get; } =
        PttmHooks.Reading.CdsHooks.CdsDiscovery.LoadEmbedded().Services.Single().Prefetch!;
}

/// <summary>A folder under the system's temporary folder, deleted with its content at the end of the test.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = Directory.CreateDirectory(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pttm-cli-tests-" + Guid.NewGuid().ToString("N")[..10])).FullName;
    }

    public string Path { get; }

    /// <summary>A path inside the folder.</summary>
    public string this[string name] => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
