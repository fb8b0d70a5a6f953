using PttmHooks.Clinical.Terminology;

namespace PttmHooks.Clinical.Text;

/// <summary>
/// The categories of the phrase index, numbered once at load: the cues of <c>phrases.json</c>, its
/// findings, and for each value set its synonyms, exclusions and required word groups.
/// </summary>
internal sealed class Categories
{
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);

    public int NegationBefore { get; private set; }
    public int NegationAfter { get; private set; }
    public int Uncertainty { get; private set; }
    public int Terminator { get; private set; }
    public int Hypothetical { get; private set; }
    public int PeMention { get; private set; }
    public int PePseudo { get; private set; }
    public int ChronicThromboembolic { get; private set; }
    public int PerfusionDefect { get; private set; }
    public int PerfusionNormal { get; private set; }
    public int EchoPh { get; private set; }
    public int EchoNormalRv { get; private set; }
    public int MalignantCells { get; private set; }
    public int CtSupporting { get; private set; }
    public int Lymphangitic { get; private set; }
    public int Exertion { get; private set; }
    public int RoomAir { get; private set; }
    public int RapidProgression { get; private set; }
    public int QualitativePositive { get; private set; }
    public int QualitativeNegative { get; private set; }
    public int StudyLimited { get; private set; }

    /// <summary>Per concept: the category of its synonyms (-1: none).</summary>
    public int[] Synonym { get; private set; } = [];

    /// <summary>Per concept: the category of its exclusion synonyms (-1: none).</summary>
    public int[] Exclude { get; private set; } = [];

    /// <summary>Per concept: categories that must all be present (word groups), or empty.</summary>
    public int[][] Requires { get; private set; } = [];

    public Dictionary<int, string> SiteByCategory { get; } = [];

    public Dictionary<int, CodeTraits> FlagByCategory { get; } = [];

    /// <summary>True for the cue categories (negation, uncertainty, terminators, hypothetical).</summary>
    public bool IsCue(int category) =>
        category == NegationBefore || category == NegationAfter || category == Uncertainty
        || category == Terminator || category == Hypothetical;

    internal List<(string Phrase, int Category)> Register(ValueSetFile file, PhraseFile phrases, int conceptCount)
    {
        var entries = new List<(string, int)>();
        int Add(string name, IEnumerable<string> list)
        {
            if (!_byName.TryGetValue(name, out var id))
            {
                _byName[name] = id = _byName.Count;
            }

            entries.AddRange(list.Select(p => (p, id)));
            return id;
        }

        string[] Cue(string name) => phrases.Cues.TryGetValue(name, out var l) ? l
            : throw new InvalidOperationException($"phrases.json: cue list '{name}' is missing.");
        string[] Finding(string name) => phrases.Findings.TryGetValue(name, out var l) ? l
            : throw new InvalidOperationException($"phrases.json: finding list '{name}' is missing.");

        NegationBefore = Add("cue:negationBefore", Cue("negationBefore"));
        NegationAfter = Add("cue:negationAfter", Cue("negationAfter"));
        Uncertainty = Add("cue:uncertainty", Cue("uncertainty"));
        Terminator = Add("cue:terminators", Cue("terminators"));
        Hypothetical = Add("cue:hypothetical", Cue("hypothetical"));
        PeMention = Add("PeMention", Finding("PeMention"));
        PePseudo = Add("PePseudo", Finding("PePseudo"));
        ChronicThromboembolic = Add("ChronicThromboembolic", Finding("ChronicThromboembolic"));
        PerfusionDefect = Add("PerfusionDefect", Finding("PerfusionDefect"));
        PerfusionNormal = Add("PerfusionNormal", Finding("PerfusionNormal"));
        EchoPh = Add("EchoPh", Finding("EchoPh"));
        EchoNormalRv = Add("EchoNormalRv", Finding("EchoNormalRv"));
        MalignantCells = Add("MalignantCells", Finding("MalignantCells"));
        CtSupporting = Add("CtSupporting", Finding("CtSupporting"));
        Lymphangitic = Add("Lymphangitic", Finding("Lymphangitic"));
        Exertion = Add("Exertion", Finding("Exertion"));
        RoomAir = Add("RoomAir", Finding("RoomAir"));
        RapidProgression = Add("RapidProgression", Finding("RapidProgression"));
        QualitativePositive = Add("QualitativePositive", Finding("QualitativePositive"));
        QualitativeNegative = Add("QualitativeNegative", Finding("QualitativeNegative"));
        StudyLimited = Add("StudyLimited", Finding("StudyLimited"));

        Synonym = Enumerable.Repeat(-1, conceptCount).ToArray();
        Exclude = Enumerable.Repeat(-1, conceptCount).ToArray();
        Requires = new int[conceptCount][];
        foreach (var set in file.ValueSets)
        {
            var c = (int)Enum.Parse<Concept>(set.Id);
            if (set.Synonyms.Length > 0)
            {
                Synonym[c] = Add("vs:" + set.Id, set.Synonyms);
            }

            if (set.ExcludeSynonyms.Length > 0)
            {
                Exclude[c] = Add("vsx:" + set.Id, set.ExcludeSynonyms);
            }

            Requires[c] = [.. set.RequiresAll.Select((group, i) => Add($"vsr:{set.Id}:{i}", group))];
        }

        foreach (var (site, list) in file.TextSites)
        {
            SiteByCategory[Add("site:" + site, list)] = site;
        }

        foreach (var (flag, list) in file.RiskFlags)
        {
            FlagByCategory[Add("flag:" + flag, list)] = flag switch
            {
                "adenocarcinoma" => CodeTraits.Adenocarcinoma,
                "signet-ring" => CodeTraits.SignetRing,
                _ => throw new InvalidOperationException($"value-sets.json: unknown risk flag '{flag}'."),
            };
        }

        return entries;
    }
}
