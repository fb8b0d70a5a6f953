namespace PttmHooks.Clinical;

/// <summary>The rule's tunable parameters. The defaults are the values of pttm-criteria.md.</summary>
public sealed record PttmRuleOptions
{
    /// <summary>The look-back window for presentation findings.</summary>
    /// <value>90 days.</value>
    public TimeSpan LookBack { get; init; } = TimeSpan.FromDays(90);

    /// <summary>A negative CTPA older than this cannot exclude a new embolism (C4 Unknown).</summary>
    /// <value>30 days.</value>
    public TimeSpan CtpaMaxAge { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Dyspnea whose onset is this recent counts as rapid progression.</summary>
    /// <value>30 days.</value>
    public TimeSpan RapidOnset { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Two measurements this close in time can show rapid progression.</summary>
    /// <value>14 days.</value>
    public TimeSpan TrendSpan { get; init; } = TimeSpan.FromDays(14);

    /// <summary>Dyspnea documented for longer than this with PH points to CTEPH.</summary>
    /// <value>182 days (6 months).</value>
    public TimeSpan ChronicCourse { get; init; } = TimeSpan.FromDays(182);

    /// <summary>
    /// Results dated up to this far after "now" still count (clock skew between systems, a date
    /// written in local time as if it were UTC). Anything later is ignored.
    /// </summary>
    /// <value>1 day.</value>
    public TimeSpan FutureTolerance { get; init; } = TimeSpan.FromDays(1);

    /// <summary>PaO2 and PaCO2 this close in time are one blood gas for the A–a gradient.</summary>
    /// <value>1 hour.</value>
    public TimeSpan BloodGasPairing { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The default options.</summary>
    public static PttmRuleOptions Default { get; } = new();
}
