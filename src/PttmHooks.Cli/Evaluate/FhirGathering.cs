using Microsoft.Extensions.DependencyInjection;
using PttmHooks.Clinical;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Reading.Fhir;
using PttmHooks.Reading.Gathering;

namespace PttmHooks.Cli.Evaluate;

/// <summary>
/// The service's own gathering, for one FHIR server named on the command line: <see cref="RecordGatherer"/>
/// over <see cref="HttpFhirFetcher"/>, registered by the reading library's <see cref="FhirHttp.AddFhirFallback"/>
/// (the discovery templates, date narrowing, same-base paging, retries and circuit breaker), not a copy.
/// Only the settings differ from the service's: a person at a terminal can wait longer than a chart.
/// </summary>
internal sealed class FhirGathering : IDisposable
{
    /// <summary>The CLI's time for all queries together (the service's is 2 s).</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);

    /// <summary>The CLI's time for one HTTP attempt (the service's is 1 s).</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Pages followed per search (the service's default is 5).</summary>
    public const int MaxPages = 20;

    private readonly ServiceProvider _services;

    private FhirGathering(ServiceProvider services)
    {
        _services = services;
        Gatherer = services.GetRequiredService<RecordGatherer>();
        Attachments = services.GetRequiredService<AttachmentReader>();
        Results = services.GetRequiredService<ResultFetcher>();
    }

    /// <summary>The service's attachment reader: urls on the FHIR server, with the request's token.</summary>
    public AttachmentReader Attachments { get; }

    /// <summary>The service's fetcher of the result Observations reports reference.</summary>
    public ResultFetcher Results { get; }

    /// <summary>The gatherer: prefetch as given, every unsatisfied key fetched from the request's fhirServer.</summary>
    public RecordGatherer Gatherer { get; }

    /// <summary>
    /// A gatherer that may query <paramref name="fhirServer"/> (with the request's token, or, when
    /// <paramref name="open"/>, without one), as if at <paramref name="at"/>: the look-back window
    /// that narrows the searches is counted from it.
    /// </summary>
    public static FhirGathering For(Uri fhirServer, bool open, DateTimeOffset at, PttmRule rule)
    {
        ArgumentNullException.ThrowIfNull(fhirServer);
        ArgumentNullException.ThrowIfNull(rule);

        // The service's rule for a FHIR base in Development, which is where a person runs this tool:
        // https, or http to this machine only (a token never crosses a network in clear text).
        if (fhirServer.Scheme == Uri.UriSchemeHttp && !fhirServer.IsLoopback)
        {
            throw CliException.BadInput($"the FHIR server {fhirServer.Host} is named with http: give its https URL (http only to this machine, so that a token and the patient's data never travel in clear text).");
        }

        if (FhirBaseUrl.SchemeProblem(fhirServer, development: true) is { } problem)
        {
            throw CliException.BadInput($"the FHIR server {problem}.");
        }

        var services = new ServiceCollection();
        services.AddLogging(); // no provider: the fetcher's events stay out of the output
        services.AddSingleton<TimeProvider>(new FixedNow(at));
        services.AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        services.AddSingleton(rule);
        services.AddFhirFallback();
        services.Configure<FhirFallbackOptions>(o =>
        {
            o.Budget = Budget;
            o.AttemptTimeout = AttemptTimeout;
            o.MaxPages = MaxPages;
            if (open)
            {
                o.OpenServers.Add(fhirServer.AbsoluteUri);
            }
        });
        services.AddSingleton<RecordGatherer>();
        return new FhirGathering(services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));
    }

    /// <summary>A gatherer for a request without fhirServer: prefetch only, nothing is fetched.</summary>
    public static RecordGatherer PrefetchOnly() => new(new NoFhirServer());

    /// <inheritdoc />
    public void Dispose() => _services.Dispose();

    /// <summary>
    /// "Now" is the evaluation time, so that the fetcher narrows searches to the window the rule
    /// reads; timers and timestamps (the budget, retries) run on the real clock.
    /// </summary>
    private sealed class FixedNow(DateTimeOffset at) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => at;
    }

    /// <summary>Never called: <see cref="RecordGatherer"/> fetches only for a request that names a fhirServer.</summary>
    private sealed class NoFhirServer : IFhirFetcher
    {
        public Task<IReadOnlyList<KeyResult>> FetchAsync(HookRequest request, IReadOnlyList<FhirQuery> queries, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<KeyResult>>([.. queries.Select(q => KeyResult.Unsatisfied(q.Template, "the request has no fhirServer"))]);
    }
}
