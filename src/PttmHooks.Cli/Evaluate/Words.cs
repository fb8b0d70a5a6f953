using PttmHooks.Clinical.Assessment;

namespace PttmHooks.Cli.Evaluate;

/// <summary>
/// The words the CLI writes for the rule's values: the vocabulary of <c>samples/cases/*/case.json</c>
/// (<c>wedged-pa-cytology</c>, <c>suspected</c>, <c>critical</c>, <c>Met</c>, <c>defects</c>), shared by
/// the table, the JSON document and the screening reports.
/// </summary>
internal static class Words
{
    /// <summary><c>none</c>, <c>lung-perfusion-scan</c> or <c>wedged-pa-cytology</c>.</summary>
    public static string Of(Recommendation recommendation) => recommendation switch
    {
        Recommendation.LungPerfusionScan => "lung-perfusion-scan",
        Recommendation.WedgedPaCytology => "wedged-pa-cytology",
        _ => "none",
    };

    /// <summary><c>suspected</c>, <c>possible</c>, or null (no card).</summary>
    public static string? Of(Suspicion? suspicion) => suspicion switch
    {
        Suspicion.Suspected => "suspected",
        Suspicion.Possible => "possible",
        _ => null,
    };

    /// <summary><c>info</c>, <c>warning</c>, <c>critical</c>, or null (no card).</summary>
    public static string? Of(Indicator? indicator) => indicator switch
    {
        Indicator.Info => "info",
        Indicator.Warning => "warning",
        Indicator.Critical => "critical",
        _ => null,
    };

    /// <summary><c>Met</c>, <c>NotMet</c> or <c>Unknown</c>.</summary>
    public static string Of(CriterionState state) => state switch
    {
        CriterionState.Met => "Met",
        CriterionState.NotMet => "NotMet",
        _ => "Unknown",
    };

    /// <summary>C5's reading: <c>defects</c>, <c>normal</c> or <c>none</c>.</summary>
    public static string Of(PerfusionFinding perfusion) => perfusion switch
    {
        PerfusionFinding.Defects => "defects",
        PerfusionFinding.Normal => "normal",
        _ => "none",
    };

    /// <summary><c>decisive</c>, <c>against</c> or <c>context</c>.</summary>
    public static string Of(EvidenceRole role) => role switch
    {
        EvidenceRole.Decisive => "decisive",
        EvidenceRole.Against => "against",
        _ => "context",
    };

    /// <summary><c>C1</c> … <c>C7</c>, <c>Cteph</c>: the keys of case.json's <c>criteria</c>.</summary>
    public static string Of(CriterionId id) => id.ToString();
}
