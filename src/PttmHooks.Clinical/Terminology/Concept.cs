namespace PttmHooks.Clinical.Terminology;

/// <summary>
/// The clinical concepts of the PTTM rule. Each is a value set in <c>value-sets.json</c> with the same id;
/// the enum exists so the criteria can name them without strings.
/// </summary>
public enum Concept
{
    /// <summary>Solid malignant neoplasm (C1).</summary>
    SolidMalignancy,
    /// <summary>Personal history of malignant neoplasm, solid (C1).</summary>
    MalignancyHistory,
    /// <summary>Haematological malignancy: does not meet C1 alone.</summary>
    HaematologicalMalignancy,
    /// <summary>Dyspnea Condition (C2).</summary>
    Dyspnea,
    /// <summary>Hypoxaemia Condition (C2).</summary>
    HypoxaemiaCondition,
    /// <summary>Oxygen saturation, % (C2).</summary>
    SpO2,
    /// <summary>Arterial oxygen partial pressure, mmHg (C2).</summary>
    PaO2,
    /// <summary>Arterial carbon dioxide partial pressure, mmHg (C2, A-a gradient).</summary>
    PaCO2,
    /// <summary>Inspired oxygen fraction, % (C2, A-a gradient).</summary>
    FiO2,
    /// <summary>Inhaled oxygen flow rate (C2: the patient is on oxygen).</summary>
    OxygenFlow,
    /// <summary>Alveolar-arterial oxygen gradient, mmHg (C2).</summary>
    AaGradient,
    /// <summary>RV or PA systolic pressure, mmHg (C3).</summary>
    RvSystolicPressure,
    /// <summary>Mean pulmonary artery pressure, mmHg (C3).</summary>
    MeanPaPressure,
    /// <summary>Tricuspid regurgitation peak velocity, m/s (C3).</summary>
    TrVelocity,
    /// <summary>Tricuspid annular plane systolic excursion, mm (C3).</summary>
    Tapse,
    /// <summary>Pulmonary vascular resistance, Wood units (C3).</summary>
    Pvr,
    /// <summary>Pulmonary hypertension Condition (C3).</summary>
    PhCondition,
    /// <summary>Right heart failure Condition (C3).</summary>
    RightHeartFailure,
    /// <summary>Pulmonary embolism Condition (C4).</summary>
    PeCondition,
    /// <summary>Chronic thromboembolic pulmonary hypertension (differential).</summary>
    CtephCondition,
    /// <summary>D-dimer (C6).</summary>
    DDimer,
    /// <summary>Platelet count (C6).</summary>
    Platelets,
    /// <summary>Thrombocytopenia Condition (C6).</summary>
    Thrombocytopenia,
    /// <summary>Disseminated intravascular coagulation (C6).</summary>
    Dic,
    /// <summary>Microangiopathic haemolytic anaemia (C6).</summary>
    Maha,
    /// <summary>Fibrinogen (C6, shown with its interpretation).</summary>
    Fibrinogen,
    /// <summary>Lactate dehydrogenase (C6, shown with its interpretation).</summary>
    Ldh,
    /// <summary>Haptoglobin (C6, shown with its interpretation).</summary>
    Haptoglobin,
    /// <summary>BNP, pg/mL (C6).</summary>
    Bnp,
    /// <summary>NT-proBNP, pg/mL (C6).</summary>
    NtProBnp,
    /// <summary>DLCO, % predicted (C6).</summary>
    Dlco,
    /// <summary>KCO, % predicted (C6).</summary>
    Kco,
    /// <summary>Lymphangitic carcinomatosis (a differential named in the card).</summary>
    LymphangiticCarcinomatosis,
    /// <summary>Pulmonary tumour thrombotic microangiopathy diagnosed (C7).</summary>
    PttmCondition,
    /// <summary>Pulmonary tumour embolism diagnosed (C7).</summary>
    TumourEmbolism,
    /// <summary>CT pulmonary angiography report (C4).</summary>
    CtpaReport,
    /// <summary>Contrast-enhanced chest CT report (C4 when it comments on the pulmonary arteries).</summary>
    ChestCtContrastReport,
    /// <summary>Chest CT report (C4 when it comments on the pulmonary arteries).</summary>
    ChestCtReport,
    /// <summary>Echocardiography report (C3).</summary>
    EchoReport,
    /// <summary>Right heart catheterisation report (C3).</summary>
    RhcReport,
    /// <summary>Lung perfusion or V/Q scintigraphy report (C5).</summary>
    PerfusionReport,
    /// <summary>Wedged pulmonary artery blood cytology report (C7).</summary>
    PaCytologyReport,
}

/// <summary>A set of <see cref="Concept"/>s as a bit mask: matching a code costs no allocation.</summary>
public readonly record struct ConceptSet(ulong Bits)
{
    /// <summary>The empty set.</summary>
    public static ConceptSet Empty => default;

    /// <summary>True when no concept is in the set.</summary>
    public bool IsEmpty => Bits == 0;

    /// <summary>True when <paramref name="concept"/> is in the set.</summary>
    public bool Contains(Concept concept) => (Bits & (1UL << (int)concept)) != 0;

    /// <summary>The set with <paramref name="concept"/> added.</summary>
    public ConceptSet With(Concept concept) => new(Bits | (1UL << (int)concept));

    /// <summary>The set without <paramref name="concept"/>.</summary>
    public ConceptSet Without(Concept concept) => new(Bits & ~(1UL << (int)concept));

    /// <summary>The union of two sets.</summary>
    public ConceptSet Union(ConceptSet other) => new(Bits | other.Bits);

    /// <summary>The intersection of two sets.</summary>
    public ConceptSet Intersect(ConceptSet other) => new(Bits & other.Bits);

    /// <summary>The concepts in the set, in enum order.</summary>
    public IEnumerable<Concept> Items()
    {
        for (var i = 0; i < 64; i++)
        {
            if ((Bits & (1UL << i)) != 0)
            {
                yield return (Concept)i;
            }
        }
    }
}
