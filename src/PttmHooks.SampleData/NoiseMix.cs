namespace PttmHooks.SampleData;

/// <summary>Weights of the kinds of noise, and a count split by them.</summary>
public static class NoiseMix
{
    /// <summary>The noise of a real chart: mostly vital signs, then labs, reports and a problem list (weights in percent).</summary>
    public static IReadOnlyList<(NoiseKind Kind, int Weight)> Realistic { get; } =
    [
        (NoiseKind.SpO2, 25),
        (NoiseKind.HeartRate, 20),
        (NoiseKind.RespiratoryRate, 15),
        (NoiseKind.Sodium, 10),
        (NoiseKind.Creatinine, 10),
        (NoiseKind.Condition, 8),
        (NoiseKind.Report, 12),
    ];

    /// <summary>Splits <paramref name="count"/> by the weights of <paramref name="mix"/>, in its order; the remainder goes to the first kind.</summary>
    public static IReadOnlyList<(NoiseKind Kind, int Count)> Split(int count, IReadOnlyList<(NoiseKind Kind, int Weight)> mix)
    {
        ArgumentNullException.ThrowIfNull(mix);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var total = mix.Sum(m => m.Weight);
        if (total <= 0)
        {
            throw new ArgumentException("The mix needs a positive weight.", nameof(mix));
        }

        var counts = mix.Select(m => (m.Kind, Count: count * m.Weight / total)).ToList();
        var rest = count - counts.Sum(c => c.Count);
        counts[0] = (counts[0].Kind, counts[0].Count + rest);
        return counts;
    }
}
