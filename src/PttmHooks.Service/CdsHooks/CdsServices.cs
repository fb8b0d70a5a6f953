using System.Collections.Frozen;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Reading.Gathering;

namespace PttmHooks.Service.CdsHooks;

/// <summary>
/// A CDS service behind <c>POST /cds-services/{id}</c>. The protocol layer parses and checks the
/// request and its prefetch; the service decides what data it needs and which cards to return.
/// </summary>
public interface ICdsService
{
    /// <summary>The service id, as in the discovery document.</summary>
    string Id { get; }

    /// <summary>Answers one hook call.</summary>
    Task<CdsServiceResult> InvokeAsync(CdsInvocation invocation, CancellationToken cancellationToken);

    /// <summary>
    /// True when <paramref name="cardUuid"/> is a card id this service could have issued. The service
    /// is stateless, so feedback for other ids is still accepted, and counted apart.
    /// </summary>
    bool CouldHaveIssued(string cardUuid);

    /// <summary>
    /// True when <paramref name="code"/> is one of the override reasons this service's cards offer;
    /// feedback metrics count other codes as <c>other</c>, so a client cannot grow their tag values.
    /// </summary>
    bool OffersOverrideReason(string code) => false;
}

/// <summary>One hook call, checked, as a service receives it.</summary>
/// <param name="Request">The request.</param>
/// <param name="Service">The service's discovery entry and templates.</param>
/// <param name="Prefetch">The prefetch, checked against the templates.</param>
/// <param name="PublicBaseUrl">The service's own base URL, for links to documents it serves.</param>
public sealed record CdsInvocation(HookRequest Request, CatalogEntry Service, PrefetchSet Prefetch, Uri PublicBaseUrl);

/// <summary>A service's answer: cards, or an error (412 when data cannot be had).</summary>
public sealed record CdsServiceResult
{
    private CdsServiceResult(IReadOnlyList<Card>? cards, OperationOutcomeResult? error)
    {
        Cards = cards;
        Error = error;
    }

    /// <summary>The cards (an empty list when nothing applies); null for an error.</summary>
    public IReadOnlyList<Card>? Cards { get; }

    /// <summary>The error to answer with; null for cards.</summary>
    public OperationOutcomeResult? Error { get; }

    /// <summary>How many prefetch keys the service queried from <c>fhirServer</c> (telemetry: 0 when the FHIR fallback was not used).</summary>
    public int FhirQueries { get; init; }

    /// <summary>A successful answer.</summary>
    public static CdsServiceResult WithCards(IReadOnlyList<Card> cards) => new(cards, null);

    /// <summary>An error answer.</summary>
    public static CdsServiceResult Failed(OperationOutcomeResult error) => new(null, error);
}

/// <summary>A discovery entry with its parsed templates.</summary>
/// <param name="Definition">The entry as the discovery document has it.</param>
/// <param name="Templates">Its prefetch templates, in document order.</param>
public sealed record CatalogEntry(ServiceDefinition Definition, IReadOnlyList<PrefetchTemplate> Templates);

/// <summary>
/// The discovery document (<c>cds-services.json</c> at the repository root, embedded in the
/// reading library: <see cref="CdsDiscovery"/>) and the services behind it. Built once at start-up; a service without an entry, an
/// entry without a service, or a template that is not a FHIR read or search stops the start.
/// </summary>
public sealed class CdsCatalog
{
    private readonly FrozenDictionary<string, (CatalogEntry Entry, ICdsService Service)> _services;

    /// <summary>Builds the catalog from the embedded document and the registered services.</summary>
    public CdsCatalog(IEnumerable<ICdsService> services)
        : this(LoadEmbedded(), services)
    {
    }

    /// <summary>Builds the catalog from <paramref name="document"/>.</summary>
    public CdsCatalog(DiscoveryDocument document, IEnumerable<ICdsService> services)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(services);
        Document = document;
        var byId = services.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var entries = new Dictionary<string, (CatalogEntry, ICdsService)>(StringComparer.Ordinal);
        foreach (var definition in document.Services)
        {
            if (!byId.TryGetValue(definition.Id, out var service))
            {
                throw new InvalidOperationException($"cds-services.json lists service '{definition.Id}', but no such service is registered.");
            }

            if (definition.Hook != "patient-view")
            {
                throw new InvalidOperationException($"cds-services.json: service '{definition.Id}' names hook '{definition.Hook}'; only patient-view is implemented.");
            }

            var templates = (definition.Prefetch ?? FrozenDictionary<string, string>.Empty).Select(p => PrefetchTemplate.Parse(p.Key, p.Value)).ToList();
            entries.Add(definition.Id, (new CatalogEntry(definition, templates), service));
        }

        foreach (var id in byId.Keys.Where(id => !entries.ContainsKey(id)))
        {
            throw new InvalidOperationException($"Service '{id}' is registered but has no entry in cds-services.json.");
        }

        _services = entries.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The discovery document, as served at <c>GET /cds-services</c>.</summary>
    public DiscoveryDocument Document { get; }

    /// <summary>Finds a service by id.</summary>
    public bool TryGet(string id, out CatalogEntry entry, out ICdsService service)
    {
        if (_services.TryGetValue(id, out var found))
        {
            (entry, service) = found;
            return true;
        }

        (entry, service) = (null!, null!);
        return false;
    }

    /// <summary>Reads the embedded <c>cds-services.json</c> (<see cref="CdsDiscovery.LoadEmbedded"/>).</summary>
    public static DiscoveryDocument LoadEmbedded() => CdsDiscovery.LoadEmbedded();
}
