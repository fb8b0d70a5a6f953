using PttmHooks.Clinical.Assessment;
using PttmHooks.Clinical.Chart;
using PttmHooks.Clinical.Criteria;
using PttmHooks.Clinical.Terminology;

namespace PttmHooks.Clinical;

/// <summary>
/// The PTTM screening rule (pttm-criteria.md, version 1.1): reads a patient's record and says whether the
/// chart shows the pattern of pulmonary tumour thrombotic microangiopathy, what the next diagnostic step
/// is, and why. Pure and thread-safe: no I/O, no clock of its own. One instance can serve every request.
/// </summary>
/// <remarks>
/// Unit conversion uses Fhir.Metrics, which needs the en-US culture: a host that runs with
/// <c>InvariantGlobalization</c> must also set <c>PredefinedCulturesOnly=false</c>. The constructor
/// throws <see cref="InvalidOperationException"/> when conversion does not work.
/// </remarks>
public sealed class PttmRule
{
    private readonly Knowledge _knowledge;

    /// <summary>Creates the rule; the value sets are loaded once per process, on first use.</summary>
    public PttmRule(PttmRuleOptions? options = null)
        : this(options, Knowledge.Instance)
    {
    }

    /// <summary>Creates the rule on <paramref name="knowledge"/> (tests).</summary>
    internal PttmRule(PttmRuleOptions? options, Knowledge knowledge)
    {
        Options = options ?? PttmRuleOptions.Default;
        if (Options.LookBack <= TimeSpan.Zero || Options.CtpaMaxAge <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "The look-back window and the CTPA age limit must be positive.");
        }

        _knowledge = knowledge;
        Units.UnitConverter.Instance.EnsureWorking();
    }

    /// <summary>The rule's parameters.</summary>
    public PttmRuleOptions Options { get; }

    /// <summary>The version of the rule and its value sets.</summary>
    public string Version => _knowledge.Version;

    /// <summary>
    /// The default order for <paramref name="recommendation"/> (terminology.md): lung perfusion
    /// scintigraphy, or cytology of wedged pulmonary artery blood.
    /// </summary>
    public OrderCode DefaultOrder(Recommendation recommendation) => recommendation switch
    {
        Recommendation.LungPerfusionScan => _knowledge.Order("lung-perfusion-scan"),
        Recommendation.WedgedPaCytology => _knowledge.Order("wedged-pa-cytology"),
        _ => throw new ArgumentOutOfRangeException(nameof(recommendation), recommendation, "No order goes with this recommendation."),
    };

    /// <summary>
    /// The attachments whose text the rule would read and has not got yet: those of the reports and
    /// notes of the kinds it reads (CT and CTPA, perfusion scans, echocardiography, right heart
    /// catheterisation, wedged pulmonary artery cytology; or of an imaging, cardiology or pathology
    /// family whose kind only the text would tell), dated inside the look-back window (cytology at any
    /// time), that have no entry in <see cref="PatientRecord.AttachmentTexts"/>. Lab reports and notes of
    /// other kinds are never asked for (docs/clinical-rule.md reading 34). The reading library reads these
    /// (inline, or from the EHR's FHIR server) and gives them back with <see cref="PatientRecord.WithAttachmentTexts"/>.
    /// </summary>
    public IReadOnlyList<(Hl7.Fhir.Model.Resource Owner, Hl7.Fhir.Model.Attachment Attachment)> AttachmentsToRead(PatientRecord record, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        var window = new Window(now - Options.LookBack, now, now + Options.FutureTolerance);
        var wanted = new List<(Hl7.Fhir.Model.Resource, Hl7.Fhir.Model.Attachment)>();
        foreach (var candidate in ChartReader.Candidates(record, _knowledge))
        {
            var matters = candidate.Kind is { } kind
                ? RuleRun.Matters(kind, candidate.At, window)
                : candidate.Family is { } family && family.Kinds.Items().Any(k => RuleRun.Matters(k, candidate.At, window));
            if (!matters)
            {
                continue;
            }

            var attachments = candidate.Resource switch
            {
                Hl7.Fhir.Model.DiagnosticReport report => report.PresentedForm,
                Hl7.Fhir.Model.DocumentReference note => note.Content.Select(c => c.Attachment).OfType<Hl7.Fhir.Model.Attachment>(),
                _ => [],
            };
            foreach (var attachment in attachments)
            {
                if (!record.AttachmentTexts.ContainsKey(attachment) && (attachment.Data is { Length: > 0 } || !string.IsNullOrEmpty(attachment.Url)))
                {
                    wanted.Add((candidate.Resource, attachment));
                }
            }
        }

        return wanted;
    }

    /// <summary>Evaluates the rule for <paramref name="record"/> as of <paramref name="now"/>.</summary>
    public PttmAssessment Evaluate(PatientRecord record, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        var facts = ChartReader.Read(record, _knowledge);
        return new RuleRun(facts, _knowledge, Options, now).Evaluate();
    }

    /// <summary>Evaluates the rule for <paramref name="record"/> at the time <paramref name="time"/> gives.</summary>
    public PttmAssessment Evaluate(PatientRecord record, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return Evaluate(record, time.GetUtcNow());
    }
}
