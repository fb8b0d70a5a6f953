using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using LinqExpression = System.Linq.Expressions.Expression;
using System.Reflection;
using System.Text;
using Hl7.Fhir.Introspection;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace PttmHooks.Reading;

/// <summary>
/// Makes a resource the Firely SDK read in part safe to read: the one place where data as EHRs
/// really send it becomes data the rule and the composer can read without an exception.
/// </summary>
/// <remarks>
/// <para>
/// The SDK, parsing without a validator as <see cref="FhirJsonFormat.Options"/> does, accepts two kinds of
/// damage without a word, and its typed getters throw for both later (a
/// <c>CodedValidationException</c> deep inside the rule lost the whole card):
/// </para>
/// <list type="bullet">
/// <item>an element in the wrong JSON shape (an object where R4 has an array, a string where it has
/// an object) is kept in its parent's "overflow";</item>
/// <item>a primitive whose value is not valid for its type is kept as it came: <c>"status":
/// "Final"</c> (not an R4 code), <c>"value": "82"</c> (a number written as a string),
/// <c>"effectiveDateTime": "yesterday"</c>, <c>"status": 7</c>.</item>
/// </list>
/// <para>
/// <see cref="Settle"/> finds both, empties each such element (so the rule reads it as absent,
/// pttm-criteria.md 1.1 "Values that are not valid FHIR"), drops null list items, and says which
/// elements of which resource it emptied, so that the card can name them
/// (<c>Observation/x.status</c>). Every reader of FHIR JSON settles what it parsed here: prefetch,
/// the FHIR server's answers, the CLI's Bundles and Bulk Data lines.
/// </para>
/// </remarks>
public static class FhirReadInPart
{
    // The typed getter of each primitive type, compiled once: reading it is exactly what the rule
    // and the composer would do later, so a value that passes here cannot throw there.
    private static readonly ConcurrentDictionary<Type, Func<PrimitiveType, bool>> s_readers = new();

    /// <summary>
    /// True when <paramref name="resource"/> holds something its typed properties cannot give back:
    /// an element in overflow, a null item in a list, or a primitive whose value its type cannot
    /// hold. A walk of the resource that allocates one enumerator per complex element; the common
    /// primitives are checked without a delegate.
    /// A validator that reported these while parsing was measured at half as much again as the
    /// parse itself (Firely's delayed-validation bookkeeping), so the hot path checks afterwards.
    /// </summary>
    public static bool NeedsRepair(Base resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (resource.HasOverflow)
        {
            return true;
        }

        if (resource is PrimitiveType primitive)
        {
            return !IsReadable(primitive);
        }

        foreach (var (_, value) in resource.EnumerateElements())
        {
            switch (value)
            {
                case PrimitiveType p when !IsReadable(p):
                    return true;
                case PrimitiveType:
                    break;
                case Base child when NeedsRepair(child):
                    return true;
                case IList list:
                    for (var i = 0; i < list.Count; i++)
                    {
                        switch (list[i])
                        {
                            case null:
                                return true;
                            case PrimitiveType p when !IsReadable(p):
                                return true;
                            case PrimitiveType:
                                break;
                            case Base item when NeedsRepair(item):
                                return true;
                        }
                    }

                    break;
            }
        }

        return false;
    }

