using System.Collections.Concurrent;
using System.Collections.Frozen;
using Hl7.Fhir.Model;
using PttmHooks.Clinical.Text;

namespace PttmHooks.Clinical.Terminology;

/// <summary>Kinds of FHIR resources a value set applies to.</summary>
[Flags]
internal enum ResourceKinds
{
    None = 0,
    Condition = 1,
    Observation = 2,
    DiagnosticReport = 4,
}

/// <summary>Facts attached to a code or a text beyond its concept.</summary>
[Flags]
public enum CodeTraits
{
    /// <summary>Nothing more.</summary>
    None = 0,
    /// <summary>Adenocarcinoma morphology (higher PTTM risk).</summary>
    Adenocarcinoma = 1,
    /// <summary>Signet-ring cell morphology (higher PTTM risk).</summary>
    SignetRing = 2,
    /// <summary>D-dimer in fibrinogen-equivalent units.</summary>
    Feu = 4,
    /// <summary>D-dimer in D-dimer units.</summary>
    Ddu = 8,
    /// <summary>A qualitative (presence) test.</summary>
    Qualitative = 16,
}

internal sealed record CodeInfo(Concept Concept, bool Confirmed, string? Site, CodeTraits Flags, string Display);

/// <summary>A family of reports named by a category or generic document code: the one kind it is, or the kinds its text may make it.</summary>
internal sealed record ReportFamily(string Id, Concept? Kind, ConceptSet Kinds);

internal sealed record ConceptInfo(Concept Concept, string Title, ResourceKinds AppliesTo, string? Unit, string Criterion);

/// <summary>Circumstances a text names, beyond concepts.</summary>
[Flags]
internal enum TextMarkers
{
    None = 0,
    Exertion = 1,
    RoomAir = 2,
    RapidProgression = 4,
    QualitativePositive = 8,
    QualitativeNegative = 16,
}

/// <summary>What a text says about a resource's concept, site and morphology.</summary>
internal readonly record struct TextConcepts(ConceptSet Concepts, ConceptSet Excluded, string? Site, CodeTraits Flags, TextMarkers Markers);

/// <summary>What the codings of a resource say.</summary>
internal readonly record struct CodeMatch(ConceptSet Concepts, bool Confirmed, string? Site, CodeTraits Flags, Coding? Coding);

/// <summary>
/// The rule's knowledge: the value sets of <c>value-sets.json</c> and the phrase lists of
/// <c>phrases.json</c>, both embedded, read once into frozen lookups and one phrase index.
/// </summary>
internal sealed class Knowledge
{
    private const int TextCacheLimit = 16_384;
    private static readonly Lazy<Knowledge> s_instance = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly FrozenDictionary<string, string> _systems;
    private readonly FrozenDictionary<string, FrozenDictionary<string, CodeInfo[]>> _codes;
    private readonly FrozenDictionary<string, CodeInfo[]>.AlternateLookup<ReadOnlySpan<char>> _icdCodes;
    private readonly Icd10Rule[] _icdRules;
    private readonly (string Prefix, string Site)[] _icdSites;
    private readonly FrozenDictionary<string, string> _conclusionMeanings;
    private readonly FrozenDictionary<string, ReportFamily> _families;
    private readonly ConcurrentDictionary<(string Text, ResourceKinds Kind), TextConcepts> _textCache = new();

    // ConcurrentDictionary.Count takes every lock of the dictionary (8.7 µs at 16k entries, measured in
    // bench/BreakdownBenchmark): the size is tracked here instead.
    private int _textCacheSize;

    private Knowledge(
        string version,
        ConceptInfo[] concepts,
        FrozenDictionary<string, string> systems,
        FrozenDictionary<string, FrozenDictionary<string, CodeInfo[]>> codes,
        Icd10Rule[] icdRules,
        (string Prefix, string Site)[] icdSites,
        FrozenDictionary<string, string> conclusionMeanings,
        FrozenDictionary<string, OrderCodeEntry> orders,
        PhraseIndex index,
        Categories categories,
        FrozenDictionary<string, ReportFamily> families,
        MeasureReader measures)
    {
        _families = families;
        Measures = measures;
        Version = version;
        Concepts = concepts;
        _systems = systems;
        _codes = codes;
        _icdCodes = (codes.TryGetValue(Icd10System, out var icd) ? icd : FrozenDictionary<string, CodeInfo[]>.Empty)
            .GetAlternateLookup<ReadOnlySpan<char>>();
        _icdRules = icdRules;
        _icdSites = icdSites;
        _conclusionMeanings = conclusionMeanings;
        Orders = orders;
        Index = index;
        Categories = categories;
    }

