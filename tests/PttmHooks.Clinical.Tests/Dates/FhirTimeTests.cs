using Hl7.Fhir.Model;
using PttmHooks.Clinical.Chart;
using Xunit;

namespace PttmHooks.Clinical.Tests.Dates;

/// <summary>
/// The fast path of <see cref="FhirTime"/> reads the common shapes of a FHIR dateTime itself; it
/// must give the very instant the Firely SDK gives, and leave everything else to the SDK.
/// </summary>
public sealed class FhirTimeTests
{
    [Theory]
    [InlineData("2026")]
    [InlineData("2026-09")]
    [InlineData("2026-09-21")]
    [InlineData("2026-02-28")]
    [InlineData("2024-02-29")]
    [InlineData("2026-09-21T10:15:00Z")]
    [InlineData("2026-09-21T10:15:00+02:00")]
    [InlineData("2026-09-21T23:59:59-05:30")]
    [InlineData("2026-09-21T10:15:00.5Z")]
    [InlineData("2026-09-21T10:15:00.123+01:00")]
    [InlineData("2026-09-21T10:15:00.1234567Z")]
    [InlineData("0001-01-01")]
    public void Common_shapes_are_read_as_the_SDK_reads_them(string text)
    {
        Assert.True(FhirTime.TryParseCommon(text, out var fast));
        Assert.True(new FhirDateTime(text).TryToDateTimeOffset(TimeSpan.Zero, out var sdk));
        Assert.Equal(sdk, fast);
        Assert.Equal(sdk.Offset, fast.Offset);
    }

    [Theory]
    [InlineData("2026-09-21T10:15:00")] // a time without an offset: FHIR requires one; the SDK decides
    [InlineData("2026-09-21T10:15:60Z")] // a leap second
    [InlineData("2026-9-21")]
    [InlineData("21/09/2026")]
    [InlineData("2026-13-01")]
    [InlineData("2026-02-30")]
    [InlineData("")]
    public void Other_text_is_left_to_the_SDK(string text) =>
        Assert.False(FhirTime.TryParseCommon(text, out _));

    [Theory]
    [InlineData("2026", "2026-01-01T00:00:00Z", "2026-12-31T23:59:59.9999999Z")]
    [InlineData("2026-09", "2026-09-01T00:00:00Z", "2026-09-30T23:59:59.9999999Z")]
    [InlineData("2026-09-21", "2026-09-21T00:00:00Z", "2026-09-21T23:59:59.9999999Z")]
    [InlineData("2026-09-21T10:15:00+02:00", "2026-09-21T08:15:00Z", "2026-09-21T08:15:00Z")]
    public void A_partial_date_spans_its_precision(string text, string earliest, string latest)
    {
        var span = FhirTime.Of(new FhirDateTime(text));

        Assert.NotNull(span);
        Assert.Equal(DateTimeOffset.Parse(earliest, System.Globalization.CultureInfo.InvariantCulture), span.Value.Earliest);
        Assert.Equal(DateTimeOffset.Parse(latest, System.Globalization.CultureInfo.InvariantCulture), span.Value.Latest);
    }

    [Fact]
    public void A_time_without_an_offset_is_not_read_as_the_SDK_does_not() =>
        Assert.Null(FhirTime.Of(new FhirDateTime("2026-09-21T10:15:00")));
}
