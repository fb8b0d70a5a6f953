using System.Globalization;
using System.Text;
using Hl7.Fhir.Model;
using PttmHooks.Clinical.Assessment;

// In the root test namespace, not ".Builders": inside PttmHooks.Clinical.Tests.*, the name "Chart" would
// otherwise resolve to the library's namespace PttmHooks.Clinical.Chart.
namespace PttmHooks.Clinical.Tests;

/// <summary>
/// How long before "now" something happened: days (<c>daysAgo: 3</c>, <c>daysAgo: 0.5</c>) or an exact
/// span (<c>daysAgo: TimeSpan.FromDays(90) + TimeSpan.FromMinutes(1)</c>).
/// </summary>
public readonly record struct Ago(TimeSpan Span)
{
    public static implicit operator Ago(double days) => FromDays(days);

    public static implicit operator Ago(TimeSpan span) => FromTimeSpan(span);

    public static Ago FromDays(double days) => new(TimeSpan.FromDays(days));

    public static Ago FromTimeSpan(TimeSpan span) => new(span);
}

/// <summary>
/// A test chart, built the way an EHR would send it: every With* adds one real FHIR R4 resource with an
/// id (<c>{patient}-cond1</c>, <c>{patient}-obs2</c>, <c>{patient}-rep3</c>), a code from terminology.md
/// (LOINC, SNOMED CT, ICD-10-CM) or a local code with display text as in samples/cases, a
/// status, a subject and a date relative to <see cref="Now"/>.
/// <code>
/// Chart.For("p1", born: 1970).At(now).WithSolidCancer("C50.912").WithSpO2(85, daysAgo: 1)
///     .WithCtpa("No evidence of pulmonary embolism.", daysAgo: 3).WithEchoRvsp(54, daysAgo: 2).Build();
/// </code>
/// </summary>
public sealed class Chart
{
    public const string Snomed = "http://snomed.info/sct";
    public const string Loinc = "http://loinc.org";
    public const string Icd10Cm = "http://hl7.org/fhir/sid/icd-10-cm";
    public const string Icd10Who = "http://hl7.org/fhir/sid/icd-10";
    public const string Ucum = "http://unitsofmeasure.org";
    public const string Local = "http://hospital.example.org/fhir/CodeSystem/local-results";
    public const string ClinicalStatusSystem = "http://terminology.hl7.org/CodeSystem/condition-clinical";
    public const string VerificationStatusSystem = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
    public const string ObservationCategorySystem = "http://terminology.hl7.org/CodeSystem/observation-category";
    public const string DataAbsentSystem = "http://terminology.hl7.org/CodeSystem/data-absent-reason";

    /// <summary>The "now" of the shared cases.</summary>
    public static readonly DateTimeOffset DefaultNow = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private readonly List<Condition> _conditions = [];
    private readonly List<Observation> _observations = [];
    private readonly List<DiagnosticReport> _reports = [];
    private readonly List<DocumentReference> _notes = [];
    private readonly Dictionary<Attachment, AttachmentText> _texts = new(ReferenceEqualityComparer.Instance);
    private int _sequence;

    private Chart(string patientId, string? birthDate)
    {
        PatientId = patientId;
        Patient = new Patient
        {
            Id = patientId,
            BirthDate = birthDate,
            Gender = AdministrativeGender.Female,
            Name = [new HumanName { Family = "Test", Given = [patientId] }],
        };
    }

    public string PatientId { get; }

    public Patient Patient { get; }

    public DateTimeOffset Now { get; private set; } = DefaultNow;

    /// <summary>The relative reference of the resource added last ("Observation/p1-obs3").</summary>
    public string Last { get; private set; } = "";

    /// <summary>A chart for a patient born on 1 January of <paramref name="born"/> (null: no birth date).</summary>
    public static Chart For(string patientId, int? born = 1970) =>
        new(patientId, born is { } year ? year.ToString("D4", CultureInfo.InvariantCulture) + "-01-01" : null);

    /// <summary>A chart for a patient with an exact birth date ("1970-11-20").</summary>
    public static Chart For(string patientId, string birthDate) => new(patientId, birthDate);

