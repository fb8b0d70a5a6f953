using System.Globalization;
using Hl7.Fhir.Model;

namespace PttmHooks.SampleData;

/// <summary>
/// Makes the unrelated data of a real chart, one resource at a time, for one patient: years of vital
/// signs, labs, a problem list and templated reports that the rule must see through. Shared by the
/// benchmarks (charts grown to thousands of resources), the command line's <c>samples export</c> and
/// the tests. Dates are relative to <c>now</c>; ids are <c>{patientId}-{kind}-{n:D5}</c>, unique per
/// generator. Deterministic for the state of <paramref name="random"/>: the same seed gives the same
/// resources. Condition and report texts come from a small pool, as coded problem lists and templated
/// reports repeat; with <paramref name="datedTexts"/> each also names its date ("…, noted 2 Mar 2024"),
/// so nearly every text is new. None of the unrelated codes or texts is in a value set of the rule.
/// </summary>
/// <param name="random">The source of every choice; share one between generators to make a whole population from one seed.</param>
/// <param name="now">The time the data are relative to (a case's evaluation time, an export's time).</param>
/// <param name="patientId">The patient every resource refers to.</param>
/// <param name="datedTexts">True to make nearly every Condition and report text unique by naming its date.</param>
public sealed class NoiseGenerator(Random random, DateTimeOffset now, string patientId, bool datedTexts = false)
{
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

    private static readonly TimeSpan s_history = TimeSpan.FromDays(3 * 365);
    private static readonly TimeSpan s_window = TimeSpan.FromDays(90);

    // Outside the rule's 90-day window with room to spare.
    private static readonly TimeSpan s_beforeWindow = TimeSpan.FromDays(100);

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

    private static readonly (string Icd, string IcdDisplay, string Sct, string SctDisplay, string Text, bool Resolves)[] s_malignancies =
    [
        ("C50.911", "Malignant neoplasm of unspecified site of right female breast", "254837009", "Malignant neoplasm of breast", "Breast cancer, on follow-up", true),
        ("C61", "Malignant neoplasm of prostate", "399068003", "Malignant tumor of prostate", "Prostate adenocarcinoma", true),
        ("C18.9", "Malignant neoplasm of colon, unspecified", "363406005", "Malignant neoplasm of colon", "Colon cancer, resected", true),
        ("C34.90", "Malignant neoplasm of unspecified part of unspecified bronchus or lung", "93880001", "Primary malignant neoplasm of lung", "Non-small cell lung cancer", true),
        ("C25.9", "Malignant neoplasm of pancreas, unspecified", "363418001", "Malignant tumor of pancreas", "Pancreatic cancer", true),
        ("C16.9", "Malignant neoplasm of stomach, unspecified", "363349007", "Malignant tumor of stomach", "Gastric adenocarcinoma", true),
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

    private static readonly string[] s_families = ["Smith", "Garcia", "Nguyen", "Okafor", "Kowalski", "Haddad", "Tanaka", "Silva", "Novak", "Murphy", "Rossi", "Jensen"];
    private static readonly string[] s_given = ["Alex", "Sam", "Maria", "Wei", "Amina", "John", "Elena", "Omar", "Priya", "Lars", "Grace", "Diego"];

    private readonly ResourceReference _subject = new("Patient/" + patientId);
    private readonly Dictionary<NoiseKind, int> _counters = [];

    /// <summary>A GUID from the generator's random source (for <c>urn:uuid:</c> full URLs).</summary>
    public Guid NewGuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }

