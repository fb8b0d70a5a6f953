using System.Globalization;
using Hl7.Fhir.Model;
using PttmHooks.Service.Gathering;

namespace PttmHooks.Service.Samples;

/// <summary>
/// Answers this service's own prefetch templates over resources in memory, the way an EHR fills
/// them: <c>patient</c>, <c>code</c> and <c>category</c> token lists, <c>_sort=-date</c> and
/// <c>_count</c>. It builds the sample hook requests (and the tests' requests); the independent
/// check that the templates work on a real FHIR search is <c>ehr-sim</c> in CI. Any other search
/// parameter throws, so a template change this class does not understand cannot pass silently.
/// </summary>
public static class TemplateSearch
{
    /// <summary>Runs <paramref name="relativeUrl"/> (a filled template) over <paramref name="resources"/>.</summary>
    /// <returns>The resource for a read (null when absent), or a searchset Bundle.</returns>
    public static Resource? Run(string relativeUrl, IReadOnlyList<Resource> resources)
    {
        ArgumentNullException.ThrowIfNull(relativeUrl);
        ArgumentNullException.ThrowIfNull(resources);
        var question = relativeUrl.IndexOf('?', StringComparison.Ordinal);
        if (question < 0)
        {
            var slash = relativeUrl.IndexOf('/', StringComparison.Ordinal);
            var type = relativeUrl[..slash];
            var id = Uri.UnescapeDataString(relativeUrl[(slash + 1)..]);
            return resources.FirstOrDefault(r => r.TypeName == type && r.Id == id);
        }

        var resourceType = relativeUrl[..question];
        IEnumerable<Resource> hits = resources.Where(r => r.TypeName == resourceType);
        int? count = null;
        var sortByDateDescending = false;
        foreach (var pair in relativeUrl[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = pair[..equals];
            var value = Uri.UnescapeDataString(pair[(equals + 1)..]);
            switch (name)
            {
                case "patient":
                    hits = hits.Where(r => PrefetchReader.PatientIdOf(PrefetchReader.SubjectOf(r)) == value).ToList();
                    break;
                case "code":
                    var codes = value.Split(',').Select(Token).ToList();
                    hits = hits.Where(r => Codings(r, "code").Any(c => codes.Any(t => t.Matches(c)))).ToList();
                    break;
                case "category":
                    var categories = value.Split(',').Select(Token).ToList();
                    hits = hits.Where(r => Codings(r, "category").Any(c => categories.Any(t => t.Matches(c)))).ToList();
                    break;
                case "_sort" when value == "-date":
                    sortByDateDescending = true;
                    break;
                case "_count":
                    count = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                default:
                    throw new NotSupportedException($"TemplateSearch does not implement the search parameter '{name}={value}'.");
            }
        }

        if (sortByDateDescending)
        {
            hits = hits.OrderByDescending(r => DateOf(r) ?? DateTimeOffset.MinValue).ToList();
        }

        var bundle = new Bundle { Type = Bundle.BundleType.Searchset };
        foreach (var resource in count is { } n ? hits.Take(n) : hits)
        {
            bundle.Entry.Add(new Bundle.EntryComponent { Resource = resource, Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match } });
        }

        bundle.Total = bundle.Entry.Count;
        return bundle;
    }

    private static IEnumerable<Coding> Codings(Resource resource, string element) => (resource, element) switch
    {
        (Condition c, "code") => c.Code?.Coding ?? [],
        (Condition c, "category") => c.Category.SelectMany(k => k.Coding),
        (Observation o, "code") => o.Code?.Coding ?? [],
        (Observation o, "category") => o.Category.SelectMany(k => k.Coding),
        (DiagnosticReport r, "code") => r.Code?.Coding ?? [],
        (DiagnosticReport r, "category") => r.Category.SelectMany(k => k.Coding),
        _ => [],
    };

    private static DateTimeOffset? DateOf(Resource resource)
    {
        var element = resource switch
        {
            Observation o => o.Effective,
            DiagnosticReport r => r.Effective,
            Condition c => c.Onset ?? c.RecordedDateElement,
            _ => null,
        };
        return element switch
        {
            FhirDateTime d => d.TryToDateTimeOffset(out var t) ? t : null,
            Period p => p.StartElement?.TryToDateTimeOffset(out var s) == true ? s : null,
            Instant i => i.Value,
            _ => null,
        };
    }

    private static (string? System, string Code) Token(string token)
    {
        var bar = token.IndexOf('|', StringComparison.Ordinal);
        return bar < 0 ? (null, token) : (token[..bar], token[(bar + 1)..]);
    }

    private static bool Matches(this (string? System, string Code) token, Coding coding) =>
        coding.Code == token.Code && (token.System is null || coding.System == token.System);
}
