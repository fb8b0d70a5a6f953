using System.CommandLine;
using System.Globalization;
using PttmHooks.Cli.Evaluate;
using PttmHooks.Cli.Screen;

namespace PttmHooks.Cli.Samples;

/// <summary><c>samples export</c>: a synthetic FHIR Bulk Data export to try <c>screen</c> on, and to measure it.</summary>
internal static class ExportCommand
{
    public static Command Create(Option<DirectoryInfo?> cases)
    {
        var patients = new Option<int>("--patients") { Description = "The number of patients.", Required = true };
        var output = new Option<string>("--out") { Description = "The folder to write the NDJSON files (and expected.csv) to.", Required = true };
        var seed = new Option<int>("--seed") { Description = "The random seed: the same seed, --at and cases give the same files.", DefaultValueFactory = _ => 1 };
        var at = new Option<string>("--at") { Description = "The time the export is taken, which every date is relative to: 'now' or an ISO 8601 date or time. Screen it with the same --at.", DefaultValueFactory = _ => "now" };
        var caseShare = new Option<double>("--case-share") { Description = "The share of patients copied from the sample cases (every 1/share-th patient, the cases in turn).", DefaultValueFactory = _ => 0.02 };
        var cancerShare = new Option<double>("--cancer-share") { Description = "The share of the other patients who have a solid malignancy (with noise only).", DefaultValueFactory = _ => 0.06 };
        var split = new Option<int>("--observations-per-file") { Description = "Observation lines per file (Observation.000.ndjson, Observation.001.ndjson, …).", DefaultValueFactory = _ => 1_000_000 };
        var gzip = new Option<bool>("--gzip") { Description = "Write .ndjson.gz files." };

        var command = new Command("export", "Write a synthetic FHIR Bulk Data export (NDJSON per resource type) built from the sample cases with the noise of real charts; expected.csv lists the case copies and the answers their case.json expects.");
        foreach (var option in new Option[] { patients, output, seed, at, caseShare, cancerShare, split, gzip, cases })
        {
            command.Options.Add(option);
        }

        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(result, async (stdout, stderr) =>
        {
            var count = result.GetValue(patients);
            if (count < 1)
            {
                throw CliException.BadInput("--patients must be at least 1.");
            }

            if (result.GetValue(caseShare) is < 0 or > 1 || result.GetValue(cancerShare) is < 0 or > 1)
            {
                throw CliException.BadInput("--case-share and --cancer-share are fractions between 0 and 1.");
            }

            if (result.GetValue(split) < 1)
            {
                throw CliException.BadInput("--observations-per-file must be at least 1.");
            }

            var clock = TimeProvider.System;
            var spec = new ExportSpec(
                count,
                result.GetValue(seed),
                EvaluationTime.Parse(result.GetValue(at)!, "--at", clock),
                SamplesCommand.CasesFolder(result.GetValue(cases)),
                result.GetValue(output)!,
                result.GetValue(caseShare),
                result.GetValue(cancerShare),
                result.GetValue(split),
                result.GetValue(gzip));
            var started = clock.GetTimestamp();
            var progress = new ScreenProgress(stderr, CliApp.IsTerminal(stderr), clock);
            progress.Start("export", count, n => n.ToString("N0", CultureInfo.InvariantCulture) + " patients");
            // On a pool thread, so that System.CommandLine can watch for Ctrl-C (see ScreenCommand).
            var summary = await Task.Run(() => BulkExportGenerator.Write(spec, progress.Report, cancellationToken), CancellationToken.None).ConfigureAwait(false);
            progress.Finish($"{summary.Files} files, {ScreenProgress.Size(summary.Bytes)}");
            stdout.WriteLine($"Wrote {count.ToString("N0", CultureInfo.InvariantCulture)} patients to {spec.Out} at {EvaluationTime.Format(spec.At)} (seed {spec.Seed}) in {ScreenProgress.Duration(clock.GetElapsedTime(started))}: " +
                string.Join(", ", summary.Lines.Select(l => $"{l.Key} {l.Value.ToString("N0", CultureInfo.InvariantCulture)}")) +
                $" lines, {summary.Files} files, {ScreenProgress.Size(summary.Bytes)}.");
            stdout.WriteLine($"Sample case copies: {summary.CaseCopies.ToString("N0", CultureInfo.InvariantCulture)} (expected.csv); other patients with a solid malignancy: {summary.CancerNoise.ToString("N0", CultureInfo.InvariantCulture)}.");
            stdout.WriteLine($"Screen it: pttm-hooks screen {spec.Out} --at {EvaluationTime.Format(spec.At)} --out <folder>");
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }
}
