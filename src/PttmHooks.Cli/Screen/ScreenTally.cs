using PttmHooks.Clinical.Assessment;

namespace PttmHooks.Cli.Screen;

/// <summary>What one NDJSON resource type brought.</summary>
internal sealed class TypeCounts
{
    /// <summary>Files read.</summary>
    public int Files { get; set; }

    /// <summary>Non-blank lines.</summary>
    public long Lines { get; set; }

    /// <summary>Lines that are not a JSON object with a resourceType.</summary>
    public long Unreadable { get; set; }

    /// <summary>Lines whose resourceType is not the one the rule reads from this file.</summary>
    public long OtherType { get; set; }

    /// <summary>Resources with no subject that names a Patient (nobody's chart to put them in).</summary>
    public long Unattributed { get; set; }
}

/// <summary>
/// The counts of a screening run: what the export held, what was evaluated, and how many patients
/// each criterion state, recommendation, suspicion and indicator reached. Counts only, so that the
/// console and the summary can show them without a single identifier.
/// </summary>
internal sealed class ScreenTally
{
    private static readonly CriterionId[] s_criteria = Enum.GetValues<CriterionId>();

    /// <summary>Counts per resource type (pass 2 reads every line).</summary>
    public Dictionary<string, TypeCounts> Types { get; } = BulkExport.Types.ToDictionary(t => t, _ => new TypeCounts(), StringComparer.Ordinal);

    /// <summary>NDJSON files of other resource types, not read.</summary>
    public List<string> SkippedFiles { get; } = [];

    /// <summary>Conditions (pass 1) that are not FHIR R4 Conditions at all.</summary>
    public long UnreadableConditions { get; set; }

    /// <summary>Conditions whose own evaluation meets C1 (one patient can have several).</summary>
    public long MalignancyConditions { get; set; }

    /// <summary>The Bloom filter's size.</summary>
    public long BloomBytes { get; set; }

    /// <summary>Partitions the candidates' lines were grouped into.</summary>
    public int Partitions { get; set; }

    /// <summary>Bytes written to the partitions (the candidates' lines, and the filter's false positives).</summary>
    public long PartitionBytes { get; set; }

    /// <summary>The largest partition, in bytes: what pass 3 holds at once.</summary>
    public long LargestPartitionBytes { get; set; }

    /// <summary>Patients whose lines reached a partition but who have no solid malignancy (the filter's false positives).</summary>
    public long FalsePositives { get; set; }

    /// <summary>Resources of evaluated patients that were read in part (invalid elements skipped).</summary>
    public long ReadInPart { get; set; }

    /// <summary>Resources of evaluated patients that could not be read as FHIR R4 (left out).</summary>
    public long UnreadableResources { get; set; }

    /// <summary>Report and note attachments the rule asked for, of evaluated patients.</summary>
    public long Attachments { get; set; }

    /// <summary>Of those, the ones whose text could not be read (a url to no Binary of the export, a content type not read, …).</summary>
    public long UnreadAttachments { get; set; }

    /// <summary>Patients evaluated: every patient with a solid malignancy (C1 met).</summary>
    public long Evaluated { get; private set; }

    /// <summary>Patients with a card (a recommendation other than none).</summary>
    public long Flagged { get; private set; }

    /// <summary>Patients with rapid progression.</summary>
    public long RapidProgression { get; private set; }

    /// <summary>Patients per criterion and state.</summary>
    public Dictionary<(CriterionId, CriterionState), long> Criteria { get; } = [];

    /// <summary>Patients per C5 reading.</summary>
    public Dictionary<PerfusionFinding, long> Perfusion { get; } = [];

    /// <summary>Patients per recommendation, suspicion and indicator.</summary>
    public Dictionary<(Recommendation, Suspicion?, Indicator?), long> Outcomes { get; } = [];

    /// <summary>Patients (lines of the Patient files).</summary>
    public long Patients => Types["Patient"].Lines - Types["Patient"].Unreadable - Types["Patient"].OtherType;

    /// <summary>The criteria in the rule's order.</summary>
    public static IReadOnlyList<CriterionId> CriterionOrder => s_criteria;

    /// <summary>Counts one evaluated patient.</summary>
    public void Add(PttmAssessment assessment)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        Evaluated++;
        foreach (var criterion in assessment.Criteria)
        {
            Criteria[(criterion.Id, criterion.State)] = Criteria.GetValueOrDefault((criterion.Id, criterion.State)) + 1;
        }

        Perfusion[assessment.Perfusion] = Perfusion.GetValueOrDefault(assessment.Perfusion) + 1;
        var outcome = (assessment.Recommendation, assessment.Suspicion, assessment.Indicator);
        Outcomes[outcome] = Outcomes.GetValueOrDefault(outcome) + 1;
        Flagged += assessment.Recommendation == Recommendation.None ? 0 : 1;
        RapidProgression += assessment.RapidProgression ? 1 : 0;
    }

    /// <summary>Patients with <paramref name="recommendation"/>.</summary>
    public long With(Recommendation recommendation) => Outcomes.Where(o => o.Key.Item1 == recommendation).Sum(o => o.Value);

    /// <summary>Patients with <paramref name="id"/> in <paramref name="state"/>.</summary>
    public long With(CriterionId id, CriterionState state) => Criteria.GetValueOrDefault((id, state));
}
