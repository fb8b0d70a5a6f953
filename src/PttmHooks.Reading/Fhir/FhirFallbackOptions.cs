using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PttmHooks.Reading.Fhir;

/// <summary>
/// How the service fetches what prefetch lacked from the EHR's FHIR server (configuration section
/// <c>Cds:Fallback</c>). The FHIR servers it may query at all are <c>Cds:FhirServers</c>.
/// </summary>
public sealed class FhirFallbackOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Cds:Fallback";

    /// <summary>
    /// The time one hook call may spend fetching, all queries and retries together. Past it, what
    /// has not arrived is unsatisfied (and the call answers 412 unless the decision cannot depend on it).
    /// </summary>
    /// <value>2 seconds: four times the spec's "on the order of 500 ms", well inside CRD's 5 s.</value>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan Budget { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest one HTTP attempt may take before it is abandoned (and retried when budget remains).</summary>
    /// <value>1 second.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Retries of one GET after a timeout, a connection failure, 408, 429, 500, 502, 503 or 504.</summary>
    /// <value>2.</value>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;

    /// <summary>The first retry's delay; later retries back off exponentially, with jitter.</summary>
    /// <value>100 milliseconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Pages of one search followed through its <c>next</c> links, the first page included.</summary>
    /// <value>5.</value>
    [Range(1, 100)]
    public int MaxPages { get; set; } = 5;

    /// <summary>
    /// The largest page asked for: a template's <c>_count</c> above it is lowered to it, and a
    /// search without one gets it. For FHIR servers that are slow on, or refuse, large pages;
    /// <see cref="MaxPages"/> still bounds the pages followed.
    /// </summary>
    /// <value>Unset: each template's own <c>_count</c>.</value>
    [Range(1, 1000)]
    public int? PageSize { get; set; }

    /// <summary>The largest FHIR response body read, in bytes.</summary>
    /// <value>16 MiB.</value>
    [Range(1024, int.MaxValue)]
    public int MaxResponseBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// The largest attachment read, in bytes: a <c>Binary</c> fetched for a report's or note's
    /// attachment <c>url</c>. An attachment whose <c>size</c> says it is larger is not fetched, and
    /// the card names it; one whose content turns out larger is abandoned at the limit.
    /// </summary>
    /// <value>8 MiB.</value>
    [Range(1024, int.MaxValue)]
    public int MaxAttachmentBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Attachments fetched from the FHIR server at once, for one hook call.</summary>
    /// <value>6.</value>
    [Range(1, 32)]
    public int AttachmentConcurrency { get; set; } = 6;

    /// <summary>The circuit breaker kept for each FHIR server base.</summary>
    public CircuitSettings Circuit { get; set; } = new();

    /// <summary>
    /// FHIR bases (each also in <c>Cds:FhirServers</c>) that may be queried without a token when a
    /// request has no <c>fhirAuthorization</c>: open sandboxes. Any other server without a token is
    /// not queried, and its keys stay unsatisfied.
    /// </summary>
    public List<string> OpenServers { get; set; } = [];

    /// <summary>The circuit breaker's settings.</summary>
    public sealed class CircuitSettings
    {
        /// <summary>The share of failed attempts in the sampling window that opens the circuit.</summary>
        /// <value>0.5.</value>
        [Range(0.01, 1.0)]
        public double FailureRatio { get; set; } = 0.5;

        /// <summary>Attempts the window must hold before the ratio counts.</summary>
        /// <value>6.</value>
        [Range(2, 1000)]
        public int MinimumThroughput { get; set; } = 6;

        /// <summary>The sampling window.</summary>
        /// <value>30 seconds.</value>
        [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
        public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>How long an open circuit fails queries at once before one trial query is let through.</summary>
        /// <value>15 seconds.</value>
        [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
        public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);
    }
}

/// <summary>
/// Checks <c>Cds:Fallback</c> at start-up: the attempt fits the budget, and the circuit's ranges.
/// Which FHIR servers may be named or queried without a token is the service's policy, checked there.
/// </summary>
internal sealed class FhirFallbackOptionsValidator : IValidateOptions<FhirFallbackOptions>
{
    public ValidateOptionsResult Validate(string? name, FhirFallbackOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.AttemptTimeout > options.Budget)
        {
            failures.Add($"Cds:Fallback:AttemptTimeout ({options.AttemptTimeout}) is longer than Cds:Fallback:Budget ({options.Budget}).");
        }

        // ValidateDataAnnotations checks the top level only; the circuit's own ranges are read here.
        var circuit = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options.Circuit, new ValidationContext(options.Circuit), circuit, validateAllProperties: true))
        {
            failures.AddRange(circuit.Select(r => $"Cds:Fallback:Circuit:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