    public const string SnomedSystem = "http://snomed.info/sct";
    public const string LoincSystem = "http://loinc.org";
    public const string Icd10CmSystem = "http://hl7.org/fhir/sid/icd-10-cm";
    private const string Icd10System = "icd-10";

    public static Knowledge Instance => s_instance.Value;

    public string Version { get; }

    public ConceptInfo[] Concepts { get; }

    public FrozenDictionary<string, OrderCodeEntry> Orders { get; }

    /// <summary>The default order for a recommendation key ("lung-perfusion-scan"), with its system resolved.</summary>
    public Assessment.OrderCode Order(string key)
    {
        var entry = Orders[key];
        return new Assessment.OrderCode(Canonical(entry.System), entry.Code, entry.Display, entry.Text, entry.SpecimenText);
    }

    public IReadOnlyDictionary<string, string> UnitAliases { get; private init; } = FrozenDictionary<string, string>.Empty;

    public PhraseIndex Index { get; }

    /// <summary>The reader of numbers in report text (measures.json).</summary>
    public MeasureReader Measures { get; private set; }

    /// <summary>
    /// This knowledge with a reader of numbers whose every match is limited to <paramref name="timeout"/>
    /// (tests: a sentence given up on must be named, whatever the machine's speed).
    /// </summary>
    internal Knowledge WithMeasureTimeout(TimeSpan timeout)
    {
        var copy = (Knowledge)MemberwiseClone();
        copy.Measures = MeasureReader.Build(ValueSetFile.Load<MeasureFile>(MeasuresResource), timeout);
        return copy;
    }

    private const string MeasuresResource = "PttmHooks.Clinical.measures.json";

    /// <summary>The report family a category or document type names (imaging, cardiac ultrasound, pathology), if any.</summary>
    public ReportFamily? FamilyOf(CodeableConcept? concept)
    {
        if (concept is null)
        {
            return null;
        }

        foreach (var coding in concept.Coding)
        {
            if (coding.System is not null && coding.Code is not null && _families.TryGetValue(Canonical(coding.System) + "|" + coding.Code, out var family))
            {
                return family;
            }
        }

        return null;
    }

    /// <summary>The first report family any of <paramref name="concepts"/> names.</summary>
    public ReportFamily? FamilyOf(IEnumerable<CodeableConcept> concepts)
    {
        foreach (var concept in concepts)
        {
            if (FamilyOf(concept) is { } family)
            {
                return family;
            }
        }

        return null;
    }

    /// <summary>
    /// <see cref="ClassifyText"/> for a text that may be long and unique (a report's whole text): texts
    /// longer than a title are not cached, so attachments never fill the cache.
    /// </summary>
    public TextConcepts ClassifyReportText(string text, ResourceKinds kind) =>
        text.Length <= 256 ? ClassifyText(text, kind) : ClassifyTextUncached(text, kind);

    public Categories Categories { get; }

    public ConceptInfo Info(Concept concept) => Concepts[(int)concept];

    /// <summary>Matches every coding of a CodeableConcept against the value sets that apply to <paramref name="kind"/>.</summary>
    public CodeMatch MatchCodes(CodeableConcept? code, ResourceKinds kind)
    {
        if (code is null || code.Coding.Count == 0)
        {
            return default;
        }

        var concepts = ConceptSet.Empty;
        var confirmed = false;
        string? site = null;
        var flags = CodeTraits.None;
        Coding? matched = null;
        foreach (var coding in code.Coding)
        {
            if (coding.Code is null || coding.System is null)
            {
                continue;
            }

            var before = concepts;
            var system = _systems.TryGetValue(coding.System, out var canonical) ? canonical : coding.System;
            if (system == Icd10System)
            {
                MatchIcd10(coding.Code, kind, ref concepts, ref confirmed, ref site, ref flags);
            }
            else if (_codes.TryGetValue(system, out var bySystem) && bySystem.TryGetValue(coding.Code, out var infos))
            {
                foreach (var info in infos)
                {
                    if ((Info(info.Concept).AppliesTo & kind) != 0)
                    {
                        concepts = concepts.With(info.Concept);
                        confirmed |= info.Confirmed;
                        site ??= info.Site;
                        flags |= info.Flags;
                    }
                }
            }

            if (concepts != before)
            {
                matched ??= coding;
            }
        }

        return new CodeMatch(concepts, confirmed, site, flags, matched);
    }

