using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Hl7.Fhir.Model;
using PttmHooks.Clinical.Assessment;
using PttmHooks.Clinical.Terminology;
using PttmHooks.Clinical.Tests.Cases;

namespace PttmHooks.Clinical.Tests.Properties;

/// <summary>One shared case (samples/cases), parsed once; <see cref="Record"/> hands out deep copies.</summary>
public sealed class SharedChart
{
    private readonly PatientRecord _template;

    public SharedChart(string name)
    {
        Name = name;
        var file = CaseFile.Load("cases", name);
        Now = file.EvaluatedAt;
        _template = file.Record();
    }

    public string Name { get; }

    public DateTimeOffset Now { get; }

    /// <summary>A fresh copy of the chart, safe to change.</summary>
    public PatientRecord Record() => new(
        (Patient?)_template.Patient?.DeepCopy(),
        _template.Conditions.Select(c => (Condition)c.DeepCopy()).ToList(),
        _template.Observations.Select(o => (Observation)o.DeepCopy()).ToList(),
        _template.Reports.Select(r => (DiagnosticReport)r.DeepCopy()).ToList());

    public override string ToString() => Name;

    public static IReadOnlyList<SharedChart> All { get; } = CaseFile.Names("cases").Select(n => new SharedChart(n)).ToList();
}

/// <summary>What a property compares of two assessments.</summary>
public static class Outcome
{
    private static readonly PttmRule Rule = new();

    public static PttmAssessment Evaluate(PatientRecord record, DateTimeOffset now) => Rule.Evaluate(record, now);

    /// <summary>The decision: recommendation, suspicion, indicator, every criterion's state, perfusion, rapid progression.</summary>
    public static string Decision(PttmAssessment a) =>
        $"{a.Recommendation}/{a.Suspicion}/{a.Indicator}/{a.Perfusion}/rapid={a.RapidProgression}/echo={a.SuggestEchocardiography} "
        + string.Join(" ", a.Criteria.Select(c => $"{c.Id}={c.State}"));

    /// <summary>The decision and its explanation, independent of the order of the resources in the chart.</summary>
    public static string Unordered(PttmAssessment a) =>
        Decision(a)
        + "\nreasons: " + string.Join(" ", a.Reasons.Select(r => r.Code))
        + "\nindicator: " + string.Join(" ", a.IndicatorReasons.Select(r => r.Code))
        + "\nmissing: " + string.Join(" | ", a.Missing)
        + "\ndifferentials: " + string.Join(" | ", a.Differentials.Order(StringComparer.Ordinal))
        + "\nsites: " + string.Join(",", a.Malignancy.PrimarySites.Order(StringComparer.Ordinal))
        + "\nevidence:\n" + string.Join("\n", a.Criteria.SelectMany(c => c.Evidence.Select(e => $"  {c.Id} {e.Reference} {e.Role} {e.Finding} [{e.Note}]")).Order(StringComparer.Ordinal))
        + "\nprogression:\n" + string.Join("\n", a.ProgressionEvidence.Select(e => $"  {e.Reference} {e.Finding}").Order(StringComparer.Ordinal));

    /// <summary>Everything, in order, with the text of each reason and each piece of evidence.</summary>
    public static string Full(PttmAssessment a) =>
        Decision(a)
        + "\n" + string.Join("\n", a.Reasons.Select(r => r.Code + ": " + r.Text))
        + "\n" + string.Join("\n", a.IndicatorReasons.Select(r => r.Code + ": " + r.Text))
        + "\n" + string.Join("\n", a.Missing) + "\n" + string.Join("\n", a.Differentials)
        + "\n" + string.Join("\n", a.Criteria.Select(c => $"{c.Id} {c.State} {c.Summary}\n" + string.Join("\n", c.Evidence.Select(e => "  " + e))))
        + "\n" + string.Join("\n", a.ProgressionEvidence.Select(e => "  " + e));

