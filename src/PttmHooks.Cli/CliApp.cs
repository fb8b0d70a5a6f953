using System.CommandLine;
using PttmHooks.Cli.Evaluate;
using PttmHooks.Cli.Samples;
using PttmHooks.Cli.Screen;


namespace PttmHooks.Cli;

/// <summary>
/// The <c>pttm-hooks</c> command: its commands, and one way to run them that tests share with
/// <c>Program</c> (output and error writers given, no process spawned).
/// </summary>
internal static class CliApp
{
    /// <summary>Builds the root command with every subcommand.</summary>
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("PttmHooks command line: evaluate the PTTM rule on a chart, screen a FHIR Bulk Data export, sample hook requests and client tokens.");
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(ScreenCommand.Create());

        root.Subcommands.Add(SamplesCommand.Create());
        root.Subcommands.Add(TokenCommand.Create());
        return root;
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>. A command line that does not parse is bad input:
    /// its errors go to the error writer and the exit code is <see cref="ExitCodes.BadInput"/>.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        var parsed = CreateRoot().Parse(args);
        var configuration = new InvocationConfiguration
        {
            Output = output ?? Console.Out,
            Error = error ?? Console.Error,
            // Ctrl-C cancels the action's token; 'screen' then removes its temporary files.
            ProcessTerminationTimeout = TimeSpan.FromSeconds(10),
        };
        if (parsed.Errors.Count > 0 && parsed.Action is System.CommandLine.Invocation.ParseErrorAction)
        {
            foreach (var problem in parsed.Errors)
            {
                await configuration.Error.WriteLineAsync(problem.Message).ConfigureAwait(false);
            }

            await configuration.Error.WriteLineAsync($"Run '{string.Join(' ', ["pttm-hooks", .. CommandPath(parsed)])} --help' for usage.").ConfigureAwait(false);
            return ExitCodes.BadInput;
        }

        // Every failure, whichever command it comes from, goes through the one handler: a sentence
        // and an exit code, never System.CommandLine's "Unhandled exception" with a stack trace.
        configuration.EnableDefaultExceptionHandler = false;
        try
        {
            return await parsed.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Reported by the one handler: a sentence, never a stack trace.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return await CommandRunner.ReportAsync(e, configuration.Error, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>True when <paramref name="writer"/> is the process's standard error and that is a terminal.</summary>
    public static bool IsTerminal(TextWriter writer) => ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected;

    private static List<string> CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (var result = parsed.CommandResult; result.Parent is System.CommandLine.Parsing.CommandResult parent; result = parent)
        {
            names.Insert(0, result.Command.Name);
        }

        return names;
    }
}

/// <summary>The exit codes of the commands.</summary>
internal static class ExitCodes
{
    /// <summary>Done: the chart was evaluated, the export screened.</summary>
    public const int Ok = 0;

    /// <summary>A failure that is not the input's fault (a bug, a disk that fills up).</summary>
    public const int Failed = 1;

    /// <summary>Bad input: an option, a file that is not what it should be. The message says what.</summary>
    public const int BadInput = 2;

    /// <summary>
    /// A server the command needs did not answer, or answered as something else: the CDS service of
    /// <c>samples request</c> and <c>samples post</c> (not running, the wrong port, another program on it).
    /// </summary>
    public const int Unreachable = 4;

    /// <summary>
    /// The data could not be gathered completely (a FHIR server that failed, a prefetch key missing)
    /// and the answer could depend on what is missing: the service's 412.
    /// </summary>
    public const int Incomplete = 3;

    /// <summary>Stopped by Ctrl-C (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;
}

/// <summary>An expected failure: a message for the user and an exit code, never a stack trace.</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    /// <summary>The exit code.</summary>
    public int ExitCode { get; } = exitCode;

    /// <summary>Bad input (exit code 2).</summary>
    public static CliException BadInput(string message) => new(ExitCodes.BadInput, message);
}

/// <summary>Runs a command's body and turns every failure into a message and an exit code.</summary>
internal static class CommandRunner
{
    /// <summary>
    /// Runs <paramref name="body"/> and reports any failure with <see cref="ReportAsync"/>.
    /// </summary>
    public static async Task<int> RunAsync(ParseResult result, Func<TextWriter, TextWriter, Task<int>> body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(body);
        var output = result.InvocationConfiguration.Output;
        var error = result.InvocationConfiguration.Error;
        try
        {
            return await body(output, error).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Reported by the one handler: a sentence, never a stack trace.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return await ReportAsync(e, error, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reports <paramref name="failure"/> on <paramref name="error"/> in one sentence and returns its
    /// exit code: a <see cref="CliException"/> its own; file-system errors are bad input; a server
    /// that cannot be reached or does not answer is <see cref="ExitCodes.Unreachable"/>; Ctrl-C is
    /// <see cref="ExitCodes.Cancelled"/>; anything else is a bug (with its stack trace only when the
    /// environment variable PTTM_DEBUG is set, for a bug report).
    /// </summary>
    public static async Task<int> ReportAsync(Exception failure, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(failure);
        ArgumentNullException.ThrowIfNull(error);
        var (code, message) = failure switch
        {
            CliException e => (e.ExitCode, "error: " + e.Message),
            FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or PathTooLongException => (ExitCodes.BadInput, "error: " + failure.Message),
            OperationCanceledException when cancellationToken.IsCancellationRequested => (ExitCodes.Cancelled, "cancelled."),
            // HttpClient's own timeout, not Ctrl-C.
            TaskCanceledException { InnerException: TimeoutException } => (ExitCodes.Unreachable, "error: a server did not answer in time; check that it is running and try again."),
            HttpRequestException e => (ExitCodes.Unreachable, $"error: {e.Message.TrimEnd('.')}; check that the server is running and that its URL is right."),
            IOException e => (ExitCodes.Failed, "error: " + e.Message),
            _ => (ExitCodes.Failed, $"error: an unexpected {failure.GetType().Name}: {failure.Message}{(Environment.GetEnvironmentVariable("PTTM_DEBUG") is null ? "" : " " + failure.StackTrace)} (this is a bug in pttm-hooks; please report it with the command you ran)."),
        };
        await error.WriteLineAsync(message).ConfigureAwait(false);
        return code;
    }
}