    private void MatchIcd10(string raw, ResourceKinds kind, ref ConceptSet concepts, ref bool confirmed, ref string? site, ref CodeTraits flags)
    {
        Span<char> buffer = stackalloc char[16];
        var length = NormalizeIcd(raw, buffer);
        if (length == 0)
        {
            return;
        }

        var code = buffer[..length];
        if (_icdCodes.TryGetValue(code, out var infos))
        {
            foreach (var info in infos)
            {
                if ((Info(info.Concept).AppliesTo & kind) != 0)
                {
                    concepts = concepts.With(info.Concept);
                    confirmed |= info.Confirmed;
                    site ??= info.Site;
                    flags |= info.Flags;
                }
            }
        }

        var included = ConceptSet.Empty;
        var excluded = ConceptSet.Empty;
        foreach (var rule in _icdRules)
        {
            if ((Info(rule.Concept).AppliesTo & kind) != 0 && rule.Matches(code))
            {
                if (rule.Exclude)
                {
                    excluded = excluded.With(rule.Concept);
                }
                else
                {
                    included = included.With(rule.Concept);
                }
            }
        }

        var ruled = new ConceptSet(included.Bits & ~excluded.Bits);
        if (!ruled.IsEmpty)
        {
            // The ranges come from the criteria document itself, so a match by range is a confirmed match.
            confirmed = true;
            concepts = concepts.Union(ruled);
        }

        // An exact entry never overrides an exclusion (Z85.828 stays out even if listed elsewhere).
        concepts = new ConceptSet(concepts.Bits & ~excluded.Bits);
        if (!concepts.IsEmpty)
        {
            foreach (var (prefix, name) in _icdSites)
            {
                if (code.StartsWith(prefix, StringComparison.Ordinal))
                {
                    site ??= name;
                    break;
                }
            }
        }
    }

    /// <summary>ICD-10 codes are compared upper-case without the dot: "c50.912" and "C50912" are the same.</summary>
    internal static int NormalizeIcd(ReadOnlySpan<char> code, Span<char> destination)
    {
        var n = 0;
        foreach (var c in code)
        {
            if (c == '.' || char.IsWhiteSpace(c))
            {
                continue;
            }

            if (n == destination.Length)
            {
                return 0;
            }

            destination[n++] = char.ToUpperInvariant(c);
        }

        return n;
    }

    internal static string NormalizeIcd(string code)
    {
        var buffer = new char[code.Length];
        return new string(buffer, 0, NormalizeIcd(code, buffer));
    }

    /// <summary>
    /// The concepts a free text names (code.text, a local code's display, a report's conclusion), for
    /// the value sets that apply to <paramref name="kind"/>. Texts repeat (local codes), so results are cached.
    /// </summary>
    public TextConcepts ClassifyText(string text, ResourceKinds kind)
    {
        if (_textCache.TryGetValue((text, kind), out var cached))
        {
            return cached;
        }

        var result = ClassifyTextUncached(text, kind);
        if (Volatile.Read(ref _textCacheSize) < TextCacheLimit && _textCache.TryAdd((text, kind), result))
        {
            Interlocked.Increment(ref _textCacheSize);
        }

        return result;
    }

