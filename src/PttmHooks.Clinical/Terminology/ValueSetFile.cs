using System.Text.Json;
using System.Text.Json.Serialization;

namespace PttmHooks.Clinical.Terminology;

// The shape of the embedded value-sets.json and phrases.json. Read once at start-up.
internal sealed class ValueSetFile
{
    public string Version { get; set; } = "";
    public string Source { get; set; } = "";
    public Dictionary<string, string> Systems { get; set; } = [];
    public Dictionary<string, string> SystemAliases { get; set; } = [];
    public Dictionary<string, string> UnitAliases { get; set; } = [];
    public Dictionary<string, string> Icd10Sites { get; set; } = [];
    public Dictionary<string, string[]> TextSites { get; set; } = [];
    public Dictionary<string, string[]> RiskFlags { get; set; } = [];
    public List<ValueSetEntry> ValueSets { get; set; } = [];
    public List<ConclusionCodeEntry> ConclusionCodes { get; set; } = [];
    public Dictionary<string, OrderCodeEntry> Orders { get; set; } = [];
    public List<ReportFamilyEntry> ReportFamilies { get; set; } = [];

    internal static readonly JsonSerializerOptions Options = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static T Load<T>(string logicalName)
    {
        using var stream = typeof(ValueSetFile).Assembly.GetManifestResourceStream(logicalName)
            ?? throw new InvalidOperationException($"Embedded resource {logicalName} is missing from the build.");
        return JsonSerializer.Deserialize<T>(stream, Options)
            ?? throw new InvalidOperationException($"Embedded resource {logicalName} is empty.");
    }
}

internal sealed class ValueSetEntry
{
    public string Id { get; set; } = "";
    public string Title { get; set; } = "";
    public string[] AppliesTo { get; set; } = [];
    public string Criterion { get; set; } = "";
    public string? Unit { get; set; }
    public List<CodeEntryDto> Codes { get; set; } = [];
    public Icd10RuleDto? Icd10 { get; set; }
    public string[] Synonyms { get; set; } = [];
    public string[] ExcludeSynonyms { get; set; } = [];
    public string[][] RequiresAll { get; set; } = [];
}

internal sealed class CodeEntryDto
{
    public string System { get; set; } = "";
    public string Code { get; set; } = "";
    public string Display { get; set; } = "";
    public bool Confirmed { get; set; }
    public string? Site { get; set; }
    public string[] Flags { get; set; } = [];
}

internal sealed class Icd10RuleDto
{
    public string[] Include { get; set; } = [];
    public string[] Exclude { get; set; } = [];
}

internal sealed class ConclusionCodeEntry
{
    public string System { get; set; } = "";
    public string Code { get; set; } = "";
    public string Meaning { get; set; } = "";
    public string Display { get; set; } = "";
}

internal sealed class OrderCodeEntry
{
    public string System { get; set; } = "";
    public string Code { get; set; } = "";
    public string Display { get; set; } = "";
    public string Text { get; set; } = "";
    public string? SpecimenText { get; set; }
}

internal sealed class PhraseFile
{
    public string About { get; set; } = "";
    public Dictionary<string, string[]> Cues { get; set; } = [];
    public Dictionary<string, string[]> Findings { get; set; } = [];
}

/// <summary>
/// A family of reports or notes named by a category or a generic document code (imaging, cardiac
/// ultrasound, pathology): the kinds its text may make it, or the one kind it is.
/// </summary>
internal sealed class ReportFamilyEntry
{
    public string Id { get; set; } = "";
    public string? Kind { get; set; }
    public string[] Kinds { get; set; } = [];
    public List<CodeEntryDto> Codes { get; set; } = [];
}

// The shape of the embedded measures.json (numbers in report text).
internal sealed class MeasureFile
{
    public string About { get; set; } = "";
    public List<MeasureEntry> Measures { get; set; } = [];
    public string[] Connectors { get; set; } = [];
    public Dictionary<string, string> Units { get; set; } = [];
    public List<NotMeasuredEntry> NotMeasured { get; set; } = [];
}

internal sealed class MeasureEntry
{
    public string Concept { get; set; } = "";
    public string[] Names { get; set; } = [];
    public List<BareUnitEntry> Bare { get; set; } = [];
}

internal sealed class BareUnitEntry
{
    public double? Min { get; set; }
    public double? Max { get; set; }
    public string Unit { get; set; } = "";
}

internal sealed class NotMeasuredEntry
{
    public string Phrase { get; set; } = "";
    public string[] Concepts { get; set; } = [];
}
