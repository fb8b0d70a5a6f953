using Hl7.Fhir.Model;
using PttmHooks.Reading.Samples;

namespace PttmHooks.Service.Tests.Samples;

public sealed class TemplateSearchTests
{
    private static readonly Uri Base = new("http://ehr.example/fhir");

    // Around the day 2026-08-01 (UTC), at second precision.
    private static readonly IReadOnlyList<Resource> AroundTheDay =
    [
        Observation("jul31-late", new FhirDateTime("2026-07-31T23:59:59Z")),
        Observation("aug01-start", new FhirDateTime("2026-08-01T00:00:00Z")),
        Observation("aug01-noon", new FhirDateTime("2026-08-01T12:00:00Z")),
        Observation("aug02-start", new FhirDateTime("2026-08-02T00:00:00Z")),
    ];

    [Theory]
    [InlineData("2026-08-01", "aug01-start,aug01-noon")]
    [InlineData("eq2026-08-01", "aug01-start,aug01-noon")]
    [InlineData("ge2026-08-01", "aug01-start,aug01-noon,aug02-start")]
    [InlineData("gt2026-08-01", "aug02-start")]
    [InlineData("le2026-08-01", "jul31-late,aug01-start,aug01-noon")]
    [InlineData("lt2026-08-01", "jul31-late")]
    [InlineData("ge2026-08-01,lt2026-07-31", "aug01-start,aug01-noon,aug02-start")]
    public void A_date_at_day_precision_is_the_whole_day(string date, string expected) =>
        Assert.Equal(expected.Split(','), Ids(Search($"Observation?date={date}", AroundTheDay)));

    [Fact]
    public void Repeated_date_parameters_must_all_hold() =>
        Assert.Equal(["aug01-start", "aug01-noon"], Ids(Search("Observation?date=ge2026-08-01&date=lt2026-08-02", AroundTheDay)));

    [Theory]
    [InlineData("2026-08-01T10:00:00Z", "at,within")]
    [InlineData("eq2026-08-01T10:00:00Z", "at,within")]
    [InlineData("ge2026-08-01T10:00:00Z", "at,within,after")]
    [InlineData("gt2026-08-01T10:00:00Z", "after")]
    [InlineData("le2026-08-01T10:00:00Z", "before,at,within")]
    [InlineData("lt2026-08-01T10:00:00Z", "before")]
    [InlineData("2026-08-01T12:00:00%2B02:00", "at,within")]
    [InlineData("gt2026-08-01T12:00:00+02:00", "after")]
    [InlineData("ge2026-08-01T10:00:00.500Z", "at,within,after")]
    [InlineData("gt2026-08-01T10:00:00.500Z", "at,after")]
    [InlineData("2026-08-01T10:00:00.500Z", "within")]
    public void A_date_at_second_precision_is_that_second(string date, string expected)
    {
        IReadOnlyList<Resource> resources =
        [
            Observation("before", new FhirDateTime("2026-08-01T09:59:59Z")),
            Observation("at", new FhirDateTime("2026-08-01T10:00:00Z")),
            Observation("within", new Instant(new DateTimeOffset(2026, 8, 1, 10, 0, 0, 500, TimeSpan.Zero))),
            Observation("after", new FhirDateTime("2026-08-01T10:00:01Z")),
        ];
        Assert.Equal(expected.Split(','), Ids(Search($"Observation?date={date}", resources)));
    }

    [Theory]
    [InlineData("2026-08-15", "")]
    [InlineData("2026-08", "august")]
    [InlineData("2026", "august,year,late-july")]
    [InlineData("ge2026-08-15", "august,year,from-september")]
    [InlineData("le2026-08-15", "august,year,late-july")]
    [InlineData("gt2026-08-31", "year,from-september")]
    [InlineData("lt2026-08-01", "year,late-july")]
    [InlineData("ge2026-08-02", "august,year,from-september")]
    [InlineData("le2026-07-29", "year")]
    public void A_partial_date_or_period_on_the_resource_is_the_time_it_covers(string date, string expected)
    {
        IReadOnlyList<Resource> resources =
        [
            Observation("august", new FhirDateTime("2026-08")),
            Observation("year", new FhirDateTime("2026")),
            Report("late-july", new Period(new FhirDateTime("2026-07-30"), new FhirDateTime("2026-08-01"))),
            Report("from-september", new Period { StartElement = new FhirDateTime("2026-09-01T08:00:00Z") }),
        ];
        var hits = Ids(Search($"Observation?date={date}", resources)).Concat(Ids(Search($"DiagnosticReport?date={date}", resources)));
        Assert.Equal(expected.Split(',', StringSplitOptions.RemoveEmptyEntries), hits);
    }

