using System.ComponentModel.DataAnnotations;

namespace PttmHooks.Service.Telemetry;

/// <summary>
/// Telemetry settings of the service (configuration section <c>Cds:Telemetry</c>). Export itself is
/// configured by the standard <c>OTEL_*</c> environment variables (see <see cref="TelemetryExtensions"/>).
/// </summary>
public sealed class TelemetryOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Cds:Telemetry";

    /// <summary>The shortest <see cref="PatientHashKey"/> accepted.</summary>
    public const int MinKeyLength = 32;

    /// <summary>
    /// Serve the Prometheus scrape endpoint <c>GET /metrics</c>, without authentication: it is for
    /// the cluster's scraper, and must not be reachable from outside the cluster.
    /// </summary>
    /// <value><c>false</c> (<c>true</c> in <c>appsettings.Development.json</c>).</value>
    public bool Prometheus { get; set; }

    /// <summary>
    /// The key of the keyed hash (HMAC-SHA256) that stands for a patient id, a hook instance and a
    /// user id in spans (<c>pttm.patient.hash</c>) and log records, so that the records of one
    /// patient can be found together without naming the patient. Keep it secret, and the same on
    /// every replica. Unset: no hash is written anywhere, and those values are erased from logs.
    /// </summary>
    /// <value>Unset.</value>
    [MinLength(MinKeyLength)]
    public string? PatientHashKey { get; set; }
}
