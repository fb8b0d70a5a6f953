using Hl7.Fhir.Model;

namespace PttmHooks.Clinical;

/// <summary>
/// The text read from one attachment (a report's <c>presentedForm</c>, a note's <c>content</c>), or
/// why it could not be read. The reading library reads attachments (inline or from the EHR's FHIR
/// server) before the rule runs; the rule itself does no I/O.
/// </summary>
/// <param name="Text">The plain text, or null when it could not be read.</param>
/// <param name="Problem">Why it could not be read ("application/msword is not read", "Binary/7 timed out"), or null.</param>
/// <param name="Origin">Where the text came from, for the card ("inline", "Binary/7").</param>
public sealed record AttachmentText(string? Text, string? Problem, string Origin)
{
    /// <summary>True when the attachment was read.</summary>
    public bool Ok => Text is not null;
}

/// <summary>
/// What the rule reads of a chart: the Patient (for age) and their Conditions, Observations,
/// DiagnosticReports and clinical notes (DocumentReference), as Firely FHIR R4 resources, with the
/// text of the attachments that were read. How they were gathered (prefetch, FHIR search, a Bundle
/// on disk) is not the rule's business.
/// </summary>
public sealed class PatientRecord
{
    private static readonly IReadOnlyDictionary<Attachment, AttachmentText> NoTexts =
        new Dictionary<Attachment, AttachmentText>(ReferenceEqualityComparer.Instance);

    /// <summary>Creates a record from resources already sorted by type.</summary>
    public PatientRecord(
        Patient? patient,
        IReadOnlyList<Condition> conditions,
        IReadOnlyList<Observation> observations,
        IReadOnlyList<DiagnosticReport> reports,
        IReadOnlyList<DocumentReference>? notes = null,
        IReadOnlyDictionary<Attachment, AttachmentText>? attachmentTexts = null)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        ArgumentNullException.ThrowIfNull(observations);
        ArgumentNullException.ThrowIfNull(reports);
        Patient = patient;
        Conditions = conditions;
        Observations = observations;
        Reports = reports;
        Notes = notes ?? [];
        AttachmentTexts = attachmentTexts ?? NoTexts;
    }

    /// <summary>The patient's clinical notes (DocumentReference).</summary>
    public IReadOnlyList<DocumentReference> Notes { get; }

    /// <summary>
    /// The text of each attachment that was read (or could not be), keyed by the attachment object
    /// itself (reference equality). An attachment not in here was not attempted.
    /// </summary>
    public IReadOnlyDictionary<Attachment, AttachmentText> AttachmentTexts { get; }

    /// <summary>The same record with the texts of its attachments.</summary>
    public PatientRecord WithAttachmentTexts(IReadOnlyDictionary<Attachment, AttachmentText> texts) =>
        new(Patient, Conditions, Observations, Reports, Notes, texts);

    /// <summary>The patient, when known (the rule uses the birth date for the A–a gradient's age limit).</summary>
    public Patient? Patient { get; }

    /// <summary>The patient's Conditions.</summary>
    public IReadOnlyList<Condition> Conditions { get; }

    /// <summary>The patient's Observations.</summary>
    public IReadOnlyList<Observation> Observations { get; }

    /// <summary>The patient's DiagnosticReports.</summary>
    public IReadOnlyList<DiagnosticReport> Reports { get; }

    /// <summary>An empty record: no data about anything.</summary>
    public static PatientRecord Empty { get; } = new(null, [], [], [], [], null);

    /// <summary>
    /// Sorts resources into a record. Resource types the rule does not read are ignored; the first
    /// Patient is the patient.
    /// </summary>
    public static PatientRecord FromResources(IEnumerable<Resource> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        Patient? patient = null;
        var conditions = new List<Condition>();
        var observations = new List<Observation>();
        var reports = new List<DiagnosticReport>();
        var notes = new List<DocumentReference>();
        foreach (var resource in resources)
        {
            switch (resource)
            {
                case Patient p:
                    patient ??= p;
                    break;
                case Condition c:
                    conditions.Add(c);
                    break;
                case Observation o:
                    observations.Add(o);
                    break;
                case DiagnosticReport r:
                    reports.Add(r);
                    break;
                case DocumentReference n:
                    notes.Add(n);
                    break;
            }
        }

        return new PatientRecord(patient, conditions, observations, reports, notes);
    }

    /// <summary>The resources of a Bundle's entries (a searchset, a collection or a transaction).</summary>
    public static PatientRecord FromBundle(Bundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        return FromResources(bundle.Entry.Select(e => e.Resource).OfType<Resource>());
    }

    /// <summary>Every resource in the record.</summary>
    public IEnumerable<Resource> Resources()
    {
        if (Patient is not null)
        {
            yield return Patient;
        }

        foreach (var c in Conditions)
        {
            yield return c;
        }

        foreach (var o in Observations)
        {
            yield return o;
        }

        foreach (var r in Reports)
        {
            yield return r;
        }

        foreach (var n in Notes)
        {
            yield return n;
        }
    }
}