    /// <summary>Sets "now": every daysAgo counts back from it.</summary>
    public Chart At(DateTimeOffset now)
    {
        Now = now;
        return this;
    }

    public DateTimeOffset When(Ago ago) => Now - ago.Span;

    // ---------------------------------------------------------------- generic resources

    public Chart WithCondition(
        CodeableConcept code,
        Ago daysAgo,
        string? clinicalStatus = "active",
        string? verificationStatus = "confirmed",
        string? id = null,
        bool onset = true,
        string category = "problem-list-item")
    {
        var at = new FhirDateTime(When(daysAgo));
        var condition = new Condition
        {
            Id = id ?? NextId("cond"),
            Code = code,
            Subject = new ResourceReference("Patient/" + PatientId),
            Category = [Concept("http://terminology.hl7.org/CodeSystem/condition-category", category)],
            RecordedDateElement = new FhirDateTime(When(daysAgo)),
        };
        if (onset)
        {
            condition.Onset = at;
        }

        if (clinicalStatus is not null)
        {
            condition.ClinicalStatus = Concept(ClinicalStatusSystem, clinicalStatus);
        }

        if (verificationStatus is not null)
        {
            condition.VerificationStatus = Concept(VerificationStatusSystem, verificationStatus);
        }

        _conditions.Add(condition);
        Last = "Condition/" + condition.Id;
        return this;
    }

    public Chart WithCondition(Coding coding, Ago daysAgo, string? text = null, string? clinicalStatus = "active", string? verificationStatus = "confirmed", string? id = null) =>
        WithCondition(new CodeableConcept { Coding = [coding], Text = text }, daysAgo, clinicalStatus, verificationStatus, id);

    /// <summary>A Condition that carries only text (no coding at all).</summary>
    public Chart WithCondition(string text, Ago daysAgo, string? clinicalStatus = "active", string? verificationStatus = "confirmed", string? id = null) =>
        WithCondition(new CodeableConcept { Text = text }, daysAgo, clinicalStatus, verificationStatus, id);

    public Chart WithObservation(
        CodeableConcept code,
        DataType? value,
        Ago daysAgo,
        ObservationStatus status = ObservationStatus.Final,
        CodeableConcept? method = null,
        string? id = null,
        CodeableConcept? dataAbsentReason = null,
        string category = "laboratory",
        IEnumerable<Observation.ComponentComponent>? components = null,
        string? note = null,
        IEnumerable<CodeableConcept>? interpretation = null)
    {
        var observation = new Observation
        {
            Id = id ?? NextId("obs"),
            Status = status,
            Category = [Concept(ObservationCategorySystem, category)],
            Code = code,
            Subject = new ResourceReference("Patient/" + PatientId),
            Effective = new FhirDateTime(When(daysAgo)),
            Value = value,
            Method = method,
            DataAbsentReason = dataAbsentReason,
        };
        if (components is not null)
        {
            observation.Component.AddRange(components);
        }

        if (note is not null)
        {
            observation.Note.Add(new Annotation { Text = new Markdown(note) });
        }

        if (interpretation is not null)
        {
            observation.Interpretation.AddRange(interpretation);
        }

        _observations.Add(observation);
        Last = "Observation/" + observation.Id;
        return this;
    }

    public Chart WithObservation(Coding code, DataType? value, Ago daysAgo, ObservationStatus status = ObservationStatus.Final, CodeableConcept? method = null, string? id = null, CodeableConcept? dataAbsentReason = null, string category = "laboratory") =>
        WithObservation(new CodeableConcept { Coding = [code] }, value, daysAgo, status, method, id, dataAbsentReason, category);

    /// <summary>An Observation with a UCUM quantity (<paramref name="unit"/> is the UCUM code, also shown as the unit).</summary>
    public Chart WithObservation(Coding code, decimal value, string unit, Ago daysAgo, ObservationStatus status = ObservationStatus.Final, CodeableConcept? method = null, string? id = null, string category = "laboratory") =>
        WithObservation(new CodeableConcept { Coding = [code] }, Quantity(value, unit), daysAgo, status, method, id, category: category);