    /// <summary>One resource of <paramref name="kind"/>, dated by <paramref name="time"/>.</summary>
    public Resource Next(NoiseKind kind, NoiseTime time = NoiseTime.History)
    {
        _counters[kind] = _counters.GetValueOrDefault(kind) + 1;
        var id = $"{patientId}-{kind.ToString().ToLowerInvariant()}-{_counters[kind]:D5}";
        return kind switch
        {
            NoiseKind.SpO2 => Vital(id, "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", random.Next(93, 100), "%", "%", time),
            NoiseKind.LowSpO2 => Vital(id, "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", random.Next(84, 91), "%", "%", time),
            NoiseKind.HeartRate => Vital(id, "8867-4", "Heart rate", random.Next(58, 101), "beats/minute", "/min", time),
            NoiseKind.RespiratoryRate => Vital(id, "9279-1", "Respiratory rate", random.Next(12, 21), "breaths/minute", "/min", time),
            NoiseKind.Sodium => Lab(id, "2951-2", "Sodium [Moles/volume] in Serum or Plasma", random.Next(134, 147), "mmol/L", 135, 145, time),
            NoiseKind.Creatinine => Lab(id, "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", Math.Round(0.55m + (random.Next(0, 60) / 100m), 2), "mg/dL", 0.5m, 1.1m, time),
            NoiseKind.Condition => Problem(id, s_conditions[random.Next(s_conditions.Length)], malignancy: false, time),
            NoiseKind.Malignancy => Problem(id, s_malignancies[random.Next(s_malignancies.Length)], malignancy: true, time),
            NoiseKind.Report => Report(id, time),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }

    /// <summary>A name from a small pool of family and given names.</summary>
    public HumanName Name() => new() { Family = Pick(s_families), Given = [Pick(s_given)] };

    /// <summary>The patient: an MRN, a <see cref="Name"/>, a gender and a birth date 20 to 90 years before now.</summary>
    public Patient Patient() => new()
    {
        Id = patientId,
        Identifier = [new Identifier("urn:oid:2.16.840.1.113883.19.5", "MRN" + random.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture))],
        Name = [Name()],
        Gender = random.Next(2) == 0 ? AdministrativeGender.Female : AdministrativeGender.Male,
        BirthDate = now.AddDays(-random.Next(20 * 365, 90 * 365)).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// Noise a copy of a sample case may carry without changing its answer: 10–39 normal SpO2 readings and
    /// up to 2 reports, all before the rule's window, and up to 14 heart or respiratory rates, 9 sodium or
    /// creatinine results and 3 unrelated Conditions from any time.
    /// </summary>
    public IEnumerable<Resource> ForCaseCopy()
    {
        for (var i = random.Next(10, 40); i > 0; i--)
        {
            yield return Next(NoiseKind.SpO2, NoiseTime.BeforeWindow);
        }

        for (var i = random.Next(0, 15); i > 0; i--)
        {
            yield return Next(OtherVital());
        }

        for (var i = random.Next(0, 10); i > 0; i--)
        {
            yield return Next(AnyLab());
        }

        for (var i = random.Next(0, 4); i > 0; i--)
        {
            yield return Next(NoiseKind.Condition);
        }

        for (var i = random.Next(0, 3); i > 0; i--)
        {
            yield return Next(NoiseKind.Report, NoiseTime.BeforeWindow);
        }
    }

    /// <summary>
    /// A whole chart of noise: the <see cref="Patient"/>, a solid malignancy when <paramref name="malignancy"/>,
    /// up to 5 unrelated Conditions, up to 40 SpO2 readings (one in twenty low), 25 heart or respiratory
    /// rates, 15 sodium or creatinine results and 3 reports, over 3 years with a fifth in the rule's window.
    /// </summary>
    /// <param name="malignancy">True to give the patient a solid malignancy (so that a screening evaluates them).</param>
    public IEnumerable<Resource> Chart(bool malignancy)
    {
        yield return Patient();
        if (malignancy)
        {
            yield return Next(NoiseKind.Malignancy);
        }

        for (var i = random.Next(0, 6); i > 0; i--)
        {
            yield return Next(NoiseKind.Condition);
        }

        for (var i = random.Next(0, 41); i > 0; i--)
        {
            yield return Next(random.Next(20) == 0 ? NoiseKind.LowSpO2 : NoiseKind.SpO2);
        }

        for (var i = random.Next(0, 26); i > 0; i--)
        {
            yield return Next(OtherVital());
        }

        for (var i = random.Next(0, 16); i > 0; i--)
        {
            yield return Next(AnyLab());
        }

        for (var i = random.Next(0, 4); i > 0; i--)
        {
            yield return Next(NoiseKind.Report);
        }
    }

    private NoiseKind OtherVital() => random.Next(2) == 0 ? NoiseKind.HeartRate : NoiseKind.RespiratoryRate;

    private NoiseKind AnyLab() => random.Next(2) == 0 ? NoiseKind.Sodium : NoiseKind.Creatinine;

    private T Pick<T>(T[] values) => values[random.Next(values.Length)];

    /// <summary>A time by <paramref name="time"/>, to the minute, in UTC.</summary>
    private DateTimeOffset When(NoiseTime time)
    {
        var at = time switch
        {
            NoiseTime.History => now - TimeSpan.FromMinutes(random.NextInt64(60, (long)(random.Next(5) == 0 ? s_window : s_history).TotalMinutes)),
            NoiseTime.BeforeWindow => now - s_beforeWindow - TimeSpan.FromMinutes(random.NextInt64(0, (long)(s_history - s_beforeWindow).TotalMinutes)),
            _ => throw new ArgumentOutOfRangeException(nameof(time), time, null),
        };
        return new DateTimeOffset(at.Year, at.Month, at.Day, at.Hour, at.Minute, 0, TimeSpan.Zero);
    }

    private Observation Vital(string id, string loinc, string display, decimal value, string unit, string ucum, NoiseTime time) => new()
    {
        Id = id,
        Status = ObservationStatus.Final,
        Category = [new CodeableConcept(ObservationCategory, "vital-signs", "Vital Signs")],
        Code = new CodeableConcept(Loinc, loinc, display),
        Subject = _subject,
        Effective = new FhirDateTime(When(time)),
        Value = new Quantity { Value = value, Unit = unit, System = Ucum, Code = ucum },
    };

    private Observation Lab(string id, string loinc, string display, decimal value, string unit, decimal low, decimal high, NoiseTime time)
    {
        var at = When(time);
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

    private Condition Problem(string id, (string Icd, string IcdDisplay, string Sct, string SctDisplay, string Text, bool Resolves) entry, bool malignancy, NoiseTime time)
    {
        var (icd, icdDisplay, sct, sctDisplay, text, resolves) = entry;
        var onset = When(time);
        // An unrelated problem that can resolve does so half the time; a malignancy is in remission one time in three.
        var resolved = malignancy ? random.Next(3) == 0 : resolves && random.Next(2) == 0;
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

    private DiagnosticReport Report(string id, NoiseTime time)
    {
        var (category, system, code, display, conclusions) = s_reports[random.Next(s_reports.Length)];
        var at = When(time);
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
