using System.CommandLine;

namespace PttmHooks.Cli.Samples;

/// <summary><c>token</c>: one CDS client JWT for a URL, to call the service with curl during local trials.</summary>
internal static class TokenCommand
{
    public static Command Create()
    {
        var key = new Option<FileInfo>("--jwt-key")
        {
            Description = "The private JWK that signs (samples/keys/local-dev.private.jwk.json is the development client's).",
            Required = true,
        };
        var issuer = new Option<string>("--jwt-issuer")
        {
            Description = "The token's iss (default: the development client's issuer).",
            DefaultValueFactory = _ => ClientTokens.DevelopmentIssuer,
        };
        var audience = new Argument<string>("url")
        {
            Description = "The URL the token is for (its aud): the endpoint you will call, such as http://localhost:5080/cds-services/pttm-screening.",
        };

        var command = new Command("token", "Print a CDS client JWT for one call to a URL (valid 5 minutes, usable once).");
        command.Arguments.Add(audience);
        command.Options.Add(key);
        command.Options.Add(issuer);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(result, async (stdout, _) =>
        {
            if (!Uri.TryCreate(result.GetValue(audience), UriKind.Absolute, out var url))
            {
                throw CliException.BadInput("the url must be an absolute URL, such as http://localhost:5080/cds-services.");
            }

            await stdout.WriteLineAsync(ClientTokens.Load(result.GetValue(key)!, result.GetValue(issuer)!).For(url)).ConfigureAwait(false);
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }
}