    public Chart WithReport(
        CodeableConcept code,
        string? conclusion,
        Ago daysAgo,
        DiagnosticReport.DiagnosticReportStatus status = DiagnosticReport.DiagnosticReportStatus.Final,
        IEnumerable<CodeableConcept>? conclusionCodes = null,
        string? presentedText = null,
        string presentedType = "text/plain",
        string? id = null,
        string category = "RAD")
    {
        var report = new DiagnosticReport
        {
            Id = id ?? NextId("rep"),
            Status = status,
            Category = [Concept("http://terminology.hl7.org/CodeSystem/v2-0074", category)],
            Code = code,
            Subject = new ResourceReference("Patient/" + PatientId),
            Effective = new FhirDateTime(When(daysAgo)),
            IssuedElement = new Instant(When(daysAgo)),
            Conclusion = conclusion,
        };
        if (conclusionCodes is not null)
        {
            report.ConclusionCode.AddRange(conclusionCodes);
        }

        if (presentedText is not null)
        {
            report.PresentedForm.Add(new Attachment { ContentType = presentedType, Data = Encoding.UTF8.GetBytes(presentedText) });
        }

        _reports.Add(report);
        Last = "DiagnosticReport/" + report.Id;
        return this;
    }

    public Chart WithReport(Coding code, string? conclusion, Ago daysAgo, DiagnosticReport.DiagnosticReportStatus status = DiagnosticReport.DiagnosticReportStatus.Final, string? id = null) =>
        WithReport(new CodeableConcept { Coding = [code] }, conclusion, daysAgo, status, id: id);

    /// <summary>Adds a resource built elsewhere (its id is kept).</summary>
    public Chart With(Resource resource)
    {
        switch (resource)
        {
            case Condition c:
                _conditions.Add(c);
                break;
            case Observation o:
                _observations.Add(o);
                break;
            case DiagnosticReport r:
                _reports.Add(r);
                break;
            case DocumentReference n:
                _notes.Add(n);
                break;
            default:
                throw new ArgumentException($"The rule does not read {resource.TypeName}.", nameof(resource));
        }

        Last = resource.TypeName + "/" + resource.Id;
        return this;
    }

    // ---------------------------------------------------------------- conditions (C1, C2, C3, C4, C7, CTEPH)

    /// <summary>A solid malignancy by ICD-10-CM code (C50.912 breast by default), recorded a year ago.</summary>
    public Chart WithSolidCancer(string icd10cm = "C50.912", Ago? daysAgo = null, string? text = null, string? clinicalStatus = "active", string? verificationStatus = "confirmed", string system = Icd10Cm) =>
        WithCondition(Coding(system, icd10cm, "Malignant neoplasm"), daysAgo ?? 365, text, clinicalStatus, verificationStatus);

    public Chart WithDyspnea(Ago daysAgo, string? text = null, string code = "267036007", string system = Snomed) =>
        WithCondition(Coding(system, code, "Dyspnea"), daysAgo, text);

    public Chart WithHypoxaemia(Ago daysAgo) => WithCondition(Coding(Icd10Cm, "R09.02", "Hypoxemia"), daysAgo);

    public Chart WithPulmonaryHypertension(Ago daysAgo, string icd10cm = "I27.20") =>
        WithCondition(Coding(Icd10Cm, icd10cm, "Pulmonary hypertension"), daysAgo);

    public Chart WithRightHeartFailure(Ago daysAgo, string icd10cm = "I50.810") =>
        WithCondition(Coding(Icd10Cm, icd10cm, "Right heart failure, unspecified"), daysAgo);

    public Chart WithPeCondition(Ago daysAgo, string icd10cm = "I26.99", string clinicalStatus = "active") =>
        WithCondition(Coding(Icd10Cm, icd10cm, "Other pulmonary embolism without acute cor pulmonale"), daysAgo, "Acute pulmonary embolism", clinicalStatus);

    public Chart WithCtephCondition(Ago daysAgo, string clinicalStatus = "active") =>
        WithCondition(Coding(Icd10Cm, "I27.24", "Chronic thromboembolic pulmonary hypertension"), daysAgo, null, clinicalStatus);

    public Chart WithPttmCondition(Ago daysAgo) =>
        WithCondition("Pulmonary tumor thrombotic microangiopathy", daysAgo);

