using Hl7.Fhir.Model;
using PttmHooks.Clinical.Terminology;
using PttmHooks.Clinical.Units;
using Xunit;

namespace PttmHooks.Clinical.Tests.Units;

/// <summary>UCUM conversion into the rule's units (pttm-criteria.md, Units).</summary>
public sealed class UnitConverterTests
{
    private static Converted Convert(decimal value, string code, string target, string? unitText = null) =>
        UnitConverter.Instance.Convert(Chart.Quantity(value, code, unitText), target);

    [Theory]
    [InlineData(8.0, "kPa", "mm[Hg]", 60.005)]
    [InlineData(8.4, "kPa", "mm[Hg]", 63.005)]
    [InlineData(1, "kPa", "mm[Hg]", 7.5006)]
    [InlineData(41.7, "mm[Hg]", "mm[Hg]", 41.7)]
    public void Pressures_convert_to_mmhg(double value, string unit, string target, double expected)
    {
        var c = Convert((decimal)value, unit, target);
        Assert.True(c.Ok, c.Problem);
        Assert.Equal(expected, c.Value, 0.001);
    }

    [Theory]
    [InlineData("mmHg")]
    [InlineData("mm Hg")]
    [InlineData("Torr")]
    public void Non_ucum_pressure_units_are_read_through_the_alias_table(string unit)
    {
        var c = UnitConverter.Instance.Convert(new Quantity { Value = 55, Unit = unit }, "mm[Hg]");
        Assert.True(c.Ok, c.Problem);
        Assert.Equal(55, c.Value);
    }

    [Theory]
    [InlineData(0.5, "mg/L", 0.5)]
    [InlineData(0.5, "ug/mL", 0.5)]
    [InlineData(500, "ng/mL", 0.5)]
    [InlineData(500, "ug/L", 0.5)]
    [InlineData(250, "ng/mL", 0.25)]
    [InlineData(5.21, "ug/mL", 5.21)]
    public void D_dimer_mass_concentrations_convert_to_mg_per_l_exactly(double value, string unit, double expected)
    {
        var c = Convert((decimal)value, unit, "mg/L");
        Assert.True(c.Ok, c.Problem);
        Assert.Equal(expected, c.Value);
    }

    [Theory]
    [InlineData("mg/L FEU", CodeTraits.Feu)]
    [InlineData("ug/mL FEU", CodeTraits.Feu)]
    [InlineData("mg/L{FEU}", CodeTraits.Feu)]
    [InlineData("mg/L DDU", CodeTraits.Ddu)]
    [InlineData("ng/mL{DDU}", CodeTraits.Ddu)]
    [InlineData("mg/L", CodeTraits.None)]
    public void Feu_and_ddu_annotations_are_read_off_the_unit(string unit, CodeTraits annotation)
    {
        var c = UnitConverter.Instance.Convert(new Quantity { Value = 1, Unit = unit }, "mg/L");
        Assert.True(c.Ok, c.Problem);
        Assert.Equal(annotation, c.Annotation);
    }

    [Theory]
    [InlineData(217, "10*3/uL", 217)]
    [InlineData(217, "10*9/L", 217)]
    [InlineData(217000, "/mm3", 217)]
    [InlineData(217000, "/uL", 217)]
    [InlineData(150000, "/mm3", 150)]
    [InlineData(149000, "/mm3", 149)]
    public void Platelet_counts_convert_to_thousands_per_microlitre_exactly(double value, string unit, double expected)
    {
        var c = Convert((decimal)value, unit, "10*3/uL");
        Assert.True(c.Ok, c.Problem);
        Assert.Equal(expected, c.Value);
    }

    [Theory]
    [InlineData("K/uL")]
    [InlineData("x10^9/L")]
    [InlineData("10^3/µL")]
    public void Laboratory_spellings_of_platelet_units_are_understood(string unit)
    {
        var c = UnitConverter.Instance.Convert(new Quantity { Value = 98, Unit = unit }, "10*3/uL");
        Assert.True(c.Ok, c.Problem);
        Assert.Equal(98, c.Value);
    }

    [Theory]
    [InlineData(2, "[wood'U]", 2)]
    [InlineData(160, "dyn.s.cm-5", 2)]
    [InlineData(161, "dyn.s.cm-5", 2.0125)]
    [InlineData(240, "dyn.s.cm-5", 3)]
    public void Pvr_in_dyn_s_cm5_converts_at_80_per_wood_unit(double value, string unit, double expected)
    {
        var c = Convert((decimal)value, unit, "[wood'U]");
        Assert.True(c.Ok, c.Problem);
        Assert.Equal(expected, c.Value);
    }

    [Theory]
    [InlineData("WU")]
    [InlineData("Wood units")]
    [InlineData("dyn·s/cm5")]
    [InlineData("dynes.s/cm5")]
    public void Pvr_unit_spellings_are_understood(string unit)
    {
        var c = UnitConverter.Instance.Convert(new Quantity { Value = 1, Unit = unit }, "[wood'U]");
        Assert.True(c.Ok, c.Problem);
    }

    [Theory]
    [InlineData(1.8, "cm", 18)]
    [InlineData(1.79, "cm", 17.9)]
    [InlineData(17.9, "mm", 17.9)]
    public void Tapse_in_cm_converts_to_mm(double value, string unit, double expected)
    {
        var c = Convert((decimal)value, unit, "mm");
        Assert.True(c.Ok, c.Problem);
        Assert.Equal(expected, c.Value);
    }

    [Theory]
    [InlineData(280, "cm/s", 2.8)]
    [InlineData(281, "cm/s", 2.81)]
    [InlineData(2.8, "m/s", 2.8)]
    public void Velocities_convert_to_m_per_s_without_rounding_noise(double value, string unit, double expected)
    {
        var c = Convert((decimal)value, unit, "m/s");
        Assert.True(c.Ok, c.Problem);
        Assert.Equal(expected, c.Value);
    }

    [Theory]
    [InlineData(0.85, "1", 85)]
    [InlineData(0.9, "1", 90)]
    [InlineData(0.899, "1", 89.9)]
    [InlineData(0.57, "1", 57)]
    [InlineData(85, "%", 85)]
    public void Saturations_as_a_fraction_convert_to_percent(double value, string unit, double expected)
    {
        var c = Convert((decimal)value, unit, "%");
        Assert.True(c.Ok, c.Problem);
        Assert.Equal(expected, c.Value);
    }

    [Theory]
    [InlineData(0.85, 85)]
    [InlineData(88, 88)]
    public void A_saturation_without_unit_up_to_1_is_a_fraction(double value, double expected)
    {
        var c = UnitConverter.Instance.Convert(new Quantity { Value = (decimal)value }, "%");
        Assert.True(c.Ok, c.Problem);
        Assert.Equal(expected, c.Value);
    }

    [Theory]
    [InlineData(85, "mg", "%")]
    [InlineData(60, "mg/dL", "mm[Hg]")]
    [InlineData(200, "s", "10*3/uL")]
    [InlineData(2, "furlong", "[wood'U]")]
    public void Incompatible_or_unknown_units_do_not_convert(double value, string unit, string target)
    {
        var c = Convert((decimal)value, unit, target);
        Assert.False(c.Ok);
        Assert.NotNull(c.Problem);
    }

    [Fact]
    public void A_pressure_without_a_unit_does_not_convert()
    {
        var c = UnitConverter.Instance.Convert(new Quantity { Value = 55 }, "mm[Hg]");
        Assert.False(c.Ok);
        Assert.Equal("no unit", c.Problem);
    }
}
