using PttmHooks.Cli;

return await CliApp.RunAsync(args).ConfigureAwait(false);