    // ---------------------------------------------------------------- observations (C2, C3, C6)

    /// <summary>SpO2 by pulse oximetry (LOINC 59408-5), in % unless <paramref name="unit"/> says otherwise.</summary>
    public Chart WithSpO2(decimal value, Ago daysAgo, string unit = "%", ObservationStatus status = ObservationStatus.Final, string? method = null, string code = "59408-5") =>
        WithObservation(
            Coding(Loinc, code, "Oxygen saturation in Arterial blood by Pulse oximetry"),
            Quantity(value, unit),
            daysAgo,
            status,
            method is null ? null : new CodeableConcept { Text = method },
            category: "vital-signs");

    public Chart WithPaO2(decimal value, Ago daysAgo, string unit = "mm[Hg]", ObservationStatus status = ObservationStatus.Final) =>
        WithObservation(Coding(Loinc, "2703-7", "Oxygen [Partial pressure] in Arterial blood"), value, unit, daysAgo, status);

    public Chart WithPaCO2(decimal value, Ago daysAgo, string unit = "mm[Hg]") =>
        WithObservation(Coding(Loinc, "2019-8", "Carbon dioxide [Partial pressure] in Arterial blood"), value, unit, daysAgo);

    public Chart WithFiO2(decimal value, Ago daysAgo, string unit = "%") =>
        WithObservation(Coding(Loinc, "3150-0", "Inhaled oxygen concentration"), value, unit, daysAgo);

    public Chart WithOxygenFlow(decimal litresPerMinute, Ago daysAgo) =>
        WithObservation(Coding(Loinc, "3151-8", "Inhaled oxygen flow rate"), litresPerMinute, "L/min", daysAgo);

    public Chart WithAaGradient(decimal value, Ago daysAgo, string unit = "mm[Hg]") =>
        WithObservation(Coding(Loinc, "19991-9", "Alveolar-arterial oxygen Partial pressure difference"), value, unit, daysAgo);

    /// <summary>RV systolic pressure estimated by echo, under the local code of the shared cases.</summary>
    public Chart WithEchoRvsp(decimal value, Ago daysAgo, string unit = "mm[Hg]", ObservationStatus status = ObservationStatus.Final) =>
        WithObservation(Coding(Local, "ECHO-RVSP", "RV systolic pressure (echo estimate)"), value, unit, daysAgo, status, category: "imaging");

    public Chart WithTrVelocity(decimal value, Ago daysAgo, string unit = "m/s") =>
        WithObservation(Coding(Loinc, "79921-3", "Tricuspid regurgitation Vmax"), value, unit, daysAgo, category: "imaging");

    /// <summary>Mean PA pressure by right heart catheterisation (LOINC 8414-5).</summary>
    public Chart WithMpap(decimal value, Ago daysAgo, string unit = "mm[Hg]") =>
        WithObservation(Coding(Loinc, "8414-5", "Pulmonary artery Mean blood pressure"), value, unit, daysAgo, category: "procedure");

    /// <summary>PVR (SNOMED CT 276901002) in Wood units unless <paramref name="unit"/> says otherwise.</summary>
    public Chart WithPvr(decimal value, Ago daysAgo, string unit = "[wood'U]") =>
        WithObservation(Coding(Snomed, "276901002", "Pulmonary Vascular Resistance"), value, unit, daysAgo, category: "procedure");

    public Chart WithTapse(decimal value, Ago daysAgo, string unit = "mm") =>
        WithObservation(Coding(Loinc, "77903-3", "Tricuspid annular plane systolic excursion"), value, unit, daysAgo, category: "imaging");

    /// <summary>D-dimer: LOINC 48065-7 (FEU) or 48066-5 (DDU); the unit as the laboratory writes it.</summary>
    public Chart WithDDimer(decimal value, Ago daysAgo, string unit = "mg/L", bool ddu = false, string? unitText = null) =>
        WithObservation(
            Coding(Loinc, ddu ? "48066-5" : "48065-7", ddu ? "Fibrin D-dimer DDU [Mass/volume] in Platelet poor plasma" : "Fibrin D-dimer FEU [Mass/volume] in Platelet poor plasma"),
            Quantity(value, unit, unitText),
            daysAgo);

