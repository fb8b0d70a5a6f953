using System.Globalization;

namespace PttmHooks.Cli.Evaluate;

/// <summary>"Now" for the rule, and where it came from (shown with every result).</summary>
/// <param name="At">The time the rule is evaluated at.</param>
/// <param name="Source">How it was chosen, in words ("--at", "now", "evaluatedAt of case.json beside the file").</param>
internal sealed record EvaluationTime(DateTimeOffset At, string Source)
{
    /// <summary>What <c>--at</c> accepts, for help texts and messages.</summary>
    public const string Accepted = "'now', 'case' (the evaluatedAt of a case.json beside the file, as in samples/cases), or an ISO 8601 date or time such as 2026-11-20 or 2026-11-20T12:00:00Z (UTC when no offset is given)";

    /// <summary>
    /// Reads <c>--at</c>. Without it: the evaluatedAt of <paramref name="caseFile"/> when there is
    /// one (a sample case's dates are written relative to it, so "now" would put them out of the
    /// rule's window), else now.
    /// </summary>
    public static EvaluationTime Resolve(string? at, string? caseFile, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        var text = at?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return caseFile is not null && File.Exists(caseFile)
                ? FromCase(caseFile, "evaluatedAt of the case.json beside the file; --at now or --at <time> to change")
                : new EvaluationTime(Truncate(clock.GetUtcNow()), "now; --at <time> to change");
        }

        if (text.Equals("now", StringComparison.OrdinalIgnoreCase))
        {
            return new EvaluationTime(Truncate(clock.GetUtcNow()), "now (--at now)");
        }

        if (text.Equals("case", StringComparison.OrdinalIgnoreCase))
        {
            return caseFile is not null && File.Exists(caseFile)
                ? FromCase(caseFile, "evaluatedAt of the case.json beside the file (--at case)")
                : throw CliException.BadInput("--at case needs a case.json beside the file (as in samples/cases/<id>/); give a time instead.");
        }

        return new EvaluationTime(Parse(text, "--at", clock), "--at");
    }

    /// <summary>Parses an ISO 8601 date or date-time; a time without an offset is UTC.</summary>
    public static DateTimeOffset Parse(string text, string option, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(clock);
        if (text.Equals("now", StringComparison.OrdinalIgnoreCase))
        {
            return Truncate(clock.GetUtcNow());
        }

        string[] formats =
        [
            "yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
            "yyyy-MM-dd'T'HH:mmzzz", "yyyy-MM-dd'T'HH:mm:sszzz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz",
            "yyyy-MM-dd'T'HH:mm'Z'", "yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'",
        ];
        return DateTimeOffset.TryParseExact(text, formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : throw CliException.BadInput($"{option} '{text}' is not a time: give {Accepted}.");
    }

    /// <summary>The time as printed: ISO 8601 in UTC.</summary>
    public static string Format(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The time as printed with where it came from.</summary>
    public override string ToString() => $"{Format(At)} ({Source})";

    private static EvaluationTime FromCase(string caseFile, string source)
    {
        try
        {
            var sample = Reading.Samples.SampleCase.Load(Path.GetDirectoryName(Path.GetFullPath(caseFile))!);
            return new EvaluationTime(sample.EvaluatedAt, source);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw CliException.BadInput($"{caseFile} cannot be read for its evaluatedAt ({e.Message}); give --at <time>.");
        }
    }

    // Whole seconds: the time printed is the time used.
    private static DateTimeOffset Truncate(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}
