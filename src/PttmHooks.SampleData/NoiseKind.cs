namespace PttmHooks.SampleData;

/// <summary>The kinds of unrelated data <see cref="NoiseGenerator"/> makes.</summary>
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

    /// <summary>A low SpO2 by pulse oximetry, 84–90 %: hypoxaemia for C2 when it falls in the window.</summary>
    LowSpO2,

    /// <summary>A solid malignancy (breast, prostate, colon, lung, pancreas, stomach): C1; active two times in three.</summary>
    Malignancy,
}

/// <summary>When a generated resource is dated, relative to the generator's "now".</summary>
public enum NoiseTime
{
    /// <summary>In the 3 years before now, one in five inside the rule's 90-day look-back window.</summary>
    History,

    /// <summary>In the 3 years before now but at least 100 days before it: outside the window with room to spare.</summary>
    BeforeWindow,
}
