using System.CommandLine;
using PttmHooks.Cli.Samples;

var root = new RootCommand("PttmHooks command line: sample hook requests for the PTTM screening service.");
root.Subcommands.Add(SamplesCommand.Create());
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