    /// <summary>
    /// Reads FHIR JSON the one way every reader does: the Firely SDK's parse (without its
    /// validator), its partial result kept when it reports errors, then <see cref="Settle"/>.
    /// Never throws for what the bytes hold: an exception of the SDK's parser on input it did not
    /// expect (an <see cref="IndexOutOfRangeException"/> for a member named <c>""</c>, found by the
    /// fuzzer) is an unreadable value, said as a sentence.
    /// </summary>
    /// <param name="parse">Runs the SDK's parse (of a JsonElement, of bytes).</param>
    /// <param name="source">Where the data came from, for the metric.</param>
    public static FhirRead Read(Func<Resource?> parse, string source)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return Read(parse, static p => p(), source);
    }

    /// <summary>Reads FHIR JSON from <paramref name="json"/> with <see cref="FhirJsonFormat.Options"/>; see <see cref="Read(Func{Resource?}, string)"/>.</summary>
    public static FhirRead Read(ReadOnlySpan<byte> json, string source) =>
        Read(json, static bytes => JsonSerializer.Deserialize<Resource>(bytes, FhirJsonFormat.Options), source);

    private static FhirRead Read<TState>(TState state, Func<TState, Resource?> parse, string source)
        where TState : allows ref struct
    {
        Resource? resource;
        string? firstError = null;
        try
        {
            resource = parse(state);
        }
        catch (DeserializationFailedException e) when (e.PartialResult is Resource readInPart and not DynamicResource)
        {
            resource = readInPart;
            firstError = e.Exceptions.FirstOrDefault()?.Message ?? e.Message;
        }
        catch (DeserializationFailedException e)
        {
            return FhirRead.Unreadable($"not a FHIR R4 resource: {Shorten(e.Exceptions.FirstOrDefault()?.Message ?? e.Message)}");
        }
        catch (JsonException e)
        {
            return FhirRead.Unreadable($"not FHIR JSON: {Shorten(e.Message)}");
        }
        catch (Exception e) when (e is IndexOutOfRangeException or InvalidOperationException or ArgumentException or FormatException or OverflowException or NotSupportedException or InvalidCastException or NullReferenceException)
        {
            // The SDK's parser failed on something it did not expect; its message names nothing of use.
            return FhirRead.Unreadable($"not FHIR JSON the FHIR parser can read ({e.GetType().Name})");
        }

        if (resource is null)
        {
            return FhirRead.Unreadable("empty (JSON null)");
        }

        return new FhirRead(resource, null, Settle(resource, firstError, source), firstError);
    }

    /// <summary>
    /// Settles a resource just parsed: repairs it when <see cref="NeedsRepair"/> says so, or always
    /// when the parse reported <paramref name="firstError"/> (the SDK's partial result), and says
    /// what that came to. The one decision every reader of FHIR JSON makes, so that they all read alike.
    /// </summary>
    /// <param name="resource">The resource parsed, or the SDK's partial result.</param>
    /// <param name="firstError">The parse's first error message, when it reported any.</param>
    /// <param name="source">Where the data came from, for the metric (<c>prefetch</c>, <c>fhir-server</c>, <c>file</c>).</param>
    public static Settled Settle(Resource resource, string? firstError, string source = "prefetch")
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (firstError is null && !NeedsRepair(resource))
        {
            return default;
        }

        var removed = Repair(resource);
        ReadingMetrics.RecordReadInPart(removed, source);
        if (removed.Count == 0 && firstError is null)
        {
            return default;
        }

        if (resource is Bundle && removed.FirstOrDefault(e => e.IsBundleStructure) is { } broken)
        {
            return new Settled(broken.Location, null, removed);
        }

        return new Settled(null, Describe(removed, firstError), removed);
    }

    /// <summary>
    /// Empties the elements of <paramref name="resource"/> (and of everything in it) that cannot be
    /// read, and drops null items from its lists. Returns each element emptied, in document order.
    /// </summary>
    public static IReadOnlyList<UnreadableElement> Repair(Base resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var removed = new List<UnreadableElement>();
        var owner = resource as Resource;
        RepairNode(resource, new Where(resource.TypeName, owner, string.Empty), removed);
        return removed;
    }

    /// <summary>
    /// What was skipped, as sentences for a card's data notes: one per kind of resource and
    /// element (300 Observations with "Final" are one line, naming the first three).
    /// </summary>
    public static IReadOnlyList<string> Describe(IReadOnlyList<UnreadableElement> removed, string? firstError)
    {
        ArgumentNullException.ThrowIfNull(removed);
        var notes = new List<string>();
        foreach (var group in removed.GroupBy(e => (e.ResourceType, e.ElementPattern)))
        {
            var all = group.ToList();
            var named = string.Join(", ", all.Take(3).Select(e => e.Name));
            var more = all.Count > 3 ? $" and {all.Count - 3} more" : string.Empty;
            var first = all[0];
            var readAs = IsStatusReadAsFinal(first)
                ? "read as final, as the rule reads a result without a status"
                : "left out";
            notes.Add($"{named}{more}: {first.Problem}; not valid FHIR R4, so {readAs}; the rest of the resource was read");
        }

        if (notes.Count == 0)
        {
            notes.Add("some elements are not valid FHIR R4 and were left out; the rest was read");
        }

        if (firstError is not null)
        {
            notes[^1] += $" (first error: {Shorten(firstError)})";
        }

        return notes;
    }

    /// <summary>
    /// pttm-criteria.md 1.1: where the element decides whether a resource counts at all, the safer
    /// reading applies: an unreadable result status is read as <c>final</c> (the rule reads a
    /// missing status so), and the card says so.
    /// </summary>
    private static bool IsStatusReadAsFinal(UnreadableElement element) =>
        element.Element == "status" && element.ResourceType is "Observation" or "DiagnosticReport";

    /// <summary>True when the typed getter of <paramref name="primitive"/> can give its value back (and a date is a date).</summary>
    internal static bool IsReadable(PrimitiveType primitive)
    {
        if (primitive.JsonValue is null)
        {
            return true;
        }

        return primitive switch
        {
            // The common ones without a delegate (and the date types, whose getter takes any string).
            FhirString s => s.JsonValue is string,
            FhirDateTime d => d.JsonValue is string dt && FhirDateTime.IsValidValue(dt),
            Date d => d.JsonValue is string date && Date.IsValidValue(date),
            Time t => t.JsonValue is string time && Time.IsValidValue(time),
            FhirUri u => u.JsonValue is string,
            Code c when c.GetType() == typeof(Code) => c.JsonValue is string, // Code<T> derives from Code: its enum is checked below
            FhirDecimal n => n.JsonValue is decimal,
            FhirBoolean b => b.JsonValue is bool,
            Integer i => i.JsonValue is int,
            Id id => id.JsonValue is string,
            Markdown m => m.JsonValue is string,
            _ => s_readers.GetOrAdd(primitive.GetType(), CompileReader)(primitive),
        };
    }

    /// <summary><c>p =&gt; { _ = ((T)p).Value; return true; }</c>, false when the getter throws.</summary>
    private static Func<PrimitiveType, bool> CompileReader(Type type)
    {
        PropertyInfo? value = null;
        for (var t = type; t is not null && value is null; t = t.BaseType)
        {
            value = t.GetProperty("Value", BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly);
        }

        if (value is null)
        {
            return static _ => true;
        }

        var parameter = LinqExpression.Parameter(typeof(PrimitiveType), "p");
        var read = LinqExpression.Block(LinqExpression.Property(LinqExpression.Convert(parameter, type), value), LinqExpression.Constant(true));
        var getter = LinqExpression.Lambda<Func<PrimitiveType, bool>>(read, parameter).Compile();
        return p =>
        {
            try
            {
                return getter(p);
            }
            catch (Exception e) when (e is Hl7.Fhir.Validation.CodedValidationException or FormatException or InvalidCastException or OverflowException or ArgumentException)
            {
                return false;
            }
        };
    }

    private static void RepairNode(Base node, Where where, List<UnreadableElement> removed)
    {
        if (node.HasOverflow)
        {
            var mapping = ModelInfo.ModelInspector.FindOrImportClassMapping(node.GetType());
            var emptied = false;
            foreach (var property in mapping?.PropertyMappings ?? [])
            {
                try
                {
                    _ = property.NativeProperty?.GetValue(node);
                }
                catch (TargetInvocationException)
                {
                    // The value is in the overflow in a shape the property cannot hold.
                    node.SetValue(property.Name, null);
                    removed.Add(where.Child(property.Name).Element("in a shape R4 does not have here"));
                    emptied = true;
                }
            }

            // The rest of the overflow is data under names R4 does not have here (a string
            // written where an object belongs leaves its "value" behind): never read, dropped.
            node.ClearOverflow();
            if (!emptied)
            {
                removed.Add(where.Element("in a shape R4 does not have here"));
            }
        }

        ClassMapping? nodeMapping = null;
        List<string>? invalid = null;
        foreach (var (name, value) in node.EnumerateElements())
        {
            switch (value)
            {
                case PrimitiveType p:
                    if (!IsReadable(p))
                    {
                        // Not emptied while enumerating the node's elements.
                        (invalid ??= []).Add(name);
                        nodeMapping ??= ModelInfo.ModelInspector.FindOrImportClassMapping(node.GetType());
                        removed.Add(where.Child(ChoiceName(nodeMapping, name, p)).Element(ProblemOf(p), ValueOf(p)));
                    }

                    break;
                case Resource contained:
                    RepairNode(contained, where.Resource(name, contained), removed);
                    break;
                case Base child:
                    nodeMapping ??= ModelInfo.ModelInspector.FindOrImportClassMapping(node.GetType());
                    RepairNode(child, where.Child(ChoiceName(nodeMapping, name, child)), removed);
                    break;
                case IList list:
                    for (var i = list.Count - 1; i >= 0; i--)
                    {
                        if (list[i] is null)
                        {
                            list.RemoveAt(i);
                            removed.Add(where.Child($"{name}[{i}]").Element("an empty (null) item"));
                        }
                        else if (list[i] is PrimitiveType p && !IsReadable(p))
                        {
                            removed.Add(where.Child($"{name}[{i}]").Element(ProblemOf(p), ValueOf(p)));
                            list.RemoveAt(i);
                        }
                    }

                    for (var i = 0; i < list.Count; i++)
                    {
                        switch (list[i])
                        {
                            case Resource item:
                                RepairNode(item, where.Resource($"{name}[{i}]", item), removed);
                                break;
                            case PrimitiveType:
                                break;
                            case Base item:
                                RepairNode(item, where.Child($"{name}[{i}]"), removed);
                                break;
                        }
                    }

                    break;
            }
        }

        foreach (var name in invalid ?? [])
        {
            node.SetValue(name, null);
        }
    }

    /// <summary><c>value</c> becomes <c>valueQuantity</c>, as the JSON names a choice element.</summary>
    private static string ChoiceName(ClassMapping? mapping, string name, Base value)
    {
        var element = mapping?.FindMappedElementByName(name);
        if (element?.Choice != ChoiceType.DatatypeChoice)
        {
            return name;
        }

        var type = value.TypeName;
        return type.Length == 0 ? name : name + char.ToUpperInvariant(type[0]) + type[1..];
    }

    private static string ProblemOf(PrimitiveType primitive)
    {
        var shown = ValueOf(primitive);
        var type = primitive.TypeName;
        return primitive.JsonValue switch
        {
            string when primitive is FhirDecimal or Integer or PositiveInt or UnsignedInt or Integer64 => $"{shown} is not a {type} (a number written as a string, or one out of range)",
            string => $"{shown} is not a valid {type}",
            bool => $"{shown} is a true/false where R4 has a {type}",
            int or long or decimal or double => $"{shown} is a number where R4 has a {type}",
            _ => $"{shown} is not a valid {type}",
        };
    }

    /// <summary>The value as it came, quoted and cut short (a card shows it; telemetry never does).</summary>
    private static string ValueOf(PrimitiveType primitive)
    {
        var text = primitive.JsonValue switch
        {
            string s => "\"" + (s.Length > 40 ? s[..40] + "…" : s) + "\"",
            bool b => b ? "true" : "false",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            var other => other?.ToString() ?? "null",
        };
        return text.Length > 44 ? text[..44] + "…" : text;
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    /// <summary>Where the walk is: the path from the root, and the resource it is inside.</summary>
    private readonly record struct Where(string Location, Resource? Owner, string InOwner)
    {
        public Where Child(string name) => new($"{Location}.{name}", Owner, InOwner.Length == 0 ? name : $"{InOwner}.{name}");

        public Where Resource(string name, Resource inner) => new($"{Location}.{name}", inner, string.Empty);

        public UnreadableElement Element(string problem, string? value = null) =>
            new(Location, Owner?.TypeName ?? Location.Split('.')[0], Owner?.IdElement?.JsonValue as string, InOwner, problem, value);
    }
}

