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
        if (dt?.Value is not { } text || !dt.TryToDateTimeOffset(TimeSpan.Zero, out var start))
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
