using System.ComponentModel.DataAnnotations;

namespace PttmHooks.Service.Cards;

/// <summary>How cards are labelled, linked and coded (configuration section <c>Cds:Cards</c>).</summary>
public sealed class CardOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Cds:Cards";

    /// <summary>The card source's label.</summary>
    /// <value>"PttmHooks PTTM screening".</value>
    [Required]
    public string SourceLabel { get; set; } = "PttmHooks PTTM screening";

    /// <summary>
    /// The absolute URL of the rule document shown as the card's source. When unset, the service's own
    /// page: <c>{PublicBaseUrl}/rule/{version}</c> (<c>/rule/1.1</c>).
    /// </summary>
    public Uri? RuleUrl { get; set; }

    /// <summary>
    /// The code system of the card's topic and override reasons. Set it to a URL your organisation
    /// controls if the codes leave your analytics.
    /// </summary>
    /// <value><c>https://pttmhooks.example.org/fhir/CodeSystem/pttm-hooks</c>.</value>
    [Required]
    public Uri CodeSystem { get; set; } = new("https://pttmhooks.example.org/fhir/CodeSystem/pttm-hooks");

    /// <summary>
    /// The key of the card ids (an HMAC key). Replicas must share it for feedback to be recognised;
    /// it is not a secret that protects patients (card ids carry no patient data either way).
    /// </summary>
    /// <value>"pttm-hooks-card-ids".</value>
    [Required]
    [MinLength(8)]
    public string IdKey { get; set; } = "pttm-hooks-card-ids";

    /// <summary>The order a perfusion-scan card suggests; unset members take terminology.md's default.</summary>
    public OrderOverride LungPerfusionScan { get; set; } = new();

    /// <summary>The order a cytology card suggests; unset members take terminology.md's default.</summary>
    public OrderOverride WedgedPaCytology { get; set; } = new();
}

/// <summary>A local order code (an EHR's orderable), replacing the default SNOMED CT code.</summary>
public sealed class OrderOverride
{
    /// <summary>The code system URL.</summary>
    public string? System { get; set; }

    /// <summary>The code.</summary>
    public string? Code { get; set; }

    /// <summary>The code's display.</summary>
    public string? Display { get; set; }

    /// <summary>The order's text, as clinicians name it.</summary>
    public string? Text { get; set; }
}
