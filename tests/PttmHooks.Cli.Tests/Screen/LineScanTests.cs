using PttmHooks.Cli.Screen;

namespace PttmHooks.Cli.Tests.Screen;

/// <summary>
/// The first look <c>screen</c> takes at each Bulk Data line never throws for what the line holds:
/// bytes that are not UTF-8 or an escaped lone surrogate in a string it reads make the line
/// unreadable (counted), not the run a crash.
/// </summary>
public sealed class LineScanTests
{
    [Fact]
    public void A_line_is_read_for_its_type_and_owner()
    {
        Assert.True(LineScan.TryRead("""{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"}}"""u8, out var type, out var owner));
        Assert.Equal("Condition", type);
        Assert.Equal("p1", owner);
    }

    [Fact]
    public void A_line_whose_id_is_not_UTF8_is_unreadable_not_an_exception()
    {
        byte[] line = [.. """{"resourceType":"Patient","id":"p"""u8, 0xC3, 0x28, .. "\"}"u8];

        Assert.False(LineScan.TryRead(line, out _, out _));
    }

    [Fact]
    public void A_line_whose_type_is_an_escaped_lone_surrogate_is_unreadable_not_an_exception() =>
        Assert.False(LineScan.TryRead("""{"resourceType":"Pa\ud800tient","id":"p1"}"""u8, out _, out _));
}
