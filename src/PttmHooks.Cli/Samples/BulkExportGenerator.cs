using System.Globalization;
using System.IO.Compression;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using PttmHooks.Cli.Screen;
using PttmHooks.Reading.Samples;

namespace PttmHooks.Cli.Samples;

/// <summary>What to generate.</summary>
/// <param name="Patients">The number of patients.</param>
/// <param name="Seed">The random seed: the same seed, time and cases give the same files, byte for byte.</param>
/// <param name="At">The time the export is "taken": every date is relative to it.</param>
/// <param name="CasesFolder">The sample cases copied into the export.</param>
/// <param name="Out">The output folder.</param>
/// <param name="CaseShare">The share of patients that are copies of a sample case (every 1/share-th patient).</param>
/// <param name="CancerShare">The share of the other patients who have a solid malignancy and otherwise only noise.</param>
/// <param name="ObservationsPerFile">Observation lines per file before the next file (Observation.000.ndjson, .001, …).</param>
/// <param name="Gzip">Write .ndjson.gz.</param>
internal sealed record ExportSpec(int Patients, int Seed, DateTimeOffset At, string CasesFolder, string Out, double CaseShare, double CancerShare, int ObservationsPerFile, bool Gzip);

/// <summary>What was generated.</summary>
/// <param name="Lines">Lines per resource type.</param>
/// <param name="Files">Files written.</param>
/// <param name="Bytes">Bytes written.</param>
/// <param name="CaseCopies">Patients copied from a sample case (listed in expected.csv).</param>
/// <param name="CancerNoise">Other patients with a solid malignancy.</param>
internal sealed record ExportSummary(IReadOnlyDictionary<string, long> Lines, int Files, long Bytes, int CaseCopies, int CancerNoise);