    [Theory]
    [InlineData("Observation?date=ge1900-01-01")]
    [InlineData("Observation?date=le2100-01-01")]
    [InlineData("DiagnosticReport?date=ge1900-01-01")]
    [InlineData("DiagnosticReport?date=2026-08-01")]
    public void A_resource_without_effective_does_not_match_a_date(string url)
    {
        IReadOnlyList<Resource> resources =
        [
            new Observation { Id = "issued-only", Issued = new DateTimeOffset(2026, 8, 1, 10, 0, 0, TimeSpan.Zero), Subject = new ResourceReference("Patient/p1") },
            new DiagnosticReport { Id = "issued-only", Issued = new DateTimeOffset(2026, 8, 1, 10, 0, 0, TimeSpan.Zero), Subject = new ResourceReference("Patient/p1") },
            new Observation { Id = "empty-period", Effective = new Period(), Subject = new ResourceReference("Patient/p1") },
        ];
        var bundle = Search(url, resources);
        Assert.Empty(bundle.Entry);
        Assert.Equal(0, bundle.Total);
    }

    [Fact]
    public void Paging_with_next_links_yields_every_match_once_in_date_order()
    {
        // Seven of the patient's Observations, in no particular order, among other resources.
        var days = new[] { 5, 1, 7, 3, 6, 2, 4 };
        var resources = new List<Resource>(days.Select(d => Observation($"obs{d}", new FhirDateTime(2026, 8, d))));
        resources.Add(Observation("other-patient", new FhirDateTime(2026, 8, 9), patient: "p2"));
        resources.Add(new Condition { Id = "cond", Subject = new ResourceReference("Patient/p1") });

        var first = "Observation?patient=p1&code=http%3A%2F%2Floinc.org%7C2708-6&_sort=-date&_count=3";
        var url = first;
        var seen = new List<string>();
        var pages = new List<Bundle>();
        while (url is not null)
        {
            var page = Search(url, resources, Base);
            pages.Add(page);
            Assert.Equal(7, page.Total);
            Assert.Equal($"{Base}/{url}", page.Link.Single(l => l.Relation == "self").Url);
            seen.AddRange(Ids(page));
            var next = page.Link.SingleOrDefault(l => l.Relation == "next")?.Url;
            url = next is null ? null : Relative(next);
        }

        Assert.Equal([3, 3, 1], pages.Select(p => p.Entry.Count));
        Assert.Equal(["obs7", "obs6", "obs5", "obs4", "obs3", "obs2", "obs1"], seen);
        Assert.Equal(
            "http://ehr.example/fhir/Observation?patient=p1&code=http%3A%2F%2Floinc.org%7C2708-6&_sort=-date&_count=3&_offset=3",
            pages[0].Link.Single(l => l.Relation == "next").Url);
        Assert.Equal(
            "http://ehr.example/fhir/Observation?patient=p1&code=http%3A%2F%2Floinc.org%7C2708-6&_sort=-date&_count=3&_offset=6",
            pages[1].Link.Single(l => l.Relation == "next").Url);
        Assert.All(pages.SelectMany(p => p.Entry), e => Assert.Equal($"{Base}/Observation/{e.Resource!.Id}", e.FullUrl));
    }

    [Fact]
    public void The_offset_keeps_its_place_in_the_next_link()
    {
        var resources = Enumerable.Range(1, 5).Select(d => Observation($"obs{d}", new FhirDateTime(2026, 8, d))).ToList<Resource>();
        var page = Search("Observation?_offset=1&patient=p1&_count=2", resources, Base);
        Assert.Equal(["obs2", "obs3"], Ids(page));
        Assert.Equal("http://ehr.example/fhir/Observation?_offset=3&patient=p1&_count=2", page.Link.Single(l => l.Relation == "next").Url);
    }

