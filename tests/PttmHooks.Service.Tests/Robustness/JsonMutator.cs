using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PttmHooks.Service.Tests.Robustness;

/// <summary>A mutated body: its bytes and what was done to it (for a failure message).</summary>
/// <param name="Body">The bytes to post.</param>
/// <param name="Description">The mutations applied, by JSON path.</param>
public sealed record Mutant(byte[] Body, string Description)
{
    /// <summary>The body as text (invalid UTF-8 shown as U+FFFD), for a failure message.</summary>
    public string Text => Encoding.UTF8.GetString(Body);
}

/// <summary>
/// A seeded mutator of JSON documents (hook requests, FHIR searchsets): hostile values (wrong JSON
/// types, numbers out of range, -0, NaN-like strings, empty strings, capitalised and unknown codes,
/// numbers as strings, invalid dates, control characters, long strings), deletions, a value wrapped
/// in an array or an object, deep nesting, duplicated members; and, on the bytes, truncation, random
/// bytes, a byte order mark and invalid UTF-8. What JSON cannot hold as a <see cref="JsonNode"/>
/// (1e400, a duplicate member, nesting deeper than the writer allows) is written as a placeholder
/// and put in the text afterwards.
/// </summary>
public sealed partial class JsonMutator(Random random)
{
    // Placeholders: a string value "\0raw:N" becomes raw text N; a member name "\0dup:N:name" becomes "name".
    private const string RawMark = "\u0000raw:";
    private const string DupMark = "\u0000dup:";

    /// <summary>Elements of Condition, Observation and DiagnosticReport the PTTM rule never reads.</summary>
    public static IReadOnlyList<string> UnreadElements { get; } =
        ["meta", "text", "identifier", "extension", "language", "implicitRules", "performer", "bodySite", "specimen", "device", "basedOn", "encounter", "referenceRange", "evidence", "stage", "severity", "asserter", "recorder", "resultsInterpreter", "media"];

    private readonly List<string> _raw = [];
    private int _duplicates;

    /// <summary>The generator (shared with the caller, so that one seed decides everything).</summary>
    public Random Random => random;

    /// <summary>
    /// Mutates <paramref name="document"/> (a deep copy is taken) anywhere, one to four times, or
    /// mutates its bytes.
    /// </summary>
    public Mutant Mutate(JsonNode document)
    {
        ArgumentNullException.ThrowIfNull(document);
        _raw.Clear();
        var copy = document.DeepClone();
        var said = new List<string>();
        var roll = random.NextDouble();
        if (roll < 0.2)
        {
            // On the bytes of the unmutated document, or of one mutated once.
            if (random.Next(3) == 0)
            {
                copy = MutateTree(copy, said);
            }

            var bytes = Encoding.UTF8.GetBytes(Write(copy));
            return new Mutant(MutateBytes(bytes, said), string.Join("; ", said));
        }

        var times = roll < 0.85 ? 1 : random.Next(2, 5);
        for (var i = 0; i < times; i++)
        {
            copy = MutateTree(copy, said);
        }

        return new Mutant(Encoding.UTF8.GetBytes(Write(copy)), string.Join("; ", said));
    }