/// <summary>
/// A synthetic FHIR Bulk Data export (NDJSON per resource type) built from the sample cases with the
/// noise of real charts, deterministic for a seed. Three kinds of patient:
/// <list type="bullet">
/// <item>Copies of the sample cases (every 1/<see cref="ExportSpec.CaseShare"/>-th patient, the cases in
/// turn): the case's resources with new ids, dates moved to the export's time, and noise that cannot
/// change the answer (SpO2 and reports only from before the rule's 90-day window, vital signs and
/// labs the rule does not read, unrelated Conditions). <c>expected.csv</c> lists each with its case and
/// the answer its <c>case.json</c> expects, so a screening of the export can be checked.</item>
/// <item>Patients with a solid malignancy and only noise (<see cref="ExportSpec.CancerShare"/>): evaluated
/// by <c>screen</c>, mostly without a card.</item>
/// <item>Everyone else: years of SpO2 readings (a few low), vital signs, labs, unrelated Conditions
/// and reports; never evaluated.</item>
/// </list>
/// Resources are written with <see cref="Utf8JsonWriter"/>, one per line, as a Bulk Data server writes them.
/// </summary>
internal sealed class BulkExportGenerator
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

    // Outside the rule's 90-day window with room to spare: noise a case copy may carry in any form.
    private static readonly TimeSpan s_beforeWindow = TimeSpan.FromDays(100);

    // The unrelated problems of benchmark Charts.Grow (none is in a value set of the rule).
    private static readonly (string Icd, string IcdDisplay, string Sct, string SctDisplay, string Text)[] s_conditions =
    [
        ("I10", "Essential (primary) hypertension", "59621000", "Essential hypertension", "Essential hypertension"),
        ("E11.9", "Type 2 diabetes mellitus without complications", "44054006", "Diabetes mellitus type 2", "Type 2 diabetes mellitus, diet controlled"),
        ("E78.5", "Hyperlipidemia, unspecified", "55822004", "Hyperlipidemia", "Hyperlipidaemia on statin"),
        ("K21.9", "Gastro-esophageal reflux disease without esophagitis", "235595009", "Gastroesophageal reflux disease", "GORD"),
        ("E03.9", "Hypothyroidism, unspecified", "40930008", "Hypothyroidism", "Hypothyroidism on levothyroxine"),
        ("M54.50", "Low back pain, unspecified", "279039007", "Low back pain", "Mechanical low back pain"),
        ("J30.9", "Allergic rhinitis, unspecified", "61582004", "Allergic rhinitis", "Seasonal allergic rhinitis"),
        ("F41.9", "Anxiety disorder, unspecified", "197480006", "Anxiety disorder", "Anxiety"),
        ("M17.11", "Unilateral primary osteoarthritis, right knee", "239873007", "Osteoarthritis of knee", "Osteoarthritis right knee"),
        ("E55.9", "Vitamin D deficiency, unspecified", "34713006", "Vitamin D deficiency", "Vitamin D deficiency"),
        ("G43.909", "Migraine, unspecified, not intractable, without status migrainosus", "37796009", "Migraine", "Migraine without aura"),
    ];

    // Solid malignancies for the noise patients who have one.
    private static readonly (string Icd, string IcdDisplay, string Sct, string SctDisplay, string Text)[] s_cancers =
    [
        ("C50.911", "Malignant neoplasm of unspecified site of right female breast", "254837009", "Malignant neoplasm of breast", "Breast cancer, on follow-up"),
        ("C61", "Malignant neoplasm of prostate", "399068003", "Malignant tumor of prostate", "Prostate adenocarcinoma"),
        ("C18.9", "Malignant neoplasm of colon, unspecified", "363406005", "Malignant neoplasm of colon", "Colon cancer, resected"),
        ("C34.90", "Malignant neoplasm of unspecified part of unspecified bronchus or lung", "93880001", "Primary malignant neoplasm of lung", "Non-small cell lung cancer"),
        ("C25.9", "Malignant neoplasm of pancreas, unspecified", "363418001", "Malignant tumor of pancreas", "Pancreatic cancer"),
        ("C16.9", "Malignant neoplasm of stomach, unspecified", "363349007", "Malignant tumor of stomach", "Gastric adenocarcinoma"),
    ];

    private static readonly (string Category, string System, string Code, string Display, string[] Conclusions)[] s_reports =
    [
        ("RAD", LocalResults, "IMG-XR-CHEST", "XR chest 2 views", ["No acute cardiopulmonary process.", "Lungs are clear. Heart size is normal. No acute cardiopulmonary process."]),
        ("EC", Loinc, "11524-6", "EKG study", ["Sinus rhythm, rate 78. Normal ECG.", "Sinus tachycardia. No acute ST-T changes."]),
        ("CH", Loinc, "51990-0", "Basic metabolic panel - Blood", []),
        ("RAD", LocalResults, "US-ABD", "US abdomen complete", ["Mild hepatic steatosis. No biliary dilatation.", "Normal abdominal ultrasound."]),
    ];

    private static readonly string[] s_families = ["Smith", "Garcia", "Nguyen", "Okafor", "Kowalski", "Haddad", "Tanaka", "Silva", "Novak", "Murphy", "Rossi", "Jensen"];
    private static readonly string[] s_given = ["Alex", "Sam", "Maria", "Wei", "Amina", "John", "Elena", "Omar", "Priya", "Lars", "Grace", "Diego"];

    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };

    private readonly ExportSpec _spec;
    private readonly Random _random;
    private readonly List<CaseTemplate> _cases;
    private readonly Dictionary<string, Sink> _sinks = new(StringComparer.Ordinal);

    private BulkExportGenerator(ExportSpec spec, List<CaseTemplate> cases)
    {
        _spec = spec;
        _random = new Random(spec.Seed);
        _cases = cases;
    }

    /// <summary>Writes the export described by <paramref name="spec"/>; <paramref name="progress"/> gets the patients done.</summary>
    public static ExportSummary Write(ExportSpec spec, Action<long> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(progress);
        var cases = SampleCase.LoadAll(spec.CasesFolder).Select(c => CaseTemplate.Load(c, spec.At)).ToList();
        if (cases.Count == 0)
        {
            throw CliException.BadInput($"{spec.CasesFolder} holds no sample case (folders with case.json and bundle.json).");
        }

        Directory.CreateDirectory(spec.Out);
        var generator = new BulkExportGenerator(spec, cases);
        return generator.Run(progress, cancellationToken);
    }

    private ExportSummary Run(Action<long> progress, CancellationToken cancellationToken)
    {
        var stride = _spec.CaseShare <= 0 ? int.MaxValue : Math.Max(1, (int)Math.Round(1 / _spec.CaseShare));
        var caseCopies = 0;
        var cancerNoise = 0;
        using (var expected = new StreamWriter(Path.Combine(_spec.Out, "expected.csv"), false, new System.Text.UTF8Encoding(false)) { NewLine = "\n" })
        {
            expected.WriteLine("patient_id,case,recommendation,suspicion,indicator");
            try
            {
                for (var i = 0; i < _spec.Patients; i++)
                {
                    if (i % 1024 == 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        progress(i);
                    }

                    var patientId = "pt-" + (i + 1).ToString("D7", CultureInfo.InvariantCulture);
                    if (i % stride == stride / 2)
                    {
                        var template = _cases[caseCopies++ % _cases.Count];
                        WriteCaseCopy(patientId, template);
                        expected.WriteLine($"{patientId},{template.Id},{template.Recommendation},{template.Suspicion},{template.Indicator}");
                    }
                    else
                    {
                        var cancer = _random.NextDouble() < _spec.CancerShare;
                        cancerNoise += cancer ? 1 : 0;
                        WriteNoisePatient(patientId, cancer);
                    }
                }

                progress(_spec.Patients);
            }
            finally
            {
                foreach (var sink in _sinks.Values)
                {
                    sink.Dispose();
                }
            }
        }

        return new ExportSummary(
            _sinks.ToDictionary(s => s.Key, s => s.Value.Lines, StringComparer.Ordinal),
            _sinks.Values.Sum(s => s.Files),
            _sinks.Values.Sum(s => s.Bytes),
            caseCopies,
            cancerNoise);
    }

    private void WriteCaseCopy(string patientId, CaseTemplate template)
    {
        var ids = template.Resources.ToDictionary(
            r => $"{(string)r["resourceType"]!}/{(string)r["id"]!}",
            r => (string)r["resourceType"]! == "Patient" ? patientId : NewId(patientId, template.PatientId, (string)r["id"]!),
            StringComparer.Ordinal);
        foreach (var original in template.Resources)
        {
            var resource = original.DeepClone().AsObject();
            var type = (string)resource["resourceType"]!;
            resource["id"] = ids[$"{type}/{(string)original["id"]!}"];
            Remap(resource, ids);
            if (type == "Patient")
            {
                resource["name"] = new JsonArray(new JsonObject { ["family"] = Pick(s_families), ["given"] = new JsonArray(Pick(s_given)) });
            }

            var sink = SinkFor(type);
            resource.WriteTo(sink.Writer);
            sink.EndLine();
        }

        // Noise that cannot change the case's answer: before the window, or of kinds the rule never reads.
        var subject = "Patient/" + patientId;
        var n = 0;
        for (var i = _random.Next(10, 40); i > 0; i--)
        {
            SpO2(subject, $"{patientId}-n{++n}", Before(s_beforeWindow), low: false);
        }

        for (var i = _random.Next(0, 15); i > 0; i--)
        {
            Vital(subject, $"{patientId}-n{++n}");
        }

        for (var i = _random.Next(0, 10); i > 0; i--)
        {
            Lab(subject, $"{patientId}-n{++n}");
        }

        for (var i = _random.Next(0, 4); i > 0; i--)
        {
            Problem(subject, $"{patientId}-n{++n}", Pick(s_conditions), active: true);
        }

        for (var i = _random.Next(0, 3); i > 0; i--)
        {
            Report(subject, $"{patientId}-n{++n}", Before(s_beforeWindow));
        }
    }

    private void WriteNoisePatient(string patientId, bool cancer)
    {
        var patient = SinkFor("Patient");
        var w = patient.Writer;
        w.WriteStartObject();
        w.WriteString("resourceType", "Patient");
        w.WriteString("id", patientId);
        w.WriteStartArray("identifier");
        w.WriteStartObject();
        w.WriteString("system", "urn:oid:2.16.840.1.113883.19.5");
        w.WriteString("value", "MRN" + _random.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartArray("name");
        w.WriteStartObject();
        w.WriteString("family", Pick(s_families));
        w.WriteStartArray("given");
        w.WriteStringValue(Pick(s_given));
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteString("gender", _random.Next(2) == 0 ? "female" : "male");
        w.WriteString("birthDate", _spec.At.AddDays(-_random.Next(20 * 365, 90 * 365)).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        w.WriteEndObject();
        patient.EndLine();

        var subject = "Patient/" + patientId;
        var n = 0;
        if (cancer)
        {
            Problem(subject, $"{patientId}-n{++n}", Pick(s_cancers), active: _random.Next(3) > 0);
        }

        for (var i = _random.Next(0, 6); i > 0; i--)
        {
            Problem(subject, $"{patientId}-n{++n}", Pick(s_conditions), active: _random.Next(5) > 0);
        }

        // Years of pulse oximetry: a fifth of the readings in the window, one in twenty low.
        for (var i = _random.Next(0, 41); i > 0; i--)
        {
            SpO2(subject, $"{patientId}-n{++n}", When(), low: _random.Next(20) == 0);
        }

        for (var i = _random.Next(0, 26); i > 0; i--)
        {
            Vital(subject, $"{patientId}-n{++n}");
        }

        for (var i = _random.Next(0, 16); i > 0; i--)
        {
            Lab(subject, $"{patientId}-n{++n}");
        }

        for (var i = _random.Next(0, 4); i > 0; i--)
        {
            Report(subject, $"{patientId}-n{++n}", When());
        }
    }

    private void SpO2(string subject, string id, DateTimeOffset at, bool low) =>
        Observation(subject, id, "vital-signs", "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", at, low ? _random.Next(84, 91) : _random.Next(93, 100), "%", "%", null);

    private void Vital(string subject, string id)
    {
        var (code, display, low, high, unit, ucum) = _random.Next(2) == 0
            ? ("8867-4", "Heart rate", 58, 101, "beats/minute", "/min")
            : ("9279-1", "Respiratory rate", 12, 21, "breaths/minute", "/min");
        Observation(subject, id, "vital-signs", code, display, When(), _random.Next(low, high), unit, ucum, null);
    }

    private void Lab(string subject, string id)
    {
        if (_random.Next(2) == 0)
        {
            Observation(subject, id, "laboratory", "2951-2", "Sodium [Moles/volume] in Serum or Plasma", When(), _random.Next(134, 147), "mmol/L", "mmol/L", (135, 145));
        }
        else
        {
            Observation(subject, id, "laboratory", "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", When(), Math.Round(0.55m + (_random.Next(0, 60) / 100m), 2), "mg/dL", "mg/dL", (0.5m, 1.1m));
        }
    }

    private void Observation(string subject, string id, string category, string loinc, string display, DateTimeOffset at, decimal value, string unit, string ucum, (decimal Low, decimal High)? range)
    {
        var sink = SinkFor("Observation");
        var w = sink.Writer;
        w.WriteStartObject();
        w.WriteString("resourceType", "Observation");
        w.WriteString("id", id);
        w.WriteString("status", "final");
        w.WriteStartArray("category");
        CodeableConcept(w, null, ObservationCategory, category, null, null);
        w.WriteEndArray();
        CodeableConcept(w, "code", Loinc, loinc, display, null);
        Reference(w, "subject", subject);
        w.WriteString("effectiveDateTime", Time(at));
        if (range is not null)
        {
            w.WriteString("issued", Time(at.AddHours(2)));
        }

        Quantity(w, "valueQuantity", value, unit, ucum);
        if (range is { } r)
        {
            w.WriteStartArray("interpretation");
            CodeableConcept(w, null, "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", value < r.Low ? "L" : value > r.High ? "H" : "N", null, null);
            w.WriteEndArray();
            w.WriteStartArray("referenceRange");
            w.WriteStartObject();
            Quantity(w, "low", r.Low, unit, ucum);
            Quantity(w, "high", r.High, unit, ucum);
            w.WriteEndObject();
            w.WriteEndArray();
        }

        w.WriteEndObject();
        sink.EndLine();
    }

    private void Problem(string subject, string id, (string Icd, string IcdDisplay, string Sct, string SctDisplay, string Text) code, bool active)
    {
        var sink = SinkFor("Condition");
        var w = sink.Writer;
        var onset = When();
        w.WriteStartObject();
        w.WriteString("resourceType", "Condition");
        w.WriteString("id", id);
        CodeableConcept(w, "clinicalStatus", ConditionClinical, active ? "active" : "resolved", null, null);
        CodeableConcept(w, "verificationStatus", ConditionVerification, "confirmed", null, null);
        w.WriteStartArray("category");
        CodeableConcept(w, null, ConditionCategory, _random.Next(3) == 0 ? "encounter-diagnosis" : "problem-list-item", null, null);
        w.WriteEndArray();
        w.WriteStartObject("code");
        w.WriteStartArray("coding");
        Coding(w, Icd10Cm, code.Icd, code.IcdDisplay);
        Coding(w, Snomed, code.Sct, code.SctDisplay);
        w.WriteEndArray();
        w.WriteString("text", code.Text);
        w.WriteEndObject();
        Reference(w, "subject", subject);
        w.WriteString("onsetDateTime", Time(onset));
        w.WriteString("recordedDate", Time(onset.AddDays(_random.Next(0, 30))));
        if (!active)
        {
            w.WriteString("abatementDateTime", Time(onset.AddDays(_random.Next(7, 60))));
        }

        w.WriteEndObject();
        sink.EndLine();
    }

    private void Report(string subject, string id, DateTimeOffset at)
    {
        var (category, system, code, display, conclusions) = s_reports[_random.Next(s_reports.Length)];
        var sink = SinkFor("DiagnosticReport");
        var w = sink.Writer;
        w.WriteStartObject();
        w.WriteString("resourceType", "DiagnosticReport");
        w.WriteString("id", id);
        w.WriteString("status", "final");
        w.WriteStartArray("category");
        CodeableConcept(w, null, ReportCategory, category, null, null);
        w.WriteEndArray();
        CodeableConcept(w, "code", system, code, display, null);
        Reference(w, "subject", subject);
        w.WriteString("effectiveDateTime", Time(at));
        w.WriteString("issued", Time(at.AddHours(3)));
        if (conclusions.Length > 0)
        {
            w.WriteString("conclusion", conclusions[_random.Next(conclusions.Length)]);
        }

        w.WriteEndObject();
        sink.EndLine();
    }

    /// <summary>A time in the 3 years before the export; one in five inside the rule's window.</summary>
    private DateTimeOffset When()
    {
        var span = _random.Next(5) == 0 ? s_window : s_history;
        return Minute(_spec.At - TimeSpan.FromMinutes(_random.NextInt64(60, (long)span.TotalMinutes)));
    }

    /// <summary>A time in the 3 years before the export, but before <paramref name="gap"/> ago.</summary>
    private DateTimeOffset Before(TimeSpan gap) =>
        Minute(_spec.At - gap - TimeSpan.FromMinutes(_random.NextInt64(0, (long)(s_history - gap).TotalMinutes)));

    private static DateTimeOffset Minute(DateTimeOffset at) => new(at.Year, at.Month, at.Day, at.Hour, at.Minute, 0, TimeSpan.Zero);

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private T Pick<T>(T[] values) => values[_random.Next(values.Length)];

    private static void CodeableConcept(Utf8JsonWriter w, string? name, string system, string code, string? display, string? text)
    {
        if (name is null)
        {
            w.WriteStartObject();
        }
        else
        {
            w.WriteStartObject(name);
        }

        w.WriteStartArray("coding");
        Coding(w, system, code, display);
        w.WriteEndArray();
        if (text is not null)
        {
            w.WriteString("text", text);
        }

        w.WriteEndObject();
    }

    private static void Coding(Utf8JsonWriter w, string system, string code, string? display)
    {
        w.WriteStartObject();
        w.WriteString("system", system);
        w.WriteString("code", code);
        if (display is not null)
        {
            w.WriteString("display", display);
        }

        w.WriteEndObject();
    }

    private static void Reference(Utf8JsonWriter w, string name, string reference)
    {
        w.WriteStartObject(name);
        w.WriteString("reference", reference);
        w.WriteEndObject();
    }

    private static void Quantity(Utf8JsonWriter w, string name, decimal value, string unit, string ucum)
    {
        w.WriteStartObject(name);
        w.WriteNumber("value", value);
        w.WriteString("unit", unit);
        w.WriteString("system", Ucum);
        w.WriteString("code", ucum);
        w.WriteEndObject();
    }

    /// <summary>A case resource's new id: the copy's patient id, then the case's id less its own patient prefix.</summary>
    private static string NewId(string patientId, string casePatientId, string id)
    {
        var rest = id.StartsWith(casePatientId + "-", StringComparison.Ordinal) ? id[(casePatientId.Length + 1)..] : id;
        var newId = patientId + "-" + rest;
        return newId.Length <= 64 ? newId : newId[..64];
    }

    /// <summary>Every <c>reference</c> to a resource of the case now points at its copy.</summary>
    private static void Remap(JsonNode? node, Dictionary<string, string> ids)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    if (name == "reference" && value is JsonValue v && v.TryGetValue<string>(out var reference))
                    {
                        var slash = reference.IndexOf('/', StringComparison.Ordinal);
                        if (slash > 0 && ids.TryGetValue(reference, out var newId))
                        {
                            obj[name] = reference[..(slash + 1)] + newId;
                        }
                    }
                    else
                    {
                        Remap(value, ids);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Remap(item, ids);
                }

                break;
        }
    }

    private Sink SinkFor(string type)
    {
        if (!_sinks.TryGetValue(type, out var sink))
        {
            _sinks[type] = sink = new Sink(_spec.Out, type, type == "Observation" ? _spec.ObservationsPerFile : int.MaxValue, _spec.Gzip);
        }

        return sink;
    }

    /// <summary>A sample case, its dates moved to the export's time, ready to copy.</summary>
    private sealed record CaseTemplate(string Id, string PatientId, IReadOnlyList<JsonObject> Resources, string Recommendation, string Suspicion, string Indicator)
    {
        public static CaseTemplate Load(SampleCase sample, DateTimeOffset at)
        {
            var bundle = SampleRequests.ShiftDates(JsonNode.Parse(File.ReadAllText(Path.Combine(sample.Folder, "bundle.json"))), at - sample.EvaluatedAt)!;
            var resources = bundle["entry"]!.AsArray().Select(e => e!["resource"]!.AsObject()).ToList();
            var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(sample.Folder, "case.json")))!["expected"]!;
            return new CaseTemplate(
                sample.Id,
                sample.PatientId,
                resources,
                (string?)expected["recommendation"] ?? "none",
                (string?)expected["suspicion"] ?? string.Empty,
                (string?)expected["indicator"] ?? string.Empty);
        }
    }

    /// <summary>The NDJSON file(s) of one resource type: one resource a line, split after a number of lines.</summary>
    private sealed class Sink(string folder, string type, int linesPerFile, bool gzip) : IDisposable
    {
        private readonly bool _split = linesPerFile != int.MaxValue;
        private FileStream? _file;
        private Stream? _stream;
        private Utf8JsonWriter? _writer;
        private long _inFile;

        public long Lines { get; private set; }

        public int Files { get; private set; }

        public long Bytes { get; private set; }

        public Utf8JsonWriter Writer
        {
            get
            {
                if (_writer is null || _inFile >= linesPerFile)
                {
                    Close();
                    var name = _split ? $"{type}.{Files:D3}.ndjson" : $"{type}.ndjson";
                    _file = new FileStream(Path.Combine(folder, gzip ? name + ".gz" : name), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
                    _stream = gzip ? new GZipStream(_file, CompressionLevel.Fastest) : _file;
                    _writer = new Utf8JsonWriter(_stream, s_writerOptions);
                    _inFile = 0;
                    Files++;
                }

                return _writer;
            }
        }

        public void EndLine()
        {
            _writer!.Flush();
            _writer.Reset();
            _stream!.WriteByte((byte)'\n');
            _inFile++;
            Lines++;
        }

        public void Dispose() => Close();

        private void Close()
        {
            _writer?.Dispose();
            _stream?.Dispose();
            if (_file is not null)
            {
                Bytes += new FileInfo(_file.Name).Length;
                _file.Dispose();
            }

            (_writer, _stream, _file) = (null, null, null);
        }
    }
}
