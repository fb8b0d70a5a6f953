namespace PttmHooks.Reading.Telemetry;

/// <summary>
/// Marks the calls of the service's own warm-up (the synthetic sample patients, run in process
/// before it reports ready): while <see cref="Active"/>, the spans and metrics of gathering, the
/// rule and the card are not recorded, so that telemetry counts only real calls.
/// </summary>
public static class WarmUpCalls
{
    private static readonly AsyncLocal<bool> s_active = new();

    /// <summary>True inside a warm-up call (this execution context and what it awaits).</summary>
    public static bool Active => s_active.Value;

    /// <summary>
    /// Marks the rest of the calling async method, and everything it awaits, as warm-up. An async
    /// method's change to its execution context ends when it returns, so the mark cannot leak to
    /// its caller.
    /// </summary>
    public static void Begin() => s_active.Value = true;
}