    [Fact]
    public void Without_a_base_url_a_search_has_no_links_and_counts_every_match()
    {
        var resources = Enumerable.Range(1, 7).Select(d => Observation($"obs{d}", new FhirDateTime(2026, 8, d))).ToList<Resource>();
        var page = Search("Observation?patient=p1&_sort=-date&_count=3", resources);
        Assert.Equal(["obs7", "obs6", "obs5"], Ids(page));
        Assert.Equal(7, page.Total);
        Assert.Empty(page.Link);
        Assert.All(page.Entry, e => Assert.Null(e.FullUrl));
    }

    [Fact]
    public void A_count_of_zero_gives_the_total_only()
    {
        var resources = Enumerable.Range(1, 4).Select(d => Observation($"obs{d}", new FhirDateTime(2026, 8, d))).ToList<Resource>();
        var page = Search("Observation?patient=p1&_count=0", resources, Base);
        Assert.Empty(page.Entry);
        Assert.Equal(4, page.Total);
        Assert.DoesNotContain(page.Link, l => l.Relation == "next");
    }

    [Fact]
    public void The_last_page_has_no_next_link_even_when_it_is_full()
    {
        var resources = Enumerable.Range(1, 6).Select(d => Observation($"obs{d}", new FhirDateTime(2026, 8, d))).ToList<Resource>();
        var page = Search("Observation?patient=p1&_count=3&_offset=3", resources, Base);
        Assert.Equal(3, page.Entry.Count);
        Assert.DoesNotContain(page.Link, l => l.Relation == "next");
    }

    [Fact]
    public void A_read_still_answers_the_resource_or_null()
    {
        IReadOnlyList<Resource> resources = [new Patient { Id = "p1" }];
        Assert.Same(resources[0], TemplateSearch.Run("Patient/p1", resources));
        Assert.Null(TemplateSearch.Run("Patient/p2", resources));
    }

    [Theory]
    [InlineData("Observation?patient=p1&status=final")]
    [InlineData("Condition?patient=p1&date=ge2026-01-01")]
    [InlineData("Observation?date=ne2026-08-01")]
    [InlineData("Observation?date=ap2026-08-01")]
    [InlineData("Observation?_sort=date")]
    public void An_unknown_parameter_or_prefix_throws(string url) =>
        Assert.Throws<NotSupportedException>(() => TemplateSearch.Run(url, AroundTheDay));

    [Theory]
    [InlineData("Observation?date=2026-13-01")]
    [InlineData("Observation?date=yesterday")]
    [InlineData("Observation?date=ge2026-08-01T10")]
    [InlineData("Observation?_count=-1")]
    [InlineData("Observation?_offset=x")]
    public void A_value_that_is_not_valid_throws(string url) =>
        Assert.Throws<FormatException>(() => TemplateSearch.Run(url, AroundTheDay));

    private static Bundle Search(string url, IReadOnlyList<Resource> resources, Uri? baseUrl = null) =>
        Assert.IsType<Bundle>(TemplateSearch.Run(url, resources, baseUrl));

    private static List<string> Ids(Bundle bundle) => [.. bundle.Entry.Select(e => e.Resource!.Id!)];

    private static string Relative(string absolute)
    {
        Assert.StartsWith(Base + "/", absolute, StringComparison.Ordinal);
        return absolute[(Base.ToString().Length + 1)..];
    }

    private static Observation Observation(string id, DataType? effective, string patient = "p1") => new()
    {
        Id = id,
        Status = ObservationStatus.Final,
        Code = new CodeableConcept("http://loinc.org", "2708-6"),
        Subject = new ResourceReference($"Patient/{patient}"),
        Effective = effective,
    };

    private static DiagnosticReport Report(string id, DataType? effective) => new()
    {
        Id = id,
        Status = DiagnosticReport.DiagnosticReportStatus.Final,
        Code = new CodeableConcept("http://loinc.org", "18748-4"),
        Subject = new ResourceReference("Patient/p1"),
        Effective = effective,
    };
}
