using System.Collections.Concurrent;
using System.Collections.Frozen;
using Fhir.Metrics;
using PttmHooks.Clinical.Terminology;

namespace PttmHooks.Clinical.Units;

/// <summary>The outcome of converting a quantity into the rule's unit.</summary>
internal readonly record struct Converted(bool Ok, double Value, CodeTraits Annotation, string? Problem)
{
    public static Converted Fail(string problem, CodeTraits annotation = CodeTraits.None) => new(false, 0, annotation, problem);
}

/// <summary>
/// Converts quantities into the rule's units with UCUM (Firely's Fhir.Metrics, which ships with the SDK).
/// Units EHRs write outside UCUM ("mmHg", "K/uL", "WU") are mapped first through the alias table of
/// value-sets.json. FEU and DDU are UCUM annotations, not units: they are read off and returned.
/// Conversion factors are computed once per (unit, target) pair: Fhir.Metrics takes about 2 ms a
/// conversion, which a chart of thousands of SpO2 readings cannot afford.
/// </summary>
internal sealed class UnitConverter
{
    private const string UcumSystem = "http://unitsofmeasure.org";
    private static readonly Lazy<UnitConverter> s_instance = new(() => new UnitConverter(Knowledge.Instance.UnitAliases));
    private static readonly Lazy<SystemOfUnits> s_ucum = new(UCUM.Load, LazyThreadSafetyMode.ExecutionAndPublication);

    // Fhir.Metrics' SystemOfUnits is not safe for concurrent use (seen here: parallel conversions of
    // kPa failed at random). Factors are computed once per unit pair, so one lock costs nothing.
    private static readonly Lock s_ucumLock = new();

    private readonly FrozenDictionary<string, string> _aliases;
    private readonly ConcurrentDictionary<(string From, string To), double> _factors = new();

    public UnitConverter(IReadOnlyDictionary<string, string> aliases) =>
        _aliases = aliases.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    public static UnitConverter Instance => s_instance.Value;

    /// <summary>Converts <paramref name="quantity"/> into <paramref name="target"/> (a UCUM code).</summary>
    public Converted Convert(Hl7.Fhir.Model.Quantity quantity, string target)
    {
        if (quantity.Value is not { } value)
        {
            return Converted.Fail("no value");
        }

        var raw = quantity.System is null or UcumSystem && !string.IsNullOrWhiteSpace(quantity.Code) ? quantity.Code : quantity.Unit;
        var (unit, annotation) = Normalize(raw);
        if (unit.Length == 0 && !string.IsNullOrWhiteSpace(quantity.Unit) && !ReferenceEquals(raw, quantity.Unit))
        {
            (unit, annotation) = Normalize(quantity.Unit);
        }
        else if (annotation == CodeTraits.None && !string.IsNullOrWhiteSpace(quantity.Unit) && !ReferenceEquals(raw, quantity.Unit))
        {
            // Laboratories write FEU/DDU in the human-readable unit ("mg/L DDU") beside a plain UCUM
            // code ("mg/L"): the annotation is trusted before the LOINC code (terminology.md: D-dimer).
            annotation = Normalize(quantity.Unit).Annotation;
        }

        var v = (double)value;
        if (target == "%")
        {
            // Saturations and FiO2 are dimensionless: a fraction (0–1) or a percentage. With no unit at
            // all, a value up to 1 is a fraction and anything above is a percentage.
            if (unit is "1" || (unit.Length == 0 && v <= 1.0))
            {
                return new Converted(true, Clean(v * 100.0), annotation, null);
            }

            if (unit.Length == 0)
            {
                return new Converted(true, v, annotation, null);
            }
        }

        if (unit.Length == 0)
        {
            return Converted.Fail("no unit", annotation);
        }

        if (unit == target)
        {
            return new Converted(true, v, annotation, null);
        }

        var factor = _factors.GetOrAdd((unit, target), static key => ComputeFactor(key.From, key.To));
        return double.IsNaN(factor)
            ? Converted.Fail($"unit '{raw}' cannot be converted to {target}", annotation)
            : new Converted(true, Clean(v * factor), annotation, null);
    }