    public Chart WithPlatelets(decimal value, Ago daysAgo, string unit = "10*3/uL") =>
        WithObservation(Coding(Loinc, "777-3", "Platelets [#/volume] in Blood by Automated count"), value, unit, daysAgo);

    // ---------------------------------------------------------------- reports (C3, C4, C5, C7)

    /// <summary>A CTPA under the local code of the shared cases ("CT angiography chest for pulmonary embolism").</summary>
    public Chart WithCtpa(string conclusion, Ago daysAgo, DiagnosticReport.DiagnosticReportStatus status = DiagnosticReport.DiagnosticReportStatus.Final) =>
        WithReport(Coding(Local, "IMG-CTPA", "CT angiography chest for pulmonary embolism"), conclusion, daysAgo, status);

    /// <summary>A CTPA under LOINC 72251-2.</summary>
    public Chart WithLoincCtpa(string? conclusion, Ago daysAgo, IEnumerable<CodeableConcept>? conclusionCodes = null) =>
        WithReport(new CodeableConcept { Coding = [Coding(Loinc, "72251-2", "CT Pulmonary arteries for pulmonary embolus")] }, conclusion, daysAgo, conclusionCodes: conclusionCodes);

    public Chart WithContrastChestCt(string conclusion, Ago daysAgo) =>
        WithReport(Coding(Loinc, "24628-0", "CT Chest W contrast IV"), conclusion, daysAgo);

    public Chart WithEcho(string conclusion, Ago daysAgo) =>
        WithReport(new CodeableConcept { Coding = [Coding(Local, "CARD-TTE", "Transthoracic echocardiogram")] }, conclusion, daysAgo, category: "CUS");

    public Chart WithPerfusion(string conclusion, Ago daysAgo, bool ventilation = false) =>
        WithReport(new CodeableConcept
        {
            Coding = [ventilation ? Coding(Local, "NM-LUNG-VQ", "NM lung ventilation and perfusion scan") : Coding(Local, "NM-LUNG-PERF", "NM lung perfusion scan")],
        }, conclusion, daysAgo, category: "NMS");

    public Chart WithCytology(string conclusion, Ago daysAgo) =>
        WithReport(new CodeableConcept { Coding = [Coding(Local, "PATH-CYTO-PAWEDGE", "Cytology, pulmonary artery wedge blood")] }, conclusion, daysAgo, category: "CP");

    // ---------------------------------------------------------------- report text elsewhere (issue 18)

    /// <summary>
    /// A report whose only text is an attachment behind a url (<c>Binary/{id}-bin</c>), with the text the
    /// reading library got for it (<paramref name="problem"/>: it could not be read).
    /// </summary>
    public Chart WithAttachedReport(CodeableConcept code, string? text, Ago daysAgo, string? problem = null, string category = "RAD", string contentType = "application/pdf", string? conclusion = null)
    {
        WithReport(code, conclusion, daysAgo, category: category);
        var report = _reports[^1];
        var attachment = new Attachment { ContentType = contentType, Url = "Binary/" + report.Id + "-bin" };
        report.PresentedForm.Add(attachment);
        _texts[attachment] = new AttachmentText(problem is null ? text : null, problem, "Binary/" + report.Id + "-bin");
        return this;
    }

    /// <summary>A report whose text is only a narrative result Observation (LOINC 19005-8 impression, valueString).</summary>
    public Chart WithNarrativeReport(CodeableConcept code, string text, Ago daysAgo, string category = "RAD", string loinc = "19005-8", bool absolute = false, bool contained = false)
    {
        WithReport(code, null, daysAgo, category: category);
        var report = _reports[^1];
        var narrative = new Observation
        {
            Id = report.Id + "-imp",
            Status = ObservationStatus.Final,
            Code = Concept(Loinc, loinc, "Impression"),
            Subject = new ResourceReference("Patient/" + PatientId),
            Effective = new FhirDateTime(When(daysAgo)),
            Value = new FhirString(text),
        };
        if (contained)
        {
            report.Contained.Add(narrative);
            report.Result.Add(new ResourceReference("#" + narrative.Id));
        }
        else
        {
            _observations.Add(narrative);
            report.Result.Add(new ResourceReference((absolute ? "https://ehr.example.org/fhir/" : "") + "Observation/" + narrative.Id));
        }

        Last = "DiagnosticReport/" + report.Id;
        return this;
    }