    private TextConcepts ClassifyTextUncached(string text, ResourceKinds kind)
    {
        using var analysis = TextAnalysis.Analyze(text, this);
        var concepts = ConceptSet.Empty;
        var excluded = ConceptSet.Empty;
        foreach (var info in Concepts)
        {
            if ((info.AppliesTo & kind) == 0)
            {
                continue;
            }

            var c = info.Concept;
            var named = analysis.Has(Categories.Synonym[(int)c]) || Categories.Requires[(int)c] is { Length: > 0 } groups && groups.All(analysis.Has);
            if (analysis.Has(Categories.Exclude[(int)c]))
            {
                excluded = excluded.With(c);
            }
            else if (named)
            {
                concepts = concepts.With(c);
            }
        }

        string? site = null;
        var flags = CodeTraits.None;
        foreach (var hit in analysis.Hits)
        {
            if (site is null && Categories.SiteByCategory.TryGetValue(hit.Category, out var s))
            {
                site = s;
            }

            if (Categories.FlagByCategory.TryGetValue(hit.Category, out var f))
            {
                flags |= f;
            }
        }

        var c2 = Categories;
        var markers = TextMarkers.None;
        markers |= analysis.Affirms(c2.Exertion) ? TextMarkers.Exertion : TextMarkers.None;
        markers |= analysis.Has(c2.RoomAir) ? TextMarkers.RoomAir : TextMarkers.None;
        markers |= analysis.Affirms(c2.RapidProgression) ? TextMarkers.RapidProgression : TextMarkers.None;
        var positive = analysis.Assess(c2.QualitativePositive).Assertion;
        var negative = analysis.Assess(c2.QualitativeNegative).Assertion;
        if (negative == Assertion.Affirmed || positive == Assertion.Negated)
        {
            markers |= TextMarkers.QualitativeNegative;
        }
        else if (positive == Assertion.Affirmed)
        {
            markers |= TextMarkers.QualitativePositive;
        }

        return new TextConcepts(concepts, excluded, site, flags, markers);
    }

    /// <summary>The meaning ("pe", "absent", "present", "perfusion-normal") of a report's conclusion code, if known.</summary>
    public string? ConclusionMeaning(Coding coding) =>
        coding.System is not null && coding.Code is not null
            && _conclusionMeanings.TryGetValue(Canonical(coding.System) + "|" + coding.Code, out var meaning)
                ? meaning
                : null;

    private string Canonical(string system) => _systems.TryGetValue(system, out var c) ? c == Icd10System ? Icd10CmSystem : c : system;

    private static Knowledge Load()
    {
        var file = ValueSetFile.Load<ValueSetFile>("PttmHooks.Clinical.value-sets.json");
        var phrases = ValueSetFile.Load<PhraseFile>("PttmHooks.Clinical.phrases.json");
        var measures = ValueSetFile.Load<MeasureFile>(MeasuresResource);

        var systems = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (alias, url) in file.Systems)
        {
            systems[alias] = url;
            systems[url] = url;
        }

        foreach (var (alias, url) in file.SystemAliases)
        {
            systems[alias] = url;
        }

        // Both ICD-10-CM and WHO ICD-10 codes share the categories the rule uses (C00–C80, Z85, I26, I27, R06).
        foreach (var key in systems.Keys.ToList())
        {
            if (systems[key] is Icd10CmSystem or "http://hl7.org/fhir/sid/icd-10")
            {
                systems[key] = Icd10System;
            }
        }

        var concepts = new ConceptInfo[Enum.GetValues<Concept>().Length];
        var codes = new Dictionary<string, Dictionary<string, List<CodeInfo>>>(StringComparer.Ordinal);
        var rules = new List<Icd10Rule>();
        foreach (var set in file.ValueSets)
        {
            if (!Enum.TryParse<Concept>(set.Id, out var concept))
            {
                throw new InvalidOperationException($"value-sets.json: value set '{set.Id}' has no Concept.");
            }

            var kinds = set.AppliesTo.Aggregate(ResourceKinds.None, (k, s) => k | Enum.Parse<ResourceKinds>(s));
            concepts[(int)concept] = new ConceptInfo(concept, set.Title, kinds, set.Unit, set.Criterion);
            foreach (var entry in set.Codes)
            {
                var system = systems.TryGetValue(entry.System, out var url) ? url
                    : throw new InvalidOperationException($"value-sets.json: unknown system '{entry.System}' in {set.Id}.");
                var code = entry.Code;
                if (system == Icd10System)
                {
                    code = NormalizeIcd(code);
                }

                if (!codes.TryGetValue(system, out var bySystem))
                {
                    codes[system] = bySystem = new(StringComparer.Ordinal);
                }

                if (!bySystem.TryGetValue(code, out var list))
                {
                    bySystem[code] = list = [];
                }

                var flags = entry.Flags.Aggregate(CodeTraits.None, (f, s) => f | ParseFlag(s));
                list.Add(new CodeInfo(concept, entry.Confirmed, entry.Site, flags, entry.Display));
            }

            if (set.Icd10 is { } icd)
            {
                rules.AddRange(icd.Include.Select(r => Icd10Rule.Parse(r, concept, exclude: false)));
                rules.AddRange(icd.Exclude.Select(r => Icd10Rule.Parse(r, concept, exclude: true)));
            }
        }