    /// <summary>
    /// Removes the noise that binary floating point leaves in the last digits of a product (280 cm/s ×
    /// 0.01 = 2.8000000000000003 m/s), which would otherwise decide a threshold such as TRV &gt; 2.8 m/s.
    /// 12 significant digits are far more than any measurement carries.
    /// </summary>
    internal static double Clean(double value)
    {
        if (value == 0 || !double.IsFinite(value))
        {
            return value;
        }

        var decimals = 11 - (int)Math.Floor(Math.Log10(Math.Abs(value)));
        return decimals is >= 0 and <= 15 ? Math.Round(value, decimals) : value;
    }

    /// <summary>
    /// Throws when UCUM conversion does not work in this process, so that a host never runs a rule
    /// whose every converted value would silently decide nothing.
    /// </summary>
    public void EnsureWorking()
    {
        var check = Convert(new Hl7.Fhir.Model.Quantity(8, "kPa"), "mm[Hg]");
        if (!check.Ok || Math.Abs(check.Value - 60.005) > 0.01)
        {
            throw new InvalidOperationException(
                "UCUM unit conversion (Fhir.Metrics) does not work in this process: 8 kPa did not convert to 60 mmHg. "
                + "With InvariantGlobalization=true the host must also set PredefinedCulturesOnly=false, because Fhir.Metrics creates the en-US culture.");
        }
    }

    /// <summary>Maps a unit as written to UCUM and reads off the FEU/DDU annotation.</summary>
    internal (string Unit, CodeTraits Annotation) Normalize(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return ("", CodeTraits.None);
        }

        var unit = raw.Trim();
        var annotation = CodeTraits.None;
        if (unit.Contains("FEU", StringComparison.OrdinalIgnoreCase))
        {
            annotation = CodeTraits.Feu;
            unit = RemoveWord(unit, "FEU");
        }
        else if (unit.Contains("DDU", StringComparison.OrdinalIgnoreCase))
        {
            annotation = CodeTraits.Ddu;
            unit = RemoveWord(unit, "DDU");
        }

        unit = unit.Replace('µ', 'u').Replace('μ', 'u');
        return (_aliases.TryGetValue(unit, out var alias) ? alias : unit, annotation);
    }

    private static string RemoveWord(string unit, string word) =>
        unit.Replace("{" + word + "}", "", StringComparison.OrdinalIgnoreCase)
            .Replace(word, "", StringComparison.OrdinalIgnoreCase)
            .Trim();

    private static double ComputeFactor(string from, string to)
    {
        lock (s_ucumLock)
        {
            return ComputeFactorUnsafe(from, to);
        }
    }

    private static double ComputeFactorUnsafe(string from, string to)
    {
        // pttm-criteria.md, Units: 1 WU = 80 dyn·s/cm5, the clinical convention behind "PVR > 2 WU
        // (160 dyn·s/cm5)". UCUM defines [wood'U] as mm[Hg].min/L = 79.9932 dyn·s/cm5, which would
        // read 160 dyn·s/cm5 as 2.0002 WU, above the limit.
        switch (from, to)
        {
            case ("dyn.s.cm-5", "[wood'U]"):
                return 1.0 / 80.0;
            case ("[wood'U]", "dyn.s.cm-5"):
                return 80.0;
        }

        try
        {
            var ucum = s_ucum.Value;
            var source = ucum.Canonical(ucum.Quantity("1", from));
            var target = ucum.Canonical(ucum.Quantity("1", to));
            if (!source.Metric.Equals(target.Metric))
            {
                return double.NaN;
            }

            // Exponential values carry error bars: compare the canonical values, never their text.
            return source.Value.ValueToFloat() / target.Value.ValueToFloat();
        }
#pragma warning disable CA1031 // Fhir.Metrics reports unknown units with several exception types; any of them means "cannot convert".
        catch (Exception)
#pragma warning restore CA1031
        {
            return double.NaN;
        }
    }
}
