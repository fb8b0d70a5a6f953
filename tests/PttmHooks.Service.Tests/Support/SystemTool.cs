using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace PttmHooks.Service.Tests.Support;

/// <summary>
/// A program from the system that a test drives (redis-server, promtool, chromium): found on the PATH
/// or in its usual places. When it is missing the test is <b>skipped</b>, saying what to install, so
/// that <c>dotnet test</c> passes on a machine with only the .NET SDK; where <c>CI=true</c> or
/// <c>PTTM_REQUIRE_ALL=1</c> is set it <b>fails</b> with the same message instead (CI installs every
/// tool, so nothing may be skipped there).
/// </summary>
/// <remarks>
/// <c>PTTM_PRETEND_MISSING=redis-server,promtool,chromium</c> (comma-separated names, or <c>all</c>)
/// makes this helper treat those tools as missing even when installed, to check both outcomes.
/// Linked into the Viewer tests project too (a test project does not reference another).
/// </remarks>
public static class SystemTool
{
    /// <summary>
    /// The path of <paramref name="name"/>, else skips the test (or fails it where every tool is
    /// required) with "<paramref name="name"/> is not installed …" and <paramref name="install"/>.
    /// </summary>
    /// <param name="name">The executable's name on the PATH.</param>
    /// <param name="knownPlaces">Absolute paths to look at after the PATH.</param>
    /// <param name="install">What needs it and how to install it, as a sentence.</param>
    public static string Require(string name, IReadOnlyList<string> knownPlaces, string install)
    {
        var path = Find(name, knownPlaces);
        if (path is null)
        {
            Missing(name, knownPlaces, install);
        }

        return path;
    }

    /// <summary>The path of <paramref name="name"/> on the PATH or in <paramref name="knownPlaces"/>, or null (also when pretended missing).</summary>
    public static string? Find(string name, IReadOnlyList<string> knownPlaces)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(knownPlaces);
        if (PretendedMissing(name))
        {
            return null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .Concat(knownPlaces)
            .FirstOrDefault(File.Exists);
    }

    /// <summary>True where a missing tool fails the test: <c>CI=true</c> (or 1), or <c>PTTM_REQUIRE_ALL=1</c> (or true).</summary>
    public static bool Required => IsSet("CI") || IsSet("PTTM_REQUIRE_ALL");

    /// <summary>Skips the test, or fails it where every tool is required, saying what to install; never returns.</summary>
    [DoesNotReturn]
    public static void Missing(string name, IReadOnlyList<string> knownPlaces, string install)
    {
        ArgumentNullException.ThrowIfNull(knownPlaces);
        var message = $"{name} is not installed (looked on the PATH and in {string.Join(", ", knownPlaces)}{(PretendedMissing(name) ? "; PTTM_PRETEND_MISSING names it" : string.Empty)}). {install}";
        if (Required)
        {
            Assert.Fail(message + " (CI=true or PTTM_REQUIRE_ALL=1: a missing tool fails the test.)");
        }

        Assert.Skip(message + " (Skipped; with CI=true or PTTM_REQUIRE_ALL=1 it fails.)");
        throw new UnreachableException(); // Assert.Skip throws
    }

    private static bool PretendedMissing(string name) =>
        (Environment.GetEnvironmentVariable("PTTM_PRETEND_MISSING") ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Any(n => n == "all" || n == name);

    private static bool IsSet(string variable) =>
        Environment.GetEnvironmentVariable(variable)?.Trim().ToUpperInvariant() is "TRUE" or "1";
}
