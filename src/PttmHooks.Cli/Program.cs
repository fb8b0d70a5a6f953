using System.CommandLine;
using PttmHooks.Cli.Samples;

var root = new RootCommand("PttmHooks command line: sample hook requests and client tokens for the PTTM screening service.");
root.Subcommands.Add(SamplesCommand.Create());
root.Subcommands.Add(TokenCommand.Create());
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