    /// <summary>
    /// Mutates only what the PTTM rule does not read, in a hook request's prefetch, one to three
    /// times. With <paramref name="shapes"/> false, an invalid primitive value: a primitive of an
    /// unread element of a Condition, Observation or DiagnosticReport (<c>meta.lastUpdated</c>,
    /// <c>language</c>, <c>identifier[0].use</c>, an extension's value, …), or of a resource of a type
    /// the rule ignores added to a search Bundle, set to a wrong JSON type, a capitalised or unknown
    /// code, an invalid date. With <paramref name="shapes"/> true, a wrong shape: an unread element
    /// (<see cref="UnreadElements"/>) set to a value of the wrong structure (a primitive for an object,
    /// an empty object or array, a nested array, a value wrapped in an object), or an ignored resource
    /// made of such values. Never a duplicate member, a number out of range or a megabyte string:
    /// those make the whole request a 400, which is not what this mutation is about.
    /// </summary>
    public Mutant MutateUnread(JsonObject request, bool shapes)
    {
        ArgumentNullException.ThrowIfNull(request);
        _raw.Clear();
        var copy = request.DeepClone().AsObject();
        var said = new List<string>();
        var bundles = (copy["prefetch"] as JsonObject)?
            .Where(p => p.Value is JsonObject { } b && (string?)b["resourceType"] == "Bundle")
            .Select(p => (p.Key, Bundle: p.Value!.AsObject()))
            .ToList() ?? [];
        if (bundles.Count == 0)
        {
            throw new InvalidOperationException("the request has no prefetch Bundle to mutate");
        }

        var patientId = (string?)copy["context"]?["patientId"] ?? "unknown";
        var times = random.Next(1, 4);
        for (var n = 0; n < times; n++)
        {
            var (key, bundle) = bundles[random.Next(bundles.Count)];
            var entries = bundle["entry"] as JsonArray;
            var read = entries?
                .Select((e, i) => (Index: i, Resource: e?["resource"] as JsonObject))
                .Where(e => e.Resource is not null && (string?)e.Resource["resourceType"] is "Condition" or "Observation" or "DiagnosticReport")
                .ToList() ?? [];
            if (read.Count == 0 || random.Next(3) == 0)
            {
                var added = shapes ? IgnoredResource(patientId) : IgnoredResourceWithInvalidPrimitives(patientId);
                if (entries is null)
                {
                    entries = [];
                    bundle["entry"] = entries;
                }

                entries.Insert(random.Next(entries.Count + 1), new JsonObject { ["resource"] = added });
                said.Add($"prefetch.{key}: added a {(string)added["resourceType"]!} the rule ignores: {Truncate(Describe(added))}");
                continue;
            }

            var (index, resource) = read[random.Next(read.Count)];
            string element;
            JsonNode? value;
            if (shapes)
            {
                element = UnreadElements[random.Next(UnreadElements.Count)];
                value = ReadableHostile(resource![element]);
            }
            else
            {
                (element, value) = UnreadPrimitive();
            }

            resource![element] = value;
            said.Add($"prefetch.{key}.entry[{index}].resource ({(string?)resource["resourceType"]}/{(string?)resource["id"]}).{element} = {Truncate(Describe(value))}");
        }

        return new Mutant(Encoding.UTF8.GetBytes(Write(copy)), string.Join("; ", said));
    }

    /// <summary>A primitive value that is not valid for its FHIR type: a wrong JSON type, a capitalised or unknown code, an invalid date.</summary>
    public JsonNode? InvalidPrimitive(string kind) => kind switch
    {
        // A code bound to a required value set (an enum in the SDK).
        "code" => Pick<JsonNode?>("Final", "OFFICIAL", "unknown-code", "", 7, true, -0.5, " final"),
        "dateTime" => Pick<JsonNode?>("2024-13-45", "2024-02-30T25:61:00Z", "yesterday", "0000-00-00", 20240101, "", false),
        "uri" or "string" or "id" => Pick<JsonNode?>(82, true, 1.5, -1, ""),
        _ => Pick<JsonNode?>(82, true, ""),
    };