    /// <summary>
    /// A clinical note (DocumentReference) with one attachment: inline text/plain <paramref name="text"/>, or
    /// (<paramref name="byUrl"/>) a url whose text the reading library read, or could not (<paramref name="problem"/>).
    /// </summary>
    public Chart WithNote(
        CodeableConcept type,
        string? text,
        Ago daysAgo,
        IEnumerable<CodeableConcept>? category = null,
        string? description = null,
        CompositionStatus? docStatus = CompositionStatus.Final,
        DocumentReferenceStatus status = DocumentReferenceStatus.Current,
        bool byUrl = false,
        string? problem = null,
        bool periodOnly = false)
    {
        var note = new DocumentReference
        {
            Id = NextId("note"),
            Status = status,
            DocStatus = docStatus,
            Type = type,
            Subject = new ResourceReference("Patient/" + PatientId),
            Description = description,
        };
        if (periodOnly)
        {
            note.Context = new DocumentReference.ContextComponent { Period = new Period(new FhirDateTime(When(daysAgo)), new FhirDateTime(When(daysAgo))) };
        }
        else
        {
            note.DateElement = new Instant(When(daysAgo));
        }

        if (category is not null)
        {
            note.Category.AddRange(category);
        }

        if (text is not null || problem is not null)
        {
            var attachment = byUrl || problem is not null
                ? new Attachment { ContentType = "application/pdf", Url = "Binary/" + note.Id + "-bin" }
                : new Attachment { ContentType = "text/plain", Data = Encoding.UTF8.GetBytes(text!) };
            if (byUrl || problem is not null)
            {
                _texts[attachment] = new AttachmentText(problem is null ? text : null, problem, "Binary/" + note.Id + "-bin");
            }

            note.Content.Add(new DocumentReference.ContentComponent { Attachment = attachment });
        }

        _notes.Add(note);
        Last = "DocumentReference/" + note.Id;
        return this;
    }

    /// <summary>An echocardiography note: LOINC 42148-7 (echocardiography report, DICOM CID 7000).</summary>
    public Chart WithEchoNote(string text, Ago daysAgo, bool byUrl = false) =>
        WithNote(Concept(Loinc, "42148-7", "US Heart"), text, daysAgo, byUrl: byUrl);

    /// <summary>The local code of the shared cases for a CTPA.</summary>
    public static CodeableConcept CtpaCode => Concept(Local, "IMG-CTPA", "CT angiography chest for pulmonary embolism");

    /// <summary>The local code of the shared cases for a transthoracic echocardiogram.</summary>
    public static CodeableConcept EchoCode => Concept(Local, "CARD-TTE", "Transthoracic echocardiogram");

    /// <summary>The local code of the shared cases for a right heart catheterisation.</summary>
    public static CodeableConcept RhcCode => Concept(Local, "CARD-RHC", "Right heart catheterization report");

    // ---------------------------------------------------------------- results

    public PatientRecord Build() => new(Patient, [.. _conditions], [.. _observations], [.. _reports], [.. _notes], new Dictionary<Attachment, AttachmentText>(_texts, ReferenceEqualityComparer.Instance));

    /// <summary>Builds the record and evaluates the rule at <see cref="Now"/>.</summary>
    public PttmAssessment Evaluate(PttmRuleOptions? options = null) => new PttmRule(options).Evaluate(Build(), Now);

    // ---------------------------------------------------------------- FHIR helpers

    public static Coding Coding(string system, string code, string? display = null) => new(system, code, display);

    public static CodeableConcept Concept(string system, string code, string? display = null) => new(system, code, display);

    public static Quantity Quantity(decimal value, string unit, string? unitText = null) =>
        new() { Value = value, Unit = unitText ?? unit, System = Ucum, Code = unit };

    public static CodeableConcept DataAbsent(string code = "unknown") => Concept(DataAbsentSystem, code);

    private string NextId(string kind) => $"{PatientId}-{kind}{++_sequence}";
}