/// <summary>One element <see cref="FhirReadInPart"/> emptied.</summary>
/// <param name="Location">Its path from the value read: <c>Bundle.entry[3].resource.status</c>.</param>
/// <param name="ResourceType">The resource it was in: <c>Observation</c>.</param>
/// <param name="ResourceId">That resource's id, when it has one.</param>
/// <param name="Element">Its path inside that resource: <c>valueQuantity.value</c>, <c>code.coding[0]</c>.</param>
/// <param name="Problem">What is wrong with it, as a clause: <c>"Final" is not a valid code</c>.</param>
/// <param name="Value">The value as it came (quoted, cut short), for a primitive.</param>
public sealed record UnreadableElement(string Location, string ResourceType, string? ResourceId, string Element, string Problem, string? Value)
{
    /// <summary>How a card names it: <c>Observation/x.status</c>.</summary>
    public string Name => (ResourceId is null ? ResourceType : $"{ResourceType}/{ResourceId}") + (Element.Length == 0 ? string.Empty : "." + Element);

    /// <summary>The element without list indices (<c>code.coding</c>): a bounded name for telemetry.</summary>
    public string ElementPattern => Element.Length == 0 ? "(resource)" : WithoutIndices(Element);

    /// <summary>
    /// True when it is a search Bundle's own structure (its entry or link list, written as
    /// something other than a list) rather than a value: the Bundle is not a search result to use.
    /// An entry that cannot be read (null, or its resource slot an array or a string) is one entry
    /// left out, said on the card: the rest of the search still counts.
    /// </summary>
    public bool IsBundleStructure => ResourceType == "Bundle" && Value is null && Element is "entry" or "link";

