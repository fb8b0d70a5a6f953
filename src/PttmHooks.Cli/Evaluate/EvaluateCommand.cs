using System.CommandLine;
using PttmHooks.Clinical;

namespace PttmHooks.Cli.Evaluate;

/// <summary>
/// <c>evaluate &lt;file&gt;</c> and <c>evaluate --fhir &lt;base&gt; --patient &lt;id&gt;</c>: the rule's
/// assessment of one chart, as a table or (<c>--json</c>) a JSON document.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var file = new Argument<string?>("file")
        {
            Description = "A FHIR Bundle of one patient's resources (searchset, collection or transaction), or a CDS Hooks patient-view request (its prefetch is read as the service reads it).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var fhir = new Option<string?>("--fhir")
        {
            Description = "Instead of a file: a FHIR R4 base URL to gather the chart from, with the service's own queries (https, or http to localhost).",
        };
        var patient = new Option<string?>("--patient")
        {
            Description = "With --fhir: the patient's FHIR id.",
        };
        var tokenEnv = new Option<string?>("--token-env")
        {
            Description = "With --fhir: the environment variable that holds the bearer token for the FHIR server (never on the command line, never printed). Without it the server is queried without a token.",
        };
        var at = new Option<string?>("--at")
        {
            Description = "Evaluate as of: " + EvaluationTime.Accepted + ". Default: the case's evaluatedAt when a case.json sits beside the file, else now. The time used is always printed.",
        };
        var json = new Option<bool>("--json")
        {
            Description = "Print a JSON document (schema pttm-hooks.evaluate/1) instead of the table.",
        };

        var command = new Command("evaluate", "Evaluate the PTTM rule on one patient's chart and print each criterion with its evidence, the recommendation, the suspicion and the indicator. Exit codes: 0 evaluated, 2 bad input, 3 data could not be gathered completely.");
        command.Arguments.Add(file);
        command.Options.Add(fhir);
        command.Options.Add(patient);
        command.Options.Add(tokenEnv);
        command.Options.Add(at);
        command.Options.Add(json);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(result, async (output, _) =>
        {
            var path = result.GetValue(file);
            var fhirBase = result.GetValue(fhir);
            var rule = new PttmRule();
            ChartEvaluation evaluation;
            if (fhirBase is null)
            {
                if (path is null)
                {
                    throw CliException.BadInput("give a file (a FHIR Bundle or a hook request), or --fhir <base> --patient <id>.");
                }

                if (path.StartsWith('-') && !File.Exists(path))
                {
                    throw CliException.BadInput($"{path} is not an option of evaluate (see pttm-hooks evaluate --help).");
                }

                if (result.GetValue(patient) is not null || result.GetValue(tokenEnv) is not null)
                {
                    throw CliException.BadInput("--patient and --token-env go with --fhir; a file names its own patient.");
                }

                evaluation = await ChartEvaluation.FromFileAsync(path, result.GetValue(at), rule, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                if (path is not null)
                {
                    throw CliException.BadInput("give either a file or --fhir, not both.");
                }

                var id = result.GetValue(patient) ?? throw CliException.BadInput("--fhir needs --patient <id>: the FHIR id of the patient to evaluate.");
                var token = Token(result.GetValue(tokenEnv));
                var time = EvaluationTime.Resolve(result.GetValue(at) is "case" ? throw CliException.BadInput("--at case needs a case file; with --fhir give now or a time.") : result.GetValue(at), caseFile: null, TimeProvider.System);
                evaluation = await ChartEvaluation.FromFhirAsync(fhirBase, id, token, time, rule, cancellationToken).ConfigureAwait(false);
            }

            if (result.GetValue(json))
            {
                AssessmentDocument.Write(output, evaluation);
            }
            else
            {
                AssessmentText.Write(output, evaluation);
            }

            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    /// <summary>The token in the variable <paramref name="variable"/> names, or null without one.</summary>
    private static string? Token(string? variable)
    {
        if (variable is null)
        {
            return null;
        }

        var token = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrWhiteSpace(token)
            ? throw CliException.BadInput($"the environment variable {variable} (--token-env) is not set or is empty.")
            : token.Trim();
    }
}
