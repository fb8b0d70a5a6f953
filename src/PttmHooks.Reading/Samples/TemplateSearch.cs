using System.Globalization;
using DateTimePrecision = Hl7.Fhir.ElementModel.Types.DateTimePrecision;
using Hl7.Fhir.Model;
using FhirDateTimeValue = Hl7.Fhir.ElementModel.Types.DateTime;
using PttmHooks.Reading.Gathering;

namespace PttmHooks.Reading.Samples;

/// <summary>
/// Answers this service's own prefetch templates over resources in memory, the way an EHR fills
/// them: <c>patient</c>, <c>code</c>, <c>category</c> and (DocumentReference) <c>type</c> token lists,
/// <c>date</c> (Observation, DiagnosticReport, DocumentReference), <c>_sort=-date</c>, <c>_count</c>,
/// <c>_offset</c> and <c>_include=DiagnosticReport:result</c>. It builds the sample hook
/// requests (and the tests' requests, and the test FHIR server's answers); the independent check
/// that the templates work on a real FHIR search is <c>ehr-sim</c> in CI. Any other search
/// parameter throws, so a template change this class does not understand cannot pass silently.
/// </summary>
public static class TemplateSearch
{
    /// <summary>Runs <paramref name="relativeUrl"/> (a filled template) over <paramref name="resources"/>.</summary>
    /// <param name="relativeUrl">A read (<c>Type/id</c>) or a search (<c>Type?name=value&amp;…</c>), relative to the FHIR base.</param>
    /// <param name="resources">The resources the server holds.</param>
    /// <param name="baseUrl">
    /// The FHIR base the search was sent to (<c>http://host/fhir</c>). With it, a search Bundle carries
    /// a <c>self</c> link, and a <c>next</c> link when <c>_count</c> leaves matches for a later page;
    /// without it, the Bundle has no links.
    /// </param>
    /// <returns>
    /// The resource for a read (null when absent), or a searchset Bundle: the page that
    /// <c>_offset</c> and <c>_count</c> select, and <c>total</c> the number of matches over all pages.
    /// </returns>
    /// <exception cref="NotSupportedException">A search parameter, value or prefix this class does not implement.</exception>
    /// <exception cref="FormatException">A <c>date</c>, <c>_count</c> or <c>_offset</c> value that is not valid.</exception>
    public static Resource? Run(string relativeUrl, IReadOnlyList<Resource> resources, Uri? baseUrl = null)
    {
        ArgumentNullException.ThrowIfNull(relativeUrl);
        ArgumentNullException.ThrowIfNull(resources);
        var question = relativeUrl.IndexOf('?', StringComparison.Ordinal);
        var slash = relativeUrl.IndexOf('/', StringComparison.Ordinal);
        if (question < 0 && slash >= 0)
        {
            var type = relativeUrl[..slash];
            var id = Uri.UnescapeDataString(relativeUrl[(slash + 1)..]);
            return resources.FirstOrDefault(r => r.TypeName == type && r.Id == id);
        }

        // "Type?…", or "Type" alone: a search with no parameters.
        var resourceType = question < 0 ? relativeUrl : relativeUrl[..question];
        var pairs = question < 0 ? [] : relativeUrl[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries);
        IEnumerable<Resource> hits = resources.Where(r => r.TypeName == resourceType);
        int? count = null;
        var offset = 0;
        var sortByDateDescending = false;
        var includeResults = false;
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
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
                case "type" when resourceType is "DocumentReference":
                    var types = value.Split(',').Select(Token).ToList();
                    hits = hits.Where(r => Codings(r, "type").Any(c => types.Any(t => t.Matches(c)))).ToList();
                    break;
                case "_include" when resourceType is "DiagnosticReport" && value == "DiagnosticReport:result":
                    includeResults = true;
                    break;
                case "date" when resourceType is "Observation" or "DiagnosticReport" or "DocumentReference":
                    // A comma separates alternatives (OR); repeating the parameter combines (AND).
                    var searches = value.Split(',').Select(DateSearch).ToList();
                    hits = hits.Where(r => RangeOf(EffectiveOf(r)) is { } target && searches.Any(s => s.Matches(target))).ToList();
                    break;
                case "_sort" when value == "-date":
                    sortByDateDescending = true;
                    break;
                case "_count":
                    count = NonNegative(name, value);
                    break;
                case "_offset":
                    offset = NonNegative(name, value);
                    break;
                default:
                    throw new NotSupportedException($"TemplateSearch does not implement the search parameter '{name}={value}' on {resourceType}.");
            }
        }

        if (sortByDateDescending)
        {
            hits = hits.OrderByDescending(r => DateOf(r) ?? DateTimeOffset.MinValue);
        }

        var matches = hits.ToList();
        var page = matches.Skip(offset);
        if (count is { } n)
        {
            page = page.Take(n);
        }

        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Total = matches.Count };
        var fhirBase = baseUrl?.AbsoluteUri.TrimEnd('/');
        foreach (var resource in page)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = fhirBase is null || resource.Id is null ? null : $"{fhirBase}/{resource.TypeName}/{resource.Id}",
                Resource = resource,
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match },
            });
        }

        if (includeResults)
        {
            // _include=DiagnosticReport:result: each Observation a report of the page references, once.
            var included = new HashSet<string>(StringComparer.Ordinal);
            foreach (var report in bundle.Entry.Select(e => e.Resource).OfType<DiagnosticReport>().ToList())
            {
                foreach (var reference in report.Result.Select(r => r.Reference).OfType<string>())
                {
                    var id = reference.StartsWith("Observation/", StringComparison.Ordinal) ? reference["Observation/".Length..] : null;
                    if (id is not null && included.Add(id) && resources.FirstOrDefault(r => r is Observation && r.Id == id) is { } observation)
                    {
                        bundle.Entry.Add(new Bundle.EntryComponent
                        {
                            FullUrl = fhirBase is null ? null : $"{fhirBase}/Observation/{id}",
                            Resource = observation,
                            Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Include },
                        });
                    }
                }
            }
        }

        if (fhirBase is not null)
        {
            bundle.Link.Add(new Bundle.LinkComponent { Relation = "self", Url = $"{fhirBase}/{relativeUrl}" });
            if (count is { } pageSize && pageSize > 0 && (long)offset + pageSize < matches.Count)
            {
                bundle.Link.Add(new Bundle.LinkComponent { Relation = "next", Url = $"{fhirBase}/{resourceType}?{WithOffset(pairs, offset + pageSize)}" });
            }
        }

        return bundle;
    }

    /// <summary>The query of <paramref name="pairs"/> as received, with <c>_offset</c> set (or appended) to <paramref name="offset"/>.</summary>
    private static string WithOffset(string[] pairs, int offset)
    {
        var next = "_offset=" + offset.ToString(CultureInfo.InvariantCulture);
        var replaced = false;
        var result = new List<string>(pairs.Length + 1);
        foreach (var pair in pairs)
        {
            if (pair == "_offset" || pair.StartsWith("_offset=", StringComparison.Ordinal))
            {
                if (!replaced)
                {
                    result.Add(next);
                    replaced = true;
                }
            }
            else
            {
                result.Add(pair);
            }
        }

        if (!replaced)
        {
            result.Add(next);
        }

        return string.Join('&', result);
    }

    private static int NonNegative(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FormatException($"The search parameter '{name}' takes a non-negative integer, not '{value}'.");

    private static IEnumerable<Coding> Codings(Resource resource, string element) => (resource, element) switch
    {
        (Condition c, "code") => c.Code?.Coding ?? [],
        (Condition c, "category") => c.Category.SelectMany(k => k.Coding),
        (Observation o, "code") => o.Code?.Coding ?? [],
        (Observation o, "category") => o.Category.SelectMany(k => k.Coding),
        (DiagnosticReport r, "code") => r.Code?.Coding ?? [],
        (DiagnosticReport r, "category") => r.Category.SelectMany(k => k.Coding),
        (DocumentReference n, "type") => n.Type?.Coding ?? [],
        (DocumentReference n, "category") => n.Category.SelectMany(k => k.Coding),
        _ => [],
    };

    /// <summary>The element FHIR R4's <c>date</c> search parameter reads on Observation and DiagnosticReport: <c>effective[x]</c>.</summary>
    private static DataType? EffectiveOf(Resource resource) => resource switch
    {
        Observation o => o.Effective,
        DiagnosticReport r => r.Effective,
        DocumentReference n => n.DateElement,
        _ => null,
    };

    /// <summary>The time <c>_sort=-date</c> orders by: the start of the resource's date.</summary>
    private static DateTimeOffset? DateOf(Resource resource)
    {
        var element = resource switch
        {
            Condition c => c.Onset ?? c.RecordedDateElement,
            _ => EffectiveOf(resource),
        };
        return RangeOf(element)?.Start;
    }

    /// <summary>
    /// The time a date element covers, as [Start, End): a dateTime at day precision is the whole
    /// day, "2026-08" the whole month; a Period runs from its start's beginning to its end's end
    /// (open on a missing side); a Timing spans its events; an instant is a point. Null when the
    /// element has no date.
    /// </summary>
    private static DateRange? RangeOf(DataType? element) => element switch
    {
        FhirDateTime d => ParseRange(d.Value),
        Instant { Value: { } i } => new DateRange(i, i.AddTicks(1)),
        Period p => RangeOf(p),
        Timing t => t.EventElement.Select(e => ParseRange(e.Value)).OfType<DateRange>().ToList() is { Count: > 0 } events
            ? new DateRange(events.Min(e => e.Start), events.Max(e => e.End))
            : null,
        _ => null,
    };

    private static DateRange? RangeOf(Period period)
    {
        if (period.Start is null && period.End is null)
        {
            return null;
        }

        var start = period.Start is null ? DateTimeOffset.MinValue : ParseRange(period.Start)?.Start;
        var end = period.End is null ? DateTimeOffset.MaxValue : ParseRange(period.End)?.End;
        return start is { } s && end is { } e ? new DateRange(s, e) : null;
    }

    /// <summary>One <c>date</c> search value: an optional prefix and a date, dateTime or partial date.</summary>
    private static (string Prefix, DateRange Range) DateSearch(string value)
    {
        var hasPrefix = value.Length >= 2 && char.IsAsciiLetterLower(value[0]) && char.IsAsciiLetterLower(value[1]);
        var prefix = hasPrefix ? value[..2] : "eq";
        var date = hasPrefix ? value[2..] : value;
        if (prefix is "ne" or "sa" or "eb" or "ap")
        {
            throw new NotSupportedException($"TemplateSearch does not implement the date prefix '{prefix}'.");
        }

        if (prefix is not ("eq" or "ge" or "gt" or "le" or "lt"))
        {
            throw new FormatException($"'{value}' is not a FHIR date search value.");
        }

        // An unescaped '+' in a query string (a time zone, "+02:00") is read as a space.
        return (prefix, ParseRange(date.Replace(' ', '+')) ?? throw new FormatException($"'{value}' is not a FHIR date search value."));
    }

    /// <summary>
    /// FHIR R4 date search (search.html#prefix): eq, the search range contains the target range;
    /// gt and lt, the range above (below) the search value intersects the target; ge and le, the
    /// same including the search value itself.
    /// </summary>
    private static bool Matches(this (string Prefix, DateRange Range) search, DateRange target) => search.Prefix switch
    {
        "eq" => search.Range.Start <= target.Start && target.End <= search.Range.End,
        "ge" => target.End > search.Range.Start,
        "gt" => target.End > search.Range.End,
        "le" => target.Start < search.Range.End,
        "lt" => target.Start < search.Range.Start,
        _ => throw new NotSupportedException($"TemplateSearch does not implement the date prefix '{search.Prefix}'."),
    };

    /// <summary>
    /// Parses a FHIR date or dateTime at any precision (year to fractions of a second; minutes
    /// accepted, as search servers do) into the range it covers, with the Firely SDK's parser.
    /// Without a time zone the time is read as UTC (a server's own zone; the samples are all in
    /// UTC). Null for a value that is not a valid date.
    /// </summary>
    private static DateRange? ParseRange(string? value)
    {
        // FHIRPath's DateTime, which the parser reads, also has hour precision ("2026-08-01T10");
        // a FHIR dateTime does not.
        if (value is null || !FhirDateTimeValue.TryParse(value, out var parsed) || parsed is null || parsed.Precision == DateTimePrecision.Hour)
        {
            return null;
        }

        try
        {
            var start = parsed.ToDateTimeOffset(TimeSpan.Zero);
            var end = parsed.Precision switch
            {
                DateTimePrecision.Year => start.AddYears(1),
                DateTimePrecision.Month => start.AddMonths(1),
                DateTimePrecision.Day => start.AddDays(1),
                DateTimePrecision.Minute => start.AddMinutes(1),
                DateTimePrecision.Second => start.AddSeconds(1),
                // Ticks are 10⁻⁷ s: ".123" covers 10 000 of them.
                _ => start.AddTicks((long)Math.Pow(10, 7 - Math.Min(FractionDigits(value), 7))),
            };
            return new DateRange(start, end);
        }
        catch (ArgumentOutOfRangeException)
        {
            // At the edges of DateTimeOffset (year 9999, or a zone that moves year 1 before its start).
            return null;
        }
    }

    private static int FractionDigits(string value)
    {
        var dot = value.IndexOf('.', StringComparison.Ordinal);
        var digits = 0;
        while (dot >= 0 && dot + 1 + digits < value.Length && char.IsAsciiDigit(value[dot + 1 + digits]))
        {
            digits++;
        }

        return digits;
    }

    private static (string? System, string Code) Token(string token)
    {
        var bar = token.IndexOf('|', StringComparison.Ordinal);
        return bar < 0 ? (null, token) : (token[..bar], token[(bar + 1)..]);
    }

    private static bool Matches(this (string? System, string Code) token, Coding coding) =>
        coding.Code == token.Code && (token.System is null || coding.System == token.System);

    /// <summary>The time a date covers, from <see cref="Start"/> up to (not including) <see cref="End"/>.</summary>
    private readonly record struct DateRange(DateTimeOffset Start, DateTimeOffset End);
}