    /// <summary>Which resource decided what, with values in the rule's units rounded to 9 significant digits.</summary>
    public static string Evidence(PttmAssessment a) =>
        string.Join("\n", a.Criteria.SelectMany(c => c.Evidence.Select(e =>
            $"{c.Id} {e.Reference} {e.Role} {(e.Value is { } v ? v.ToString("G9", CultureInfo.InvariantCulture) : "-")} {e.Unit} {e.Preliminary}")).Order(StringComparer.Ordinal));
}

/// <summary>Generators over the shared cases for the property tests.</summary>
public static class ChartGen
{
    private static readonly ValueSetFile ValueSets = ValueSetFile.Load<ValueSetFile>("PttmHooks.Clinical.value-sets.json");

    private static string SystemUrl(string alias) => ValueSets.Systems.TryGetValue(alias, out var url) ? url : alias;

    private static IEnumerable<(Coding Code, string? Unit)> CodesFor(string kind) =>
        ValueSets.ValueSets.Where(v => v.AppliesTo.Contains(kind))
            .SelectMany(v => v.Codes.Select(c => (new Coding(SystemUrl(c.System), c.Code, c.Display), v.Unit)));

    /// <summary>Every Observation code of the value sets, with the local codes the shared cases use.</summary>
    public static IReadOnlyList<(Coding Code, string? Unit)> ObservationCodes { get; } =
    [
        .. CodesFor("Observation"),
        (new Coding(Chart.Local, "ECHO-RVSP", "RV systolic pressure (echo estimate)"), "mm[Hg]"),
        (new Coding(Chart.Local, "RHC-MPAP", "Mean pulmonary artery pressure (right heart catheterization)"), "mm[Hg]"),
    ];

    /// <summary>Every Condition code of the value sets, and codes from the ICD-10 ranges.</summary>
    public static IReadOnlyList<CodeableConcept> ConditionCodes { get; } =
    [
        .. CodesFor("Condition").Select(c => new CodeableConcept { Coding = [c.Code] }),
        .. new[] { "C50.912", "C34.90", "C16.9", "Z85.3", "C83.30", "I26.99", "I26.02", "I27.24", "I27.20", "I50.810", "R06.00", "R09.02", "D65" }
            .Select(c => new CodeableConcept(Chart.Icd10Cm, c)),
        new CodeableConcept { Text = "Pulmonary tumor thrombotic microangiopathy" },
        new CodeableConcept { Text = "Acute pulmonary embolism" },
        new CodeableConcept { Text = "Adenocarcinoma of the pancreas" },
    ];

    /// <summary>Reports that would change the decision if they counted.</summary>
    public static IReadOnlyList<(CodeableConcept Code, string Conclusion)> Reports { get; } =
    [
        (new CodeableConcept(Chart.Loinc, "72251-2", "CT Pulmonary arteries for pulmonary embolus"), "Acute pulmonary embolism."),
        (new CodeableConcept(Chart.Local, "IMG-CTPA", "CT angiography chest for pulmonary embolism"), "Acute pulmonary embolism."),
        (new CodeableConcept(Chart.Local, "IMG-CTPA", "CT angiography chest for pulmonary embolism"), "No evidence of pulmonary embolism."),
        (new CodeableConcept(Chart.Local, "NM-LUNG-PERF", "NM lung perfusion scan"), "Normal perfusion. No perfusion defects."),
        (new CodeableConcept(Chart.Local, "NM-LUNG-PERF", "NM lung perfusion scan"), "Multiple small segmental perfusion defects."),
        (new CodeableConcept(Chart.Local, "PATH-CYTO-PAWEDGE", "Cytology, pulmonary artery wedge blood"), "Malignant cells present."),
        (new CodeableConcept(Chart.Local, "CARD-TTE", "Transthoracic echocardiogram"), "Pulmonary hypertension. D-shaped left ventricle."),
    ];

