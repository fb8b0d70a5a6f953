using System.Globalization;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using PttmHooks.Clinical;
using PttmHooks.Clinical.Assessment;

namespace PttmHooks.Benchmarks;

/// <summary>A chart ready to evaluate: the Bundle, the record read from it, "now", and what the rule must recommend.</summary>
public sealed record Chart(string Name, Bundle Bundle, PatientRecord Record, DateTimeOffset Now, Recommendation Expected, string PatientId)
{
    /// <summary>Resources in the chart (Bundle entries).</summary>
    public int ResourceCount => Bundle.Entry.Count;

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({ResourceCount} resources)";
}

/// <summary>The kinds of unrelated data the generator adds to a chart.</summary>
public enum NoiseKind
{
    /// <summary>SpO2 by pulse oximetry (LOINC 59408-5), 93–99 %: read by C2 and the progression check.</summary>
    SpO2,
    /// <summary>Heart rate (LOINC 8867-4): not a concept of the rule.</summary>
    HeartRate,
    /// <summary>Respiratory rate (LOINC 9279-1): not a concept of the rule.</summary>
    RespiratoryRate,
    /// <summary>Serum sodium (LOINC 2951-2).</summary>
    Sodium,
    /// <summary>Serum creatinine (LOINC 2160-0).</summary>
    Creatinine,
    /// <summary>An unrelated Condition (hypertension, diabetes, …) with ICD-10-CM, SNOMED CT and text.</summary>
    Condition,
    /// <summary>An unrelated DiagnosticReport (chest X-ray, ECG, metabolic panel, abdominal ultrasound).</summary>
    Report,
}

/// <summary>
/// The charts the benchmarks evaluate: the shared test patients of <c>samples/cases</c> (copied to
/// <c>cases/</c> beside the binary), and larger, realistic charts generated from one of them by adding years
/// of unrelated data that must not change the rule's answer.
/// </summary>
public static class Charts
{
    /// <summary>The case the large charts grow from.</summary>
    public const string SeedCase = "seed004-breast-history-hypoxaemia-vq";

    /// <summary>The number of shared cases (a constant so that it can be an OperationsPerInvoke).</summary>
    public const int SharedCaseCount = 18;

    /// <summary>A typical chart: about 300 resources.</summary>
    public const int TypicalSize = 300;

    /// <summary>A large chart: about 5,000 resources.</summary>
    public const int LargeSize = 5_000;

    private const string Loinc = "http://loinc.org";
    private const string Ucum = "http://unitsofmeasure.org";
    private const string Snomed = "http://snomed.info/sct";
    private const string Icd10Cm = "http://hl7.org/fhir/sid/icd-10-cm";
    private const string LocalResults = "http://hospital.example.org/fhir/CodeSystem/local-results";
    private const string ObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category";
    private const string ConditionCategory = "http://terminology.hl7.org/CodeSystem/condition-category";
    private const string ConditionClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical";
    private const string ConditionVerification = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
    private const string ReportCategory = "http://terminology.hl7.org/CodeSystem/v2-0074";

    /// <summary>The noise of a real chart: mostly vital signs, then labs, reports and a problem list (weights in percent).</summary>
    public static IReadOnlyList<(NoiseKind Kind, int Weight)> RealisticMix { get; } =
    [
        (NoiseKind.SpO2, 25),
        (NoiseKind.HeartRate, 20),
        (NoiseKind.RespiratoryRate, 15),
        (NoiseKind.Sodium, 10),
        (NoiseKind.Creatinine, 10),
        (NoiseKind.Condition, 8),
        (NoiseKind.Report, 12),
    ];

