namespace PttmHooks.Clinical.Assessment;

/// <summary>The criteria of the PTTM rule (pttm-criteria.md).</summary>
public enum CriterionId
{
    /// <summary>C1 Solid malignancy (gate).</summary>
    C1,
    /// <summary>C2 Unexplained hypoxaemia or progressive dyspnea.</summary>
    C2,
    /// <summary>C3 Pulmonary hypertension or right-ventricular strain.</summary>
    C3,
    /// <summary>C4 Pulmonary embolism excluded.</summary>
    C4,
    /// <summary>C5 Perfusion imaging (defects / normal / none).</summary>
    C5,
    /// <summary>C6 Supporting findings.</summary>
    C6,
    /// <summary>C7 Already established.</summary>
    C7,
    /// <summary>The CTEPH differential.</summary>
    Cteph,
}

/// <summary>A criterion's state.</summary>
public enum CriterionState
{
    /// <summary>No data to decide it.</summary>
    Unknown,
    /// <summary>The data meet it.</summary>
    Met,
    /// <summary>The data do not meet it.</summary>
    NotMet,
}

/// <summary>C5's reading of perfusion imaging.</summary>
public enum PerfusionFinding
{
    /// <summary>No lung perfusion or V/Q scan in the window.</summary>
    None,
    /// <summary>No perfusion defect: PTTM unlikely.</summary>
    Normal,
    /// <summary>Multiple small, segmental, subsegmental, peripheral or patchy defects or flow reduction.</summary>
    Defects,
}

/// <summary>One criterion: its state, a sentence saying why, and the evidence behind it.</summary>
public sealed record CriterionResult(CriterionId Id, CriterionState State, string Summary, IReadOnlyList<Evidence> Evidence)
{
    /// <summary>The criterion's title as the rule names it.</summary>
    public string Title => Id switch
    {
        CriterionId.C1 => "Solid malignancy",
        CriterionId.C2 => "Hypoxaemia or progressive dyspnea",
        CriterionId.C3 => "Pulmonary hypertension or RV strain",
        CriterionId.C4 => "Pulmonary embolism excluded",
        CriterionId.C5 => "Perfusion imaging",
        CriterionId.C6 => "Supporting findings",
        CriterionId.C7 => "PTTM already established",
        CriterionId.Cteph => "CTEPH differential",
        _ => Id.ToString(),
    };
}