    public static Gen<SharedChart> Charts => Gen.Elements(SharedChart.All.ToArray());

    /// <summary>Days before "now", inside the window (0–89) or just before it.</summary>
    private static Gen<int> DaysAgo => Gen.Choose(0, 95);

    private static Gen<DataType> ValueFor(string? unit) => Gen.OneOf(
        Gen.Choose(0, 3000).Select(v => (DataType)Chart.Quantity(v / 10m, unit ?? "1")),
        Gen.Elements<DataType>(new FhirString("Positive"), new FhirString("Negative"), new FhirBoolean(true)));

    private static Gen<Resource> ErroneousObservation(DateTimeOffset now) =>
        from code in Gen.Elements(ObservationCodes.ToArray())
        from value in ValueFor(code.Unit)
        from days in DaysAgo
        from flag in Gen.Elements("H", "L", "N")
        select (Resource)new Observation
        {
            Status = ObservationStatus.EnteredInError,
            Code = new CodeableConcept { Coding = [code.Code] },
            Value = value,
            Interpretation = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", flag)],
        }.WithDaysAgo(now, days);

    private static Gen<Resource> ErroneousCondition(DateTimeOffset now) =>
        from code in Gen.Elements(ConditionCodes.ToArray())
        from days in DaysAgo
        select (Resource)new Condition
        {
            Code = code,
            ClinicalStatus = new CodeableConcept(Chart.ClinicalStatusSystem, "active"),
            VerificationStatus = new CodeableConcept(Chart.VerificationStatusSystem, "entered-in-error"),
        }.WithDaysAgo(now, days);

    private static Gen<Resource> ErroneousReport(DateTimeOffset now) =>
        from report in Gen.Elements(Reports.ToArray())
        from days in DaysAgo
        select (Resource)new DiagnosticReport
        {
            Status = DiagnosticReport.DiagnosticReportStatus.EnteredInError,
            Code = report.Code,
            Conclusion = report.Conclusion,
        }.WithDaysAgo(now, days);

    /// <summary>A shared chart and 1–4 entered-in-error resources that would matter if they counted.</summary>
    public static Gen<WithErrors> ChartsWithErrors =>
        from chart in Charts
        from count in Gen.Choose(1, 4)
        from errors in Gen.ListOf(Gen.OneOf(ErroneousObservation(chart.Now), ErroneousCondition(chart.Now), ErroneousReport(chart.Now)), count)
        select new WithErrors(chart, errors.Select((r, i) => { r.Id = $"eie-{i}"; return r; }).ToList());

    /// <summary>A shared chart, a way of writing each unit, and optional probes at the thresholds.</summary>
    public static Gen<Reexpressed> ChartsWithUnits =>
        from chart in Charts
        from plan in UnitPlans
        from probes in Gen.SubListOf(Probes.ToArray())
        select new Reexpressed(chart, plan, probes.ToList());

    public static Gen<UnitPlan> UnitPlans =>
        from spo2 in Gen.Elements("%", "fraction", "no unit", "percent text")
        from pressure in Gen.Elements("mm[Hg]", "kPa", "mmHg text", "Torr text")
        from platelets in Gen.Elements("10*3/uL", "10*9/L", "/mm3", "/uL", "K/uL text")
        from ddimer in Gen.Elements("mg/L", "ug/L", "ug/mL", "ng/mL")
        from rv in Gen.Elements("mm[Hg]", "mmHg text")
        from trv in Gen.Elements("m/s", "cm/s")
        from tapse in Gen.Elements("mm", "cm")
        from pvr in Gen.Elements("[wood'U]", "dyn.s.cm-5", "WU text")
        select new UnitPlan(spo2, pressure, platelets, ddimer, rv, trv, tapse, pvr);

