using System.ComponentModel.DataAnnotations;
using PttmHooks.Service.Security;
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
    /// The FHIR base URLs an <em>unauthenticated</em> hook request may name as <c>fhirServer</c>
    /// (only possible in Development with <c>Cds:Authentication:Required=false</c>). A signed
    /// request may name only its own client's servers (<c>Cds:Clients:&lt;name&gt;:FhirServers</c>).
    /// </summary>
    /// <value>Empty.</value>
    public List<string> FhirServers { get; set; } = [];

    /// <summary>Caller authentication: how tokens are checked.</summary>
    public CdsAuthenticationOptions Authentication { get; set; } = new();

    /// <summary>The trusted CDS clients (EHRs), by a name of the operator's choosing.</summary>
    public Dictionary<string, CdsClientOptions> Clients { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Where the <c>jti</c> of every accepted token is remembered.</summary>
    public ReplayCacheOptions ReplayCache { get; set; } = new();

    /// <summary>Admission of hook calls by the bytes of their bodies in flight.</summary>
    public AdmissionOptions Admission { get; set; } = new();

    /// <summary>Cross-origin access for browser-based CDS clients.</summary>
    public CorsSettings Cors { get; set; } = new();

    /// <summary>Cross-origin settings.</summary>
    public sealed class CorsSettings
    {
        /// <summary>Origins (<c>https://ehr.example.org</c>) whose pages may call the service from a browser.</summary>
        /// <value>None: browsers refuse cross-origin calls.</value>
        public List<string> Origins { get; set; } = [];
    }
}

