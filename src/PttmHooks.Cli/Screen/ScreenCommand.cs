using System.CommandLine;
using System.Globalization;
using PttmHooks.Cli.Evaluate;
using PttmHooks.Clinical;
using PttmHooks.Clinical.Assessment;

namespace PttmHooks.Cli.Screen;

/// <summary>
/// <c>screen &lt;ndjson-folder&gt; --at &lt;time&gt; --out &lt;dir&gt;</c>: the rule over a FHIR Bulk
/// Data export, every patient with a solid malignancy evaluated; screen.csv and screen.html written.
/// The console shows progress and counts only, never an identifier.
/// </summary>
internal static class ScreenCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("ndjson-folder")
        {
            Description = "A FHIR Bulk Data export: NDJSON files of Patient, Condition, Observation and DiagnosticReport (Observation.000.ndjson and .ndjson.gz too).",
        };
        var at = new Option<string>("--at")
        {
            Description = "Evaluate every patient as of this time: 'now' or an ISO 8601 date or time (UTC when no offset is given).",
            DefaultValueFactory = _ => "now",
        };
        var output = new Option<string>("--out")
        {
            Description = "The folder for screen.csv and screen.html (created; they hold patient identifiers).",
            Required = true,
        };
        var partitions = new Option<int?>("--partitions")
        {
            Description = "Advanced: the number of partition files patients are grouped into (default: one per 64 MiB of export, at most 512).",
        };

        var command = new Command("screen", "Screen a FHIR Bulk Data export retrospectively: every patient with a solid malignancy is evaluated at --at; writes screen.csv (one row per patient) and screen.html (counts per criterion and recommendation, flagged patients). Memory stays bounded whatever the export's size.");
        command.Arguments.Add(folder);
        command.Options.Add(at);
        command.Options.Add(output);
        command.Options.Add(partitions);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(result, async (stdout, stderr) =>
        {
            var clock = TimeProvider.System;
            var time = EvaluationTime.Parse(result.GetValue(at)!, "--at", clock);
            if (result.GetValue(partitions) is { } k && (k < 1 || k > Screener.MaxPartitions))
            {
                throw CliException.BadInput($"--partitions must be between 1 and {Screener.MaxPartitions}.");
            }

            var started = clock.GetTimestamp();
            var progress = new ScreenProgress(stderr, CliApp.IsTerminal(stderr), clock);
            var rule = new PttmRule();
            var screener = new Screener(rule, time, progress, clock);
            // On a pool thread, so that the action returns at once and System.CommandLine can watch
            // for Ctrl-C: it cancels the token, which the passes check every few thousand lines.
            var (tally, csv, html) = await Task.Run(() => screener.Run(result.GetValue(folder)!, result.GetValue(output)!, result.GetValue(partitions), cancellationToken), CancellationToken.None).ConfigureAwait(false);
            Summarise(stdout, tally, time, csv, html, clock.GetElapsedTime(started));
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    /// <summary>The counts of the run, for the console: no identifier.</summary>
    private static void Summarise(TextWriter output, ScreenTally tally, DateTimeOffset at, string csv, string html, TimeSpan elapsed)
    {
        output.WriteLine($"Screened at {EvaluationTime.Format(at)} in {ScreenProgress.Duration(elapsed)}.");
        output.WriteLine("Export:          " + string.Join(", ", tally.Types.Where(t => t.Value.Files > 0).Select(t => $"{t.Key} {N(t.Value.Lines)} lines in {N(t.Value.Files)} file{(t.Value.Files == 1 ? "" : "s")}")));
        var skipped = tally.Types.Values.Sum(t => t.Unreadable + t.OtherType + t.Unattributed);
        if (skipped > 0 || tally.SkippedFiles.Count > 0)
        {
            output.WriteLine($"Not read:        {N(tally.Types.Values.Sum(t => t.Unreadable))} unreadable lines, {N(tally.Types.Values.Sum(t => t.OtherType))} of another type, {N(tally.Types.Values.Sum(t => t.Unattributed))} with no patient subject; {tally.SkippedFiles.Count} files of other types");
        }

        output.WriteLine($"Patients:        {N(tally.Patients)}; with a solid malignancy, evaluated: {N(tally.Evaluated)}");
        output.WriteLine("Recommendations: " + string.Join(", ", new[] { Recommendation.WedgedPaCytology, Recommendation.LungPerfusionScan, Recommendation.None }.Select(r => $"{Words.Of(r)} {N(tally.With(r))}")));
        output.WriteLine("Indicators:      " + string.Join(", ", new Indicator?[] { Indicator.Critical, Indicator.Warning, Indicator.Info }.Select(i => $"{Words.Of(i)} {N(tally.Outcomes.Where(o => o.Key.Item3 == i).Sum(o => o.Value))}")));
        output.WriteLine("Criteria met:    " + string.Join(", ", ScreenTally.CriterionOrder.Select(id => $"{Words.Of(id)} {N(tally.With(id, CriterionState.Met))}")));
        if (tally.Attachments > 0)
        {
            output.WriteLine($"Attachments:     {N(tally.Attachments)} asked for by the rule, {N(tally.UnreadAttachments)} could not be read (a url to no Binary of the export, or a content type not read)");
        }

        output.WriteLine($"Grouping:        {tally.Partitions} partitions, {ScreenProgress.Size(tally.PartitionBytes)} written, largest {ScreenProgress.Size(tally.LargestPartitionBytes)}; Bloom filter {ScreenProgress.Size(tally.BloomBytes)}, {N(tally.FalsePositives)} false positives");
        output.WriteLine($"Wrote:           {csv} ({N(tally.Evaluated)} rows), {html} ({N(tally.Flagged)} flagged)");
    }

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
