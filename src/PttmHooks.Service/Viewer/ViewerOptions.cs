using Microsoft.Extensions.Options;

namespace PttmHooks.Service.Viewer;

/// <summary>The card viewer page (<c>Cds:Viewer</c>).</summary>
public sealed class ViewerOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Cds:Viewer";

    /// <summary>
    /// Serve the card viewer at <c>/</c> and its endpoints under <c>/viewer/</c>. Outside
    /// Development it must be set explicitly, and it then serves the page and the synthetic sample
    /// patients only: development tokens are never signed outside Development.
    /// </summary>
    /// <value>true in the Development environment, false in any other.</value>
    public bool? Enabled { get; set; }

    /// <summary>
    /// The development client's private JWK (Development only, with authentication required): the
    /// viewer signs one short-lived token per call with it, as an EHR would. Read in Development
    /// only; setting it in another environment stops the start.
    /// </summary>
    /// <value><c>samples/keys/local-dev.private.jwk.json</c> in the content root or a folder above it, when there is one.</value>
    public string? DevelopmentKeyFile { get; set; }

    /// <summary>Whether the viewer is on in <paramref name="environment"/>.</summary>
    public bool IsEnabled(IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return Enabled ?? environment.IsDevelopment();
    }
}

/// <summary>Checks at start-up that the development key is not configured where it is never read.</summary>
internal sealed class ViewerOptionsValidator(IHostEnvironment environment) : IValidateOptions<ViewerOptions>
{
    public ValidateOptionsResult Validate(string? name, ViewerOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.DevelopmentKeyFile) && !environment.IsDevelopment())
        {
            return ValidateOptionsResult.Fail(
                $"Cds:Viewer:DevelopmentKeyFile is set in the '{environment.EnvironmentName}' environment: the viewer signs tokens with a development key in Development only. Remove the setting.");
        }

        if (!string.IsNullOrWhiteSpace(options.DevelopmentKeyFile) && !File.Exists(Path.Combine(environment.ContentRootPath, options.DevelopmentKeyFile)))
        {
            return ValidateOptionsResult.Fail($"Cds:Viewer:DevelopmentKeyFile ({options.DevelopmentKeyFile}) does not exist (a relative path is read from the content root, {environment.ContentRootPath}).");
        }

        return ValidateOptionsResult.Success;
    }
}
