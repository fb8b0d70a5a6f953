using Hl7.Fhir.Model;

namespace PttmHooks.Clinical;

/// <summary>
/// What the rule reads of a chart: the Patient (for age) and their Conditions, Observations and
/// DiagnosticReports, as Firely FHIR R4 resources. How they were gathered (prefetch, FHIR search, a
/// Bundle on disk) is not the rule's business.
/// </summary>
public sealed class PatientRecord
{
    /// <summary>Creates a record from resources already sorted by type.</summary>
    public PatientRecord(
        Patient? patient,
        IReadOnlyList<Condition> conditions,
        IReadOnlyList<Observation> observations,
        IReadOnlyList<DiagnosticReport> reports)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        ArgumentNullException.ThrowIfNull(observations);
        ArgumentNullException.ThrowIfNull(reports);
        Patient = patient;
        Conditions = conditions;
        Observations = observations;
        Reports = reports;
    }

    /// <summary>The patient, when known (the rule uses the birth date for the A–a gradient's age limit).</summary>
    public Patient? Patient { get; }

    /// <summary>The patient's Conditions.</summary>
    public IReadOnlyList<Condition> Conditions { get; }

    /// <summary>The patient's Observations.</summary>
    public IReadOnlyList<Observation> Observations { get; }

    /// <summary>The patient's DiagnosticReports.</summary>
    public IReadOnlyList<DiagnosticReport> Reports { get; }

    /// <summary>An empty record: no data about anything.</summary>
    public static PatientRecord Empty { get; } = new(null, [], [], []);

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
            }
        }

        return new PatientRecord(patient, conditions, observations, reports);
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
    }
}