        var missing = concepts.Select((c, i) => (c, i)).Where(p => p.c is null).Select(p => (Concept)p.i).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"value-sets.json has no value set for: {string.Join(", ", missing)}.");
        }

        var icdSites = file.Icd10Sites
            .Select(p => (Prefix: NormalizeIcd(p.Key), Site: p.Value))
            .OrderByDescending(p => p.Prefix.Length)
            .ToArray();

        var conclusion = file.ConclusionCodes.ToFrozenDictionary(
            c => (systems.TryGetValue(c.System, out var u) ? u == Icd10System ? Icd10CmSystem : u : c.System) + "|" + c.Code,
            c => c.Meaning,
            StringComparer.Ordinal);

        var families = new Dictionary<string, ReportFamily>(StringComparer.Ordinal);
        foreach (var family in file.ReportFamilies)
        {
            static Concept Parse(string id) => Enum.TryParse<Concept>(id, out var c) ? c
                : throw new InvalidOperationException($"value-sets.json: report family names unknown kind '{id}'.");
            var kinds = family.Kinds.Aggregate(ConceptSet.Empty, (set, id) => set.With(Parse(id)));
            Concept? single = family.Kind is { } k ? Parse(k) : null;
            foreach (var code in family.Codes)
            {
                var system = systems.TryGetValue(code.System, out var url) ? url
                    : throw new InvalidOperationException($"value-sets.json: unknown system '{code.System}' in report family {family.Id}.");
                families[(system == Icd10System ? Icd10CmSystem : system) + "|" + code.Code] = new ReportFamily(family.Id, single, single is { } s ? kinds.With(s) : kinds);
            }
        }

        var categories = new Categories();
        var entries = categories.Register(file, phrases, concepts.Length);
        return new Knowledge(
            file.Version,
            concepts,
            systems.ToFrozenDictionary(StringComparer.Ordinal),
            codes.ToFrozenDictionary(s => s.Key, s => s.Value.ToFrozenDictionary(c => c.Key, c => c.Value.ToArray(), StringComparer.Ordinal), StringComparer.Ordinal),
            [.. rules],
            icdSites,
            conclusion,
            file.Orders.ToFrozenDictionary(StringComparer.Ordinal),
            PhraseIndex.Build(entries),
            categories,
            families.ToFrozenDictionary(StringComparer.Ordinal),
            MeasureReader.Build(measures))
        {
            UnitAliases = file.UnitAliases.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
        };
    }

    private static CodeTraits ParseFlag(string flag) => flag switch
    {
        "adenocarcinoma" => CodeTraits.Adenocarcinoma,
        "signet-ring" => CodeTraits.SignetRing,
        "FEU" => CodeTraits.Feu,
        "DDU" => CodeTraits.Ddu,
        "qualitative" => CodeTraits.Qualitative,
        _ => throw new InvalidOperationException($"value-sets.json: unknown flag '{flag}'."),
    };

    /// <summary>An ICD-10 include or exclude rule: a prefix ("Z85", "Z85.7") or a range of categories ("C00-C80").</summary>
    private sealed record Icd10Rule(string From, string To, Concept Concept, bool Exclude)
    {
        public static Icd10Rule Parse(string text, Concept concept, bool exclude)
        {
            var parts = text.Split('-', StringSplitOptions.TrimEntries);
            var from = NormalizeIcd(parts[0]);
            var to = parts.Length > 1 ? NormalizeIcd(parts[1]) : from;
            return new Icd10Rule(from, to, concept, exclude);
        }

        public bool Matches(ReadOnlySpan<char> code)
        {
            if (From == To)
            {
                return code.StartsWith(From, StringComparison.Ordinal);
            }

            // A range compares the code's first characters, as many as the bounds have: "C7A" lies
            // between "C00" and "C80" the way ICD-10-CM orders its categories.
            var head = code[..Math.Min(code.Length, From.Length)];
            return head.Length == From.Length
                && head.CompareTo(From, StringComparison.Ordinal) >= 0
                && head.CompareTo(To, StringComparison.Ordinal) <= 0;
        }
    }
}