    /// <summary>Values at and just past the thresholds, in the rule's unit, written in % / mm[Hg] / 10*3/uL / mg/L.</summary>
    public static IReadOnlyList<Probe> Probes { get; } =
    [
        new("59408-5", 84.9m, "%"), new("59408-5", 85m, "%"), new("59408-5", 89.9m, "%"), new("59408-5", 90m, "%"),
        new("2703-7", 49.9m, "mm[Hg]"), new("2703-7", 50m, "mm[Hg]"), new("2703-7", 59.9m, "mm[Hg]"), new("2703-7", 60m, "mm[Hg]"),
        new("777-3", 149m, "10*3/uL"), new("777-3", 150m, "10*3/uL"),
        new("48065-7", 0.49m, "mg/L"), new("48065-7", 0.5m, "mg/L"),
        new("79921-3", 2.8m, "m/s"), new("79921-3", 2.81m, "m/s"),
        new("77903-3", 17.9m, "mm"), new("77903-3", 18m, "mm"),
        new("276901002", 2m, "[wood'U]"), new("276901002", 2.01m, "[wood'U]"),
        new("8414-5", 20m, "mm[Hg]"), new("8414-5", 20.1m, "mm[Hg]"),
    ];

    /// <summary>Any shared chart with its resources shuffled.</summary>
    public static Gen<Shuffled> ShuffledCharts =>
        from chart in Charts
        from seed in Gen.Choose(0, int.MaxValue - 1)
        select new Shuffled(chart, seed);

    private static T WithDaysAgo<T>(this T resource, DateTimeOffset now, int days)
        where T : Resource
    {
        var at = new FhirDateTime(now.AddDays(-days).AddHours(-1));
        switch (resource)
        {
            case Observation o:
                o.Effective = at;
                break;
            case Condition c:
                c.Onset = at;
                c.RecordedDateElement = at;
                break;
            case DiagnosticReport r:
                r.Effective = at;
                break;
        }

        return resource;
    }
}

public sealed record WithErrors(SharedChart Chart, IReadOnlyList<Resource> Errors)
{
    public override string ToString() =>
        $"{Chart.Name} + " + string.Join(", ", Errors.Select(e => e switch
        {
            Observation o => $"Observation {o.Code?.Coding.FirstOrDefault()?.Code} {o.Value}",
            Condition c => $"Condition {c.Code?.Coding.FirstOrDefault()?.Code ?? c.Code?.Text}",
            DiagnosticReport r => $"DiagnosticReport {r.Code?.Coding.FirstOrDefault()?.Code} \"{r.Conclusion}\"",
            _ => e.TypeName,
        }));
}

/// <summary>How to write each kind of value.</summary>
public sealed record UnitPlan(string SpO2, string BloodGas, string Platelets, string DDimer, string RvPressure, string TrVelocity = "m/s", string Tapse = "mm", string Pvr = "[wood'U]");

/// <summary>An extra Observation (LOINC code, or SNOMED CT for PVR; value; UCUM unit) placed an hour or so before "now".</summary>
public sealed record Probe(string Code, decimal Value, string Unit);

public sealed record Reexpressed(SharedChart Chart, UnitPlan Plan, IReadOnlyList<Probe> Probes)
{
    public override string ToString() => $"{Chart.Name} {Plan} probes: {string.Join(", ", Probes.Select(p => $"{p.Code}={p.Value} {p.Unit}"))}";
}

public sealed record Shuffled(SharedChart Chart, int Seed)
{
    public override string ToString() => $"{Chart.Name} shuffled with seed {Seed}";
}

/// <summary>The arbitraries the [Property] tests draw from.</summary>
public static class ChartArbitraries
{
    public static Arbitrary<WithErrors> WithErrors() => ChartGen.ChartsWithErrors.ToArbitrary();

    public static Arbitrary<Reexpressed> Reexpressed() => ChartGen.ChartsWithUnits.ToArbitrary();

    public static Arbitrary<Shuffled> Shuffled() => ChartGen.ShuffledCharts.ToArbitrary();
}
