using System.Globalization;

namespace PttmHooks.Service.Tests.Robustness;

/// <summary>
/// The knobs of the mutation tests, fixed by default so that a run is reproducible, and
/// overridable by environment variables: <c>PTTM_FUZZ_SEED</c> (the seed), <c>PTTM_FUZZ_REQUESTS</c>
/// (mutated hook requests), <c>PTTM_FUZZ_FALLBACK_CALLS</c> (hook calls against the misbehaving FHIR
/// server) and <c>PTTM_FUZZ_ONLY</c> (one case number, to replay a failure alone).
/// </summary>
public static class FuzzSettings
{
    /// <summary>The seed used when <c>PTTM_FUZZ_SEED</c> is not set.</summary>
    public const int DefaultSeed = 20261120;

    /// <summary>The seed of this run.</summary>
    public static int Seed => Read("PTTM_FUZZ_SEED") ?? DefaultSeed;

    /// <summary>How many mutated hook requests the general mutation test posts.</summary>
    public static int Requests => Read("PTTM_FUZZ_REQUESTS") ?? 3000;

    /// <summary>How many hook calls the misbehaving-FHIR-server test makes.</summary>
    public static int FallbackCalls => Read("PTTM_FUZZ_FALLBACK_CALLS") ?? 120;

    /// <summary>A single case number to run (every other is skipped), or null for all.</summary>
    public static int? Only => Read("PTTM_FUZZ_ONLY");

    /// <summary>
    /// The generator of case <paramref name="index"/> of test <paramref name="stream"/>: each case
    /// depends only on the seed, the stream and its number, so it can be replayed alone (and cases
    /// can run concurrently without changing what they are).
    /// </summary>
    public static Random For(int stream, int index) => new(unchecked((Seed * 1_000_003) + (stream * 7_919) + index));

    /// <summary>How to replay case <paramref name="index"/>, for a failure message.</summary>
    public static string Replay(int index) =>
        $"seed {Seed} (PTTM_FUZZ_SEED={Seed}), case #{index} (PTTM_FUZZ_ONLY={index} replays it alone)";

    /// <summary>At most <paramref name="max"/> characters of <paramref name="text"/>, for a failure message.</summary>
    public static string Truncate(string text, int max = 2000) =>
        text.Length <= max ? text : string.Concat(text.AsSpan(0, max), $"… ({text.Length} characters in all)");

    private static int? Read(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
}