    private (string Element, JsonNode? Value) UnreadPrimitive()
    {
        switch (random.Next(9))
        {
            case 0: return ("language", Pick<JsonNode?>(82, true, string.Empty, " en "));
            case 1: return ("implicitRules", InvalidPrimitive("uri"));
            case 2: return ("meta", new JsonObject { ["lastUpdated"] = InvalidPrimitive("dateTime") });
            case 3: return ("meta", new JsonObject { ["versionId"] = InvalidPrimitive("id"), ["source"] = InvalidPrimitive("uri") });
            case 4: return ("text", new JsonObject { ["status"] = InvalidPrimitive("code"), ["div"] = "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>" });
            case 5: return ("identifier", new JsonArray(new JsonObject { ["use"] = InvalidPrimitive("code"), ["value"] = "id-1" }));
            case 6: return ("identifier", new JsonArray(new JsonObject { ["system"] = InvalidPrimitive("uri"), ["value"] = InvalidPrimitive("string") }));
            case 7: return ("identifier", new JsonArray(new JsonObject { ["value"] = "id-1", ["period"] = new JsonObject { ["start"] = InvalidPrimitive("dateTime") } }));
            default: return ("extension", new JsonArray(new JsonObject { ["url"] = "http://example.org/fhir/StructureDefinition/x", [Pick("valueDateTime", "valueDecimal", "valueCode", "valueBoolean")] = Pick<JsonNode?>("2024-13-45", "82", "Final", "yes", 7) }));
        }
    }

    private JsonObject IgnoredResourceWithInvalidPrimitives(string patientId)
    {
        var type = Pick("MedicationRequest", "Encounter", "Procedure");
        var resource = new JsonObject
        {
            ["resourceType"] = type,
            ["id"] = "fuzz-" + random.Next(1_000_000).ToString(CultureInfo.InvariantCulture),
            ["subject"] = new JsonObject { ["reference"] = "Patient/" + patientId },
            ["status"] = InvalidPrimitive("code"),
        };
        switch (type)
        {
            case "MedicationRequest":
                resource["intent"] = random.Next(2) == 0 ? "order" : InvalidPrimitive("code");
                resource["authoredOn"] = InvalidPrimitive("dateTime");
                break;
            case "Encounter":
                resource["class"] = new JsonObject { ["system"] = InvalidPrimitive("uri"), ["code"] = "AMB" };
                resource["period"] = new JsonObject { ["start"] = InvalidPrimitive("dateTime") };
                break;
            default:
                resource["performedDateTime"] = InvalidPrimitive("dateTime");
                break;
        }

        return resource;
    }

    /// <summary>Writes <paramref name="node"/> as JSON text, with the placeholders put in.</summary>
    public string Write(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "null";
        if (_raw.Count > 0)
        {
            text = RawPlaceholder().Replace(text, m => _raw[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)]);
        }

