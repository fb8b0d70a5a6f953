namespace PttmHooks.Service.Cards;

/// <summary>The case reports the rule is drawn from (the seeds), as card links.</summary>
internal static class Publications
{
    /// <summary>Label and absolute URL of each source publication.</summary>
    /// <remarks>
    /// DOIs checked against the publishers' and PubMed pages. The 2017 letter (seed 000) has no DOI
    /// that could be confirmed; it links to its PubMed Central copy instead.
    /// </remarks>
    public static readonly IReadOnlyList<(string Label, string Url)> All =
    [
        ("Letter: PTTM in breast cancer found by lung perfusion scan (PMC5432793)", "https://pmc.ncbi.nlm.nih.gov/articles/PMC5432793/"),
        ("Editorial: suspected PTTM and unexplained PH, Korean Circ J 2023", "https://doi.org/10.4070/kcj.2023.0019"),
        ("Kubota et al.: imatinib in PTTM from gastric cancer, BMJ Case Rep 2017", "https://doi.org/10.1136/bcr-2017-221032"),
        ("Fukada et al.: imatinib for PTTM in metastatic breast cancer, SpringerPlus 2016", "https://doi.org/10.1186/s40064-016-3280-4"),
        ("Venn et al.: respiratory failure in a cancer patient, Clin Med 2020", "https://doi.org/10.7861/clinmed.2020-0102"),
    ];
}
