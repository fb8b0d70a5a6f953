using Hl7.Fhir.Model;

namespace PttmHooks.Clinical.Tests.Properties;

/// <summary>
/// Rewrites a chart's values in other units without changing what they mean: SpO2 as a fraction, blood
/// gases in kPa, platelets per mm3, D-dimer in µg/L, pressures with a non-UCUM "mmHg", TR velocity in cm/s,
/// TAPSE in cm, PVR in dyn·s/cm5 (1 WU = 80, pttm-criteria.md). Decimal arithmetic, with UCUM's definition
/// of mm[Hg] (133.322 Pa), so that every rewrite is exact or as exact as the value.
/// </summary>
public static class Reexpress
{
    private const decimal KPaPerMmHg = 0.133322m;

    private static readonly HashSet<string> SpO2 = ["59408-5", "2708-6"];
    private static readonly HashSet<string> BloodGas = ["2703-7", "2019-8"];
    private static readonly HashSet<string> Platelets = ["777-3", "26515-7"];
    private static readonly HashSet<string> DDimer = ["48065-7", "48066-5", "48058-2", "48067-3"];
    private static readonly HashSet<string> RvPressures = ["ECHO-RVSP", "RHC-MPAP", "8414-5", "8440-0", "8432-7", "399023006"];
    private static readonly HashSet<string> TrVelocity = ["79921-3"];
    private static readonly HashSet<string> Tapse = ["77903-3"];
    private static readonly HashSet<string> Pvr = ["276901002"];

    /// <summary>The chart with the probes added (in their own units): the baseline.</summary>
    public static PatientRecord WithProbes(PatientRecord record, IReadOnlyList<Probe> probes, DateTimeOffset now)
    {
        var observations = record.Observations.ToList();
        observations.AddRange(probes.Select((p, i) => new Observation
        {
            Id = $"probe-{i}",
            Status = ObservationStatus.Final,
            Code = new CodeableConcept(p.Code == "276901002" ? Chart.Snomed : Chart.Loinc, p.Code),
            Effective = new FhirDateTime(now.AddHours(-1 - i)),
            Value = Chart.Quantity(p.Value, p.Unit),
        }));
        return new PatientRecord(record.Patient, record.Conditions, observations, record.Reports);
    }

    /// <summary>Rewrites every quantity of <paramref name="record"/> (changed in place) by <paramref name="plan"/>.</summary>
    public static PatientRecord Apply(PatientRecord record, UnitPlan plan)
    {
        foreach (var observation in record.Observations)
        {
            Rewrite(observation.Code, observation.Value as Quantity, plan);
            foreach (var component in observation.Component)
            {
                Rewrite(component.Code, component.Value as Quantity, plan);
            }
        }

        return record;
    }

    private static void Rewrite(CodeableConcept? code, Quantity? q, UnitPlan plan)
    {
        if (code is null || q?.Value is not { } value)
        {
            return;
        }

        bool Is(HashSet<string> codes) => code.Coding.Any(c => c.Code is { } x && codes.Contains(x));
        var unit = q.Code ?? q.Unit ?? "";
        if (Is(SpO2) && unit == "%")
        {
            switch (plan.SpO2)
            {
                case "fraction":
                    Set(q, value / 100m, "1");
                    break;
                case "no unit":
                    q.Value = value / 100m;
                    q.Unit = q.Code = q.System = null;
                    break;
                case "percent text":
                    Text(q, value, "percent");
                    break;
            }
        }
        else if (Is(BloodGas) && unit is "mm[Hg]" or "kPa")
        {
            var mmHg = unit == "kPa" ? value / KPaPerMmHg : value;
            switch (plan.BloodGas)
            {
                case "mm[Hg]":
                    Set(q, mmHg, "mm[Hg]", "mmHg");
                    break;
                case "kPa":
                    Set(q, unit == "kPa" ? value : mmHg * KPaPerMmHg, "kPa");
                    break;
                case "mmHg text":
                    Text(q, mmHg, "mmHg");
                    break;
                case "Torr text":
                    Text(q, mmHg, "Torr");
                    break;
            }
        }
        else if (Is(Platelets) && unit == "10*3/uL")
        {
            switch (plan.Platelets)
            {
                case "10*9/L":
                    Set(q, value, "10*9/L");
                    break;
                case "/mm3":
                    Set(q, value * 1000m, "/mm3");
                    break;
                case "/uL":
                    Set(q, value * 1000m, "/uL");
                    break;
                case "K/uL text":
                    Text(q, value, "K/uL");
                    break;
            }
        }
        else if (Is(DDimer) && unit is "mg/L" or "ug/mL" or "ug/L" or "ng/mL")
        {
            var mgPerL = unit is "ug/L" or "ng/mL" ? value / 1000m : value;
            var annotation = q.Unit is { } shown && shown.Contains("FEU", StringComparison.Ordinal) ? " FEU"
                : q.Unit is { } s && s.Contains("DDU", StringComparison.Ordinal) ? " DDU" : "";
            var target = plan.DDimer;
            Set(q, target is "ug/L" or "ng/mL" ? mgPerL * 1000m : mgPerL, target, target + annotation);
        }
        else if (Is(RvPressures) && unit == "mm[Hg]" && plan.RvPressure == "mmHg text")
        {
            Text(q, value, "mmHg");
        }
        else if (Is(TrVelocity) && unit == "m/s" && plan.TrVelocity == "cm/s")
        {
            Set(q, value * 100m, "cm/s");
        }
        else if (Is(Tapse) && unit == "mm" && plan.Tapse == "cm")
        {
            Set(q, value / 10m, "cm");
        }
        else if (Is(Pvr) && unit == "[wood'U]")
        {
            switch (plan.Pvr)
            {
                case "dyn.s.cm-5":
                    Set(q, value * 80m, "dyn.s.cm-5", "dyn·s/cm5");
                    break;
                case "WU text":
                    Text(q, value, "WU");
                    break;
            }
        }
    }

    private static void Set(Quantity q, decimal value, string ucum, string? shown = null)
    {
        q.Value = value;
        q.System = Chart.Ucum;
        q.Code = ucum;
        q.Unit = shown ?? ucum;
    }

    /// <summary>A unit as EHRs write it outside UCUM: display text only, no system, no code.</summary>
    private static void Text(Quantity q, decimal value, string unit)
    {
        q.Value = value;
        q.Unit = unit;
        q.System = null;
        q.Code = null;
    }
}