    private static string WithoutIndices(string path)
    {
        var text = new StringBuilder(path.Length);
        var skipping = false;
        foreach (var c in path)
        {
            if (c == '[')
            {
                skipping = true;
            }
            else if (c == ']')
            {
                skipping = false;
            }
            else if (!skipping)
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }
}

/// <summary>What <see cref="FhirReadInPart.Settle"/> came to; all empty when the resource was read whole.</summary>
/// <param name="Broken">
/// The first element of a search Bundle's own structure that could not be read (<c>Bundle.entry</c>):
/// the value is not a Bundle to use.
/// </param>
/// <param name="Notes">Otherwise, what was skipped, one sentence per kind of element.</param>
/// <param name="Elements">Every element emptied.</param>
public readonly record struct Settled(string? Broken, IReadOnlyList<string>? Notes, IReadOnlyList<UnreadableElement>? Elements)
{
    /// <summary>True when something was not read.</summary>
    public bool InPart => Broken is not null || Elements is { Count: > 0 } || Notes is { Count: > 0 };
}

/// <summary>What <see cref="FhirReadInPart.Read(Func{Resource?}, string)"/> made of some FHIR JSON.</summary>
/// <param name="Resource">The resource, settled (its unreadable elements emptied); null when unreadable.</param>
/// <param name="Problem">Why it could not be read at all, as a clause ("not FHIR JSON: …").</param>
/// <param name="Settled">What was left out of it.</param>
/// <param name="FirstError">The parse's first error, when it reported any.</param>
public sealed record FhirRead(Resource? Resource, string? Problem, Settled Settled, string? FirstError = null)
{
    /// <summary>Nothing could be read.</summary>
    public static FhirRead Unreadable(string problem) => new(null, problem, default);
}
