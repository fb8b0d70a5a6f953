using Hl7.Fhir.Model;

namespace PttmHooks.Clinical.Chart;

/// <summary>A point in time as a FHIR element gives it: its earliest and latest instants (a partial date "2026-09" spans the month).</summary>
internal readonly record struct TimeSpanOf(DateTimeOffset Earliest, DateTimeOffset Latest);

/// <summary>Reads FHIR date elements. Dates without an offset are read as UTC.</summary>
internal static class FhirTime
{
    public static TimeSpanOf? Of(DataType? element) => element switch
    {
        FhirDateTime dt => Of(dt),
        Instant { Value: { } v } => new TimeSpanOf(v, v),
        Period p => Of(p),
        Date d when d.TryToDateTimeOffset(out var value) => new TimeSpanOf(value, value.AddDays(1).AddTicks(-1)),
        _ => null,
    };

    public static TimeSpanOf? Of(FhirDateTime? dt)
    {
        if (dt?.Value is not { } text || !(TryParseCommon(text, out var start) || dt.TryToDateTimeOffset(TimeSpan.Zero, out start)))
        {
            return null;
        }

        // Precision follows the text: "2026" is a year, "2026-09" a month, "2026-09-21" a day.
        var end = text.Length switch
        {
            4 => start.AddYears(1).AddTicks(-1),
            7 => start.AddMonths(1).AddTicks(-1),
            10 => start.AddDays(1).AddTicks(-1),
            _ => start,
        };
        return new TimeSpanOf(start, end);
    }

    // The shapes FHIR dateTime takes in practice. The Firely SDK's parser (a regular expression
    // and a cache) was 5 % of a hook call's CPU under load (bench/README.md); these exact formats
    // are read by the BCL, and anything else (leap seconds, unusual fractions) still goes to it.
    private static readonly string[] s_formats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd", "yyyy-MM", "yyyy",
    ];

    /// <summary>A FHIR dateTime in one of its common shapes; a value with no offset is read as UTC.</summary>
    internal static bool TryParseCommon(string text, out DateTimeOffset value)
    {
        // The BCL's K also takes no offset at all for a time; FHIR requires one there, and such a
        // value is left to the SDK (which reads it as UTC too).
        var time = text.Length > 10;
        if (time && !(text.EndsWith('Z') || text[^6] is '+' or '-'))
        {
            value = default;
            return false;
        }

        return DateTimeOffset.TryParseExact(text, s_formats, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out value);
    }

    private static TimeSpanOf? Of(Period period)
    {
        var start = Of(period.StartElement);
        var end = Of(period.EndElement);
        return (start, end) switch
        {
            ({ } s, { } e) => new TimeSpanOf(s.Earliest, e.Latest),
            ({ } s, null) => s,
            (null, { } e) => e,
            _ => null,
        };
    }
}
