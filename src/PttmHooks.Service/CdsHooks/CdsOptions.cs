using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PttmHooks.Service.CdsHooks;

/// <summary>The CDS Hooks endpoint's settings (configuration section <c>Cds</c>).</summary>
public sealed class CdsOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Cds";

    /// <summary>The largest request body accepted; larger ones get 413.</summary>
    /// <value>31,457,280 bytes (30 MB): a prefetch of several thousand resources fits.</value>
    [Range(1024, long.MaxValue)]
    public long MaxRequestBytes { get; set; } = 30 * 1024 * 1024;

    /// <summary>
    /// The service's public base URL (behind a proxy, the URL EHRs call), for links to the documents
    /// it serves. When unset, the base of the incoming request.
    /// </summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>
    /// The FHIR base URLs a hook request may name as <c>fhirServer</c> (environment variables
    /// <c>Cds__FhirServers__0=https://…</c>). A request naming any other server gets 400, and no
    /// request is sent to it. https only; http to a loopback address in Development.
    /// </summary>
    /// <value>Empty: requests with a <c>fhirServer</c> are refused until servers are configured.</value>
    public List<string> FhirServers { get; set; } = [];

    /// <summary>Caller authentication.</summary>
    public AuthenticationSettings Authentication { get; set; } = new();

    /// <summary>Caller authentication settings.</summary>
    public sealed class AuthenticationSettings
    {
        /// <summary>
        /// Turns caller authentication off. Allowed in the Development environment only, for local
        /// trials; the service then logs a warning at start-up.
        /// </summary>
        /// <value>false.</value>
        public bool Disabled { get; set; }
    }
}

/// <summary>Checks the settings that depend on each other and on the environment, at start-up.</summary>
internal sealed class CdsOptionsValidator(IHostEnvironment environment) : IValidateOptions<CdsOptions>
{
    public ValidateOptionsResult Validate(string? name, CdsOptions options)
    {
        if (options.PublicBaseUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)))
        {
            return ValidateOptionsResult.Fail("Cds:PublicBaseUrl must be an absolute http(s) URL.");
        }

        if (options.Authentication.Disabled && !environment.IsDevelopment())
        {
            return ValidateOptionsResult.Fail(
                $"Cds:Authentication:Disabled=true is allowed only in the Development environment (this is '{environment.EnvironmentName}'): outside it, every caller must be authenticated.");
        }

        if (!options.Authentication.Disabled)
        {
            return ValidateOptionsResult.Fail(
                "Caller authentication is required, and no trusted CDS clients are configured (Cds:Clients). " +
                "For a local trial, run in the Development environment with Cds__Authentication__Disabled=true.");
        }

        return ValidateOptionsResult.Success;
    }
}