    /// <summary>The Firely System.Text.Json options for FHIR R4.</summary>
    public static JsonSerializerOptions FhirOptions { get; } = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector);

    /// <summary>The folder the shared cases are copied to.</summary>
    public static string Root => Path.Combine(AppContext.BaseDirectory, "cases");

    /// <summary>The names of the shared cases, sorted.</summary>
    public static IReadOnlyList<string> CaseNames() =>
        [.. Directory.GetDirectories(Root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    /// <summary>Every shared case; throws unless there are <see cref="SharedCaseCount"/> of them.</summary>
    public static IReadOnlyList<Chart> LoadAll()
    {
        var charts = CaseNames().Select(Load).ToList();
        if (charts.Count != SharedCaseCount)
        {
            throw new InvalidOperationException($"Expected {SharedCaseCount} shared cases in {Root}, found {charts.Count}: update Charts.SharedCaseCount.");
        }

        return charts;
    }

    /// <summary>Loads one shared case: bundle.json as a Bundle and a PatientRecord, case.json for "now" and the expected recommendation.</summary>
    public static Chart Load(string name)
    {
        var folder = Path.Combine(Root, name);
        using var caseJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "case.json")));
        var root = caseJson.RootElement;
        var now = root.GetProperty("evaluatedAt").GetDateTimeOffset();
        var expected = ParseRecommendation(root.GetProperty("expected").GetProperty("recommendation").GetString());
        var patientId = root.GetProperty("context").GetProperty("patientId").GetString()
            ?? throw new InvalidOperationException($"{name}: case.json has no context.patientId.");
        var bundle = ParseBundle(File.ReadAllText(Path.Combine(folder, "bundle.json")));
        return new Chart(name, bundle, PatientRecord.FromBundle(bundle), now, expected, patientId);
    }

    /// <summary>Parses a FHIR JSON Bundle.</summary>
    public static Bundle ParseBundle(string json) =>
        JsonSerializer.Deserialize<Bundle>(json, FhirOptions) ?? throw new InvalidOperationException("The bundle is empty.");

    /// <summary>Serialises a Bundle to FHIR JSON.</summary>
    public static string ToJson(Bundle bundle) => JsonSerializer.Serialize(bundle, FhirOptions);

    /// <summary>The seed case grown to about <paramref name="size"/> resources with the <see cref="RealisticMix"/>.</summary>
    public static Chart Grow(Chart seed, int size, int randomSeed = 42)
    {
        ArgumentNullException.ThrowIfNull(seed);
        return WithNoise(seed, size - seed.ResourceCount, RealisticMix, $"{seed.Name}+noise", randomSeed);
    }

    /// <summary>
    /// The seed case with <paramref name="count"/> unrelated resources added, split between the kinds by
    /// <paramref name="mix"/> weights. Every resource has a unique id and refers to the patient; dates are
    /// relative to the case's "now": spread over the 3 years before it, a fifth of them in the last 90 days
    /// (the rule's look-back window). Deterministic for a given <paramref name="randomSeed"/>. Condition and
    /// report texts come from a small pool, as coded problem lists and templated reports repeat; with
    /// <paramref name="datedTexts"/> each also names its date ("…, noted 2 Mar 2024"), so nearly every text is new.
    /// </summary>
    public static Chart WithNoise(Chart seed, int count, IReadOnlyList<(NoiseKind Kind, int Weight)> mix, string name, int randomSeed = 42, bool datedTexts = false)
    {
        ArgumentNullException.ThrowIfNull(seed);
        ArgumentNullException.ThrowIfNull(mix);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(randomSeed);
        var generator = new NoiseGenerator(random, seed.Now, seed.PatientId, datedTexts);
        var bundle = (Bundle)seed.Bundle.DeepCopy();
        foreach (var (kind, n) in Split(count, mix))
        {
            for (var i = 0; i < n; i++)
            {
                var resource = generator.Next(kind);
                bundle.Entry.Add(new Bundle.EntryComponent
                {
                    FullUrl = "urn:uuid:" + generator.NewGuid().ToString("D", CultureInfo.InvariantCulture),
                    Resource = resource,
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"{resource.TypeName}/{resource.Id}" },
                });
            }
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var resource in bundle.Entry.Select(e => e.Resource).OfType<Resource>())
        {
            var reference = $"{resource.TypeName}/{resource.Id}";
            if (!ids.Add(reference))
            {
                throw new InvalidOperationException($"{name}: duplicate resource {reference}.");
            }
        }

        return seed with { Name = name, Bundle = bundle, Record = PatientRecord.FromBundle(bundle) };
    }

    /// <summary>
    /// Evaluates both charts and throws unless the generated one gets the original's recommendation,
    /// suspicion and indicator: the noise must be noise.
    /// </summary>
    public static void AssertSameAnswer(PttmRule rule, Chart original, Chart generated)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(generated);
        var expected = rule.Evaluate(original.Record, original.Now);
        var actual = rule.Evaluate(generated.Record, generated.Now);
        if (expected.Recommendation != original.Expected)
        {
            throw new InvalidOperationException($"{original.Name}: the rule recommends {expected.Recommendation}, case.json expects {original.Expected}.");
        }

        if (actual.Recommendation != expected.Recommendation || actual.Suspicion != expected.Suspicion || actual.Indicator != expected.Indicator)
        {
            throw new InvalidOperationException(
                $"{generated}: the rule answers {actual.Recommendation}/{actual.Suspicion}/{actual.Indicator}, " +
                $"the original {original.Name} {expected.Recommendation}/{expected.Suspicion}/{expected.Indicator}: the generated noise changed the answer.");
        }
    }

    /// <summary>Evaluates a shared case and throws unless the rule gives the recommendation case.json expects.</summary>
    public static void AssertExpected(PttmRule rule, Chart chart)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(chart);
        var actual = rule.Evaluate(chart.Record, chart.Now).Recommendation;
        if (actual != chart.Expected)
        {
            throw new InvalidOperationException($"{chart.Name}: the rule recommends {actual}, case.json expects {chart.Expected}.");
        }
    }

    private static Recommendation ParseRecommendation(string? text) => text switch
    {
        "wedged-pa-cytology" => Recommendation.WedgedPaCytology,
        "lung-perfusion-scan" => Recommendation.LungPerfusionScan,
        "none" => Recommendation.None,
        _ => throw new InvalidOperationException($"Unknown recommendation '{text}' in case.json."),
    };

    /// <summary>Splits <paramref name="count"/> by the weights; the remainder goes to the first kind.</summary>
    private static List<(NoiseKind Kind, int Count)> Split(int count, IReadOnlyList<(NoiseKind Kind, int Weight)> mix)
    {
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

    /// <summary>Makes one unrelated resource at a time.</summary>
    private sealed class NoiseGenerator(Random random, DateTimeOffset now, string patientId, bool datedTexts)
    {
        private static readonly TimeSpan s_history = TimeSpan.FromDays(3 * 365);
        private static readonly TimeSpan s_window = TimeSpan.FromDays(90);

        private static readonly (string Icd, string IcdDisplay, string Sct, string SctDisplay, string Text, bool Resolves)[] s_conditions =
        [
            ("I10", "Essential (primary) hypertension", "59621000", "Essential hypertension", "Essential hypertension", false),
            ("E11.9", "Type 2 diabetes mellitus without complications", "44054006", "Diabetes mellitus type 2", "Type 2 diabetes mellitus, diet controlled", false),
            ("E78.5", "Hyperlipidemia, unspecified", "55822004", "Hyperlipidemia", "Hyperlipidaemia on statin", false),
            ("K21.9", "Gastro-esophageal reflux disease without esophagitis", "235595009", "Gastroesophageal reflux disease", "GORD", false),
            ("E03.9", "Hypothyroidism, unspecified", "40930008", "Hypothyroidism", "Hypothyroidism on levothyroxine", false),
            ("M54.50", "Low back pain, unspecified", "279039007", "Low back pain", "Mechanical low back pain", true),
            ("J30.9", "Allergic rhinitis, unspecified", "61582004", "Allergic rhinitis", "Seasonal allergic rhinitis", false),
            ("F41.9", "Anxiety disorder, unspecified", "197480006", "Anxiety disorder", "Anxiety", false),
            ("M17.11", "Unilateral primary osteoarthritis, right knee", "239873007", "Osteoarthritis of knee", "Osteoarthritis right knee", false),
            ("N39.0", "Urinary tract infection, site not specified", "68566005", "Urinary tract infectious disease", "UTI, treated with nitrofurantoin", true),
            ("E55.9", "Vitamin D deficiency, unspecified", "34713006", "Vitamin D deficiency", "Vitamin D deficiency", false),
            ("G43.909", "Migraine, unspecified, not intractable, without status migrainosus", "37796009", "Migraine", "Migraine without aura", false),
            ("D50.9", "Iron deficiency anemia, unspecified", "87522002", "Iron deficiency anemia", "Iron deficiency anaemia", true),
        ];

        private static readonly (string Category, string System, string Code, string Display, string[] Conclusions)[] s_reports =
        [
            ("RAD", LocalResults, "IMG-XR-CHEST", "XR chest 2 views",
                ["No acute cardiopulmonary process.", "Lungs are clear. Heart size is normal. No acute cardiopulmonary process.", "Mild bibasal atelectasis. No consolidation or pleural effusion."]),
            ("EC", Loinc, "11524-6", "EKG study",
                ["Sinus rhythm, rate 78. Normal ECG.", "Sinus tachycardia. No acute ST-T changes.", "Sinus rhythm with first degree AV block."]),
            ("CH", Loinc, "51990-0", "Basic metabolic panel - Blood", []),
            ("RAD", LocalResults, "US-ABD", "US abdomen complete",
                ["Mild hepatic steatosis. No biliary dilatation.", "Normal abdominal ultrasound.", "Simple renal cyst on the left, 12 mm."]),
        ];

        private readonly ResourceReference _subject = new("Patient/" + patientId);
        private readonly Dictionary<NoiseKind, int> _counters = [];

        public Guid NewGuid()
        {
            Span<byte> bytes = stackalloc byte[16];
            random.NextBytes(bytes);
            return new Guid(bytes);
        }

        public Resource Next(NoiseKind kind)
        {
            _counters[kind] = _counters.GetValueOrDefault(kind) + 1;
            var id = $"{patientId}-{kind.ToString().ToLowerInvariant()}-{_counters[kind]:D5}";
            return kind switch
            {
                NoiseKind.SpO2 => Vital(id, "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", random.Next(93, 100), "%", "%"),
                NoiseKind.HeartRate => Vital(id, "8867-4", "Heart rate", random.Next(58, 101), "beats/minute", "/min"),
                NoiseKind.RespiratoryRate => Vital(id, "9279-1", "Respiratory rate", random.Next(12, 21), "breaths/minute", "/min"),
                NoiseKind.Sodium => Lab(id, "2951-2", "Sodium [Moles/volume] in Serum or Plasma", random.Next(134, 147), "mmol/L", 135, 145),
                NoiseKind.Creatinine => Lab(id, "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", Math.Round(0.55m + (random.Next(0, 60) / 100m), 2), "mg/dL", 0.5m, 1.1m),
                NoiseKind.Condition => Problem(id),
                NoiseKind.Report => Report(id),
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
            };
        }

        /// <summary>A time in the 3 years before now; one in five inside the look-back window.</summary>
        private DateTimeOffset When()
        {
            var span = random.Next(5) == 0 ? s_window : s_history;
            var minutes = random.NextInt64(60, (long)span.TotalMinutes);
            var at = now - TimeSpan.FromMinutes(minutes);
            return new DateTimeOffset(at.Year, at.Month, at.Day, at.Hour, at.Minute, 0, TimeSpan.Zero);
        }

        private Observation Vital(string id, string loinc, string display, decimal value, string unit, string ucum) => new()
        {
            Id = id,
            Status = ObservationStatus.Final,
            Category = [new CodeableConcept(ObservationCategory, "vital-signs", "Vital Signs")],
            Code = new CodeableConcept(Loinc, loinc, display),
            Subject = _subject,
            Effective = new FhirDateTime(When()),
            Value = new Quantity { Value = value, Unit = unit, System = Ucum, Code = ucum },
        };

        private Observation Lab(string id, string loinc, string display, decimal value, string unit, decimal low, decimal high)
        {
            var at = When();
            var flag = value < low ? "L" : value > high ? "H" : "N";
            return new Observation
            {
                Id = id,
                Status = ObservationStatus.Final,
                Category = [new CodeableConcept(ObservationCategory, "laboratory", "Laboratory")],
                Code = new CodeableConcept(Loinc, loinc, display),
                Subject = _subject,
                Effective = new FhirDateTime(at),
                Issued = at.AddHours(2),
                Value = new Quantity { Value = value, Unit = unit, System = Ucum, Code = unit },
                Interpretation = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", flag)],
                ReferenceRange =
                [
                    new Observation.ReferenceRangeComponent
                    {
                        Low = new Quantity { Value = low, Unit = unit, System = Ucum, Code = unit },
                        High = new Quantity { Value = high, Unit = unit, System = Ucum, Code = unit },
                    },
                ],
            };
        }

        private Condition Problem(string id)
        {
            var (icd, icdDisplay, sct, sctDisplay, text, resolves) = s_conditions[random.Next(s_conditions.Length)];
            var onset = When();
            var resolved = resolves && random.Next(2) == 0;
            var condition = new Condition
            {
                Id = id,
                ClinicalStatus = new CodeableConcept(ConditionClinical, resolved ? "resolved" : "active"),
                VerificationStatus = new CodeableConcept(ConditionVerification, "confirmed"),
                Category = [new CodeableConcept(ConditionCategory, random.Next(3) == 0 ? "encounter-diagnosis" : "problem-list-item")],
                Code = new CodeableConcept
                {
                    Coding = [new Coding(Icd10Cm, icd, icdDisplay), new Coding(Snomed, sct, sctDisplay)],
                    Text = datedTexts ? $"{text}, noted {onset.ToString("d MMM yyyy", CultureInfo.InvariantCulture)}" : text,
                },
                Subject = _subject,
                Onset = new FhirDateTime(onset),
                RecordedDateElement = new FhirDateTime(onset.AddDays(random.Next(0, 30))),
            };
            if (resolved)
            {
                condition.Abatement = new FhirDateTime(onset.AddDays(random.Next(7, 60)));
            }

            return condition;
        }

        private DiagnosticReport Report(string id)
        {
            var (category, system, code, display, conclusions) = s_reports[random.Next(s_reports.Length)];
            var at = When();
            var conclusion = conclusions.Length == 0 ? null : conclusions[random.Next(conclusions.Length)];
            if (datedTexts && conclusion is not null)
            {
                conclusion += $" Compared with the study of {at.AddDays(-random.Next(30, 400)).ToString("d MMM yyyy", CultureInfo.InvariantCulture)}.";
            }

            return new DiagnosticReport
            {
                Id = id,
                Status = DiagnosticReport.DiagnosticReportStatus.Final,
                Category = [new CodeableConcept(ReportCategory, category)],
                Code = new CodeableConcept(system, code, display),
                Subject = _subject,
                Effective = new FhirDateTime(at),
                Issued = at.AddHours(3),
                Conclusion = conclusion,
            };
        }
    }
}