        return _duplicates > 0 ? DupName().Replace(text, "\"") : text;
    }

    /// <summary>A hostile value to put where <paramref name="original"/> was (a value from anywhere in <see cref="Mutate"/>).</summary>
    public JsonNode? Hostile(JsonNode? original)
    {
        switch (random.Next(30))
        {
            case 0: return null;
            case 1: return JsonValue.Create(string.Empty);
            case 2: return JsonValue.Create(Capitalised(original));
            case 3: return JsonValue.Create(random.Next(2) == 0 ? "unknown-code" : "FINAL");
            case 4: return JsonValue.Create(NumberAsString(original));
            case 5: return JsonValue.Create(82);
            case 6: return Raw(Pick("1e400", "-1e400", "1E-400", "123456789012345678901234567890", "2147483648", "-9223372036854775809", "1e308"));
            case 7: return Raw(Pick("-0", "-0.0", "0.0000000000000000000000000001", "1.0e0"));
            case 8: return JsonValue.Create(Pick("NaN", "Infinity", "-Infinity", "1e400", "0x1F", "+82", " 82 "));
            case 9: return JsonValue.Create(random.Next(2) == 0);
            case 10: return JsonValue.Create(Pick("2024-13-45", "2024-02-30T25:61:00Z", "yesterday", "0000-00-00", "2024-1-1", "2024-06-01T12:00:00", "99999-01-01"));
            case 11: return JsonValue.Create(Pick("a\u0000b", "\u0001\u001f\u007f", "line\nbreak\r\ttab", "\ud800", "\udfff\ud800", "\u202eevil"));
            case 12: return JsonValue.Create(new string(Pick('x', '9', ' ', 'é'), Pick(300, 5_000, 70_000)));
            case 13: return random.Next(20) == 0 ? JsonValue.Create(new string('A', 3 * 1024 * 1024)) : JsonValue.Create(new string('b', 1_000));
            case 14: return new JsonObject();
            case 15: return new JsonArray();
            case 16: return new JsonArray((JsonNode?)null);
            case 17: return new JsonArray(original?.DeepClone());
            case 18: return new JsonObject { ["value"] = original?.DeepClone() };
            case 19: return Nested(original, Pick(2, 10, 60, 200, 300, 2_000));
            case 20: return JsonValue.Create(Pick("<script>alert(1)</script>", "' OR '1'='1", "{{context.patientId}}", "../../../etc/passwd", "%00", "\\u0000"));
            case 21: return JsonValue.Create(Pick("Ünïcödé 🫁", "\uFEFFbom-inside", "ｆｉｎａｌ", "final "));
            case 22: return JsonValue.Create(Pick("Patient/other", "Patient/", "#", "urn:uuid:", "http://evil.example.org/fhir/Patient/seed004"));
            case 23: return new JsonObject { ["resourceType"] = Pick("Bundle", "OperationOutcome", "Observation", "Unknown", "") };
            case 24: return JsonValue.Create(-1);
            case 25: return JsonValue.Create(1.5);
            case 26: return JsonValue.Create(long.MaxValue);
            case 27: return new JsonObject { ["value"] = "82", ["unit"] = 7 };
            case 28: return JsonValue.Create(Pick("true", "false", "null", "[]", "{}"));
            default: return JsonValue.Create(Pick("preliminary", "amended", "entered-in-error", "active", "confirmed"));
        }
    }

    /// <summary>
    /// A value that is not valid FHIR for an unread element but that a reader can read around: a
    /// wrong JSON type, a wrong shape, a value that breaks a primitive's rules. Nothing that makes
    /// the whole request unreadable (numbers out of range, megabyte strings, duplicate members).
    /// </summary>
    public JsonNode? ReadableHostile(JsonNode? original)
    {
        switch (random.Next(16))
        {
            case 0: return JsonValue.Create(string.Empty);
            case 1: return JsonValue.Create(82);
            case 2: return JsonValue.Create(random.Next(2) == 0);
            case 3: return JsonValue.Create(Pick("NaN", "Infinity", "Final", "UNKNOWN", "82"));
            case 4: return new JsonObject();
            case 5: return new JsonArray();
            case 6: return new JsonArray((JsonNode?)null);
            case 7: return new JsonArray(original?.DeepClone() ?? JsonValue.Create("x"));
            case 8: return new JsonObject { ["value"] = original?.DeepClone() ?? JsonValue.Create("x") };
            case 9: return Nested(original ?? JsonValue.Create(1), Pick(2, 5, 20));
            case 10: return Raw(Pick("-0", "-0.0", "1.5"));
            case 11: return new JsonObject { ["lastUpdated"] = "yesterday", ["versionId"] = 7, ["tag"] = new JsonObject { ["code"] = 1 } };
            case 12: return new JsonArray(new JsonObject { ["url"] = 7, ["valueDateTime"] = "2024-13-45", ["valueQuantity"] = new JsonObject { ["value"] = "82" } });
            case 13: return new JsonObject { ["status"] = "Generated", ["div"] = 42 };
            case 14: return JsonValue.Create(Pick("a\u0001b", "line\nbreak", "\u202e", new string('y', 2_000)));
            default: return new JsonArray(new JsonObject { ["system"] = 7, ["value"] = new JsonArray(1, 2), ["period"] = new JsonObject { ["start"] = "2024-02-30" } });
        }
    }

    /// <summary>A resource of a type the rule ignores, for <paramref name="patientId"/>, with hostile members.</summary>
    public JsonObject IgnoredResource(string patientId)
    {
        var type = Pick("MedicationRequest", "Encounter", "Procedure", "AllergyIntolerance", "Immunization");
        var resource = new JsonObject
        {
            ["resourceType"] = type,
            ["id"] = "fuzz-" + random.Next(1_000_000).ToString(CultureInfo.InvariantCulture),
            [type == "Encounter" || type == "MedicationRequest" || type == "Procedure" ? "subject" : "patient"] = new JsonObject { ["reference"] = "Patient/" + patientId },
            ["status"] = ReadableHostile(JsonValue.Create("final")),
        };
        foreach (var member in new[] { "code", "meta", "identifier", "note", "period", "intent", "class" })
        {
            if (random.Next(2) == 0)
            {
                resource[member] = ReadableHostile(JsonValue.Create("x"));
            }
        }

        return resource;
    }

    private JsonNode MutateTree(JsonNode root, List<string> said)
    {
        var nodes = new List<(JsonNode? Parent, string? Name, int Index, JsonNode? Node, string Path)>();
        Collect(null, null, -1, root, "$", 0, nodes);
        // A third of the time near the top (hook, context, prefetch keys and their Bundles).
        var near = nodes.Where(n => n.Path.Count(c => c is '.' or '[') <= 3).ToList();
        var pool = random.Next(3) == 0 && near.Count > 1 ? near : nodes;
        var (parent, name, index, node, path) = pool[random.Next(pool.Count)];
        if (parent is null)
        {
            var replaced = Hostile(node);
            said.Add($"$ = {Describe(replaced)}");
            return replaced ?? JsonValue.Create("null")!;
        }

        switch (random.Next(10))
        {
            case 0 or 1:
                Remove(parent, name, index);
                said.Add($"deleted {path}");
                break;
            case 2:
                Set(parent, name, index, new JsonArray(node?.DeepClone()));
                said.Add($"wrapped {path} in an array");
                break;
            case 3:
                Set(parent, name, index, new JsonObject { [Pick("value", "valueString", name ?? "item")] = node?.DeepClone() });
                said.Add($"wrapped {path} in an object");
                break;
            case 4 when parent is JsonObject obj && name is not null:
                var twin = random.Next(2) == 0 ? node?.DeepClone() : Hostile(node);
                obj[DupMark + (_duplicates++).ToString(CultureInfo.InvariantCulture) + ":" + name] = twin;
                said.Add($"duplicated {path} (second value {Truncate(Describe(twin))})");
                break;
            case 5 when parent is JsonArray array:
                array.Insert(index, node?.DeepClone());
                said.Add($"duplicated the item {path}");
                break;
            case 6 when node is JsonObject obj:
                obj[Pick("status", "value", "resourceType", "entry", "extension", "id", "zzz", "")] = Hostile(null);
                said.Add($"added a member to {path}");
                break;
            default:
                var value = Hostile(node);
                Set(parent, name, index, value);
                said.Add($"{path} = {Truncate(Describe(value))}");
                break;
        }

        return root;
    }

    private byte[] MutateBytes(byte[] bytes, List<string> said)
    {
        switch (random.Next(8))
        {
            case 0:
                var at = random.Next(bytes.Length);
                said.Add($"truncated to {at} of {bytes.Length} bytes");
                return bytes[..at];
            case 1:
                var changed = (byte[])bytes.Clone();
                var count = random.Next(1, 9);
                for (var i = 0; i < count; i++)
                {
                    changed[random.Next(changed.Length)] = (byte)random.Next(256);
                }

                said.Add($"{count} random byte(s) overwritten");
                return changed;
            case 2:
                var noise = new byte[random.Next(0, 2_000)];
                random.NextBytes(noise);
                said.Add($"{noise.Length} random bytes instead of the body");
                return noise;
            case 3:
                said.Add("a UTF-8 byte order mark before the body");
                return [0xEF, 0xBB, 0xBF, .. bytes];
            case 4 or 5:
                byte[] invalid = Pick<byte[]>([0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xC0, 0xAF], [0xE2, 0x82]);
                var inside = InsideString(bytes);
                said.Add($"invalid UTF-8 ({Convert.ToHexString(invalid)}) at byte {inside}");
                return [.. bytes[..inside], .. invalid, .. bytes[inside..]];
            case 6:
                var control = InsideString(bytes);
                said.Add($"a raw control character at byte {control}");
                return [.. bytes[..control], (byte)Pick(0x00, 0x01, 0x1F, 0x0A), .. bytes[control..]];
            default:
                said.Add("an empty body");
                return [];
        }
    }

    /// <summary>A position just inside a string literal (after a random quote), or 0.</summary>
    private int InsideString(byte[] bytes)
    {
        var quotes = new List<int>();
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'"')
            {
                quotes.Add(i + 1);
            }
        }

        return quotes.Count == 0 ? 0 : quotes[random.Next(quotes.Count)];
    }

    private static void Collect(JsonNode? parent, string? name, int index, JsonNode? node, string path, int depth, List<(JsonNode?, string?, int, JsonNode?, string)> into)
    {
        into.Add((parent, name, index, node, path));
        if (depth > 40)
        {
            return;
        }

        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    Collect(obj, key, -1, value, $"{path}.{key}", depth + 1, into);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    Collect(array, null, i, array[i], $"{path}[{i}]", depth + 1, into);
                }

                break;
        }
    }

    private static void Remove(JsonNode parent, string? name, int index)
    {
        if (parent is JsonObject obj)
        {
            obj.Remove(name!);
        }
        else
        {
            parent.AsArray().RemoveAt(index);
        }
    }

    private static void Set(JsonNode parent, string? name, int index, JsonNode? value)
    {
        if (parent is JsonObject obj)
        {
            obj[name!] = value;
        }
        else
        {
            parent.AsArray()[index] = value;
        }
    }

    private JsonValue Raw(string text)
    {
        _raw.Add(text);
        return JsonValue.Create(RawMark + (_raw.Count - 1).ToString(CultureInfo.InvariantCulture));
    }

    private JsonValue Nested(JsonNode? inner, int depth)
    {
        // Deeper than the writer's own limit: built as text.
        var objects = random.Next(2) == 0;
        var core = inner?.ToJsonString() ?? "1";
        var text = new StringBuilder(depth * 6 + core.Length);
        for (var i = 0; i < depth; i++)
        {
            text.Append(objects ? "{\"a\":" : "[");
        }

        text.Append(RawPlaceholder().IsMatch(core) ? "1" : core);
        for (var i = 0; i < depth; i++)
        {
            text.Append(objects ? '}' : ']');
        }

        return Raw(text.ToString());
    }

    private string Describe(JsonNode? value)
    {
        var text = value?.ToJsonString() ?? "null";
        return RawPlaceholder().Replace(text, m => Truncate(_raw[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)]));
    }

    private static string Capitalised(JsonNode? original) =>
        original is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0
            ? char.ToUpperInvariant(s[0]) + s[1..]
            : "Final";

    private static string NumberAsString(JsonNode? original) =>
        original is JsonValue v && v.TryGetValue<double>(out var d) ? d.ToString(CultureInfo.InvariantCulture) : "82";

    private T Pick<T>(params T[] choices) => choices[random.Next(choices.Length)];

    private static string Truncate(string text) => FuzzSettings.Truncate(text, 200);

    [GeneratedRegex("\"\\\\u0000raw:(\\d+)\"")]
    private static partial Regex RawPlaceholder();

    [GeneratedRegex("\"\\\\u0000dup:\\d+:")]
    private static partial Regex DupName();
}
