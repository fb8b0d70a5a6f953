using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;

namespace PttmHooks.Reading.Gathering;

/// <summary>How <see cref="PrefetchReader"/> parses each prefetch value.</summary>
public enum PrefetchParsing
{
    /// <summary>
    /// The lean reader (<see cref="LeanReader"/>) first; a value it has any doubt about is read by the
    /// Firely SDK, as <see cref="Firely"/> reads every value. The default.
    /// </summary>
    Lean,

    /// <summary>Every value read by the Firely SDK and settled by <see cref="FhirReadInPart"/>.</summary>
    Firely,
}

/// <summary>
/// Reads a prefetch value in one forward pass of a <see cref="Utf8JsonReader"/> into the Firely POCOs,
/// building only the elements the rule, the gathering and the card composer read
/// (<see cref="ReadElements"/>) and checking the shape and value of every element, read or not, as the
/// Firely SDK's parser and <see cref="FhirReadInPart.Settle"/> would judge them.
/// </summary>
/// <remarks>
/// The model is Firely's own (<see cref="ModelInfo.ModelInspector"/>'s class and property mappings):
/// which JSON names a type has, which are lists, which choice types an element takes, which
/// primitive each is. Anything in doubt (an unknown or repeated name, a list where one value
/// belongs or the reverse, a null, an empty object or list, a number as a string, a code or a date
/// that is not valid, a <c>_element</c>, a contained resource, an unknown <c>resourceType</c>, or
/// <c>resourceType</c> not first) makes <see cref="TryRead"/> return null, and the caller reads the
/// whole value with the SDK, so that what is emptied, noted and said about the value stays as the
/// SDK path says it. A value read here is one the SDK would have read without an error, whose
/// settling would have changed nothing.
/// </remarks>
internal static class LeanReader
{
    /// <summary>
    /// The elements built, as <c>Type.element</c> (the class mapping's name, the property's name);
    /// every other element is checked and skipped. Every resource's <c>id</c> is read too.
    /// </summary>
    internal static FrozenSet<string> ReadElements { get; } = FrozenSet.Create(StringComparer.Ordinal,
    [
        // The resources the rule reads (PatientRecord), and what the gathering reads of a value.
        "Patient.birthDate",
        "Condition.clinicalStatus", "Condition.verificationStatus", "Condition.code", "Condition.subject", "Condition.onset", "Condition.recordedDate",
        "Observation.status", "Observation.code", "Observation.subject", "Observation.effective", "Observation.issued", "Observation.value",
        "Observation.dataAbsentReason", "Observation.component", "Observation.interpretation", "Observation.method", "Observation.note",
        "Observation.component.code", "Observation.component.value", "Observation.component.dataAbsentReason",
        "DiagnosticReport.status", "DiagnosticReport.code", "DiagnosticReport.category", "DiagnosticReport.subject", "DiagnosticReport.effective",
        "DiagnosticReport.issued", "DiagnosticReport.result", "DiagnosticReport.conclusion", "DiagnosticReport.conclusionCode", "DiagnosticReport.presentedForm",
        "DocumentReference.status", "DocumentReference.docStatus", "DocumentReference.type", "DocumentReference.category", "DocumentReference.subject",
        "DocumentReference.description", "DocumentReference.date", "DocumentReference.content", "DocumentReference.context",
        "DocumentReference.content.attachment", "DocumentReference.context.period",
        "Bundle.link", "Bundle.entry", "Bundle.link.relation", "Bundle.link.url", "Bundle.entry.resource", "Bundle.entry.search", "Bundle.entry.search.mode",
        "OperationOutcome.issue", "OperationOutcome.issue.diagnostics", "OperationOutcome.issue.details",

        // The datatypes those elements hold.
        "CodeableConcept.coding", "CodeableConcept.text",
        "Coding.system", "Coding.code", "Coding.display",
        "Quantity.value", "Quantity.comparator", "Quantity.unit", "Quantity.system", "Quantity.code",
        "Age.value", "Age.comparator", "Age.unit", "Age.system", "Age.code",
        "Period.start", "Period.end",
        "Reference.reference",
        "Annotation.text",
        "Attachment.contentType", "Attachment.data", "Attachment.url", "Attachment.size",
    ]);

    private static readonly JsonReaderOptions s_options = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 };

    // Every resource type of the model, by its resourceType.
    private static readonly FrozenDictionary<string, ClassMapping> s_resources = ModelInfo.SupportedResources
        .Select(name => ModelInfo.ModelInspector.FindClassMapping(name))
        .OfType<ClassMapping>()
        .Where(m => m.IsResource)
        .ToFrozenDictionary(m => m.Name, StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, ClassMapping>.AlternateLookup<ReadOnlySpan<char>> s_resourcesByName =
        s_resources.GetAlternateLookup<ReadOnlySpan<char>>();

    // The longest JSON name looked up; a longer one is no element of R4.
    private const int MaxName = 96;

    /// <summary>
    /// Reads <paramref name="value"/> (a JSON object) as a FHIR resource, or returns null when anything
    /// in it is in doubt (see the remarks of <see cref="LeanReader"/>): the caller then reads it with the SDK.
    /// </summary>
    public static Resource? TryRead(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(JsonMarshal.GetRawUtf8Value(value), s_options);
            return reader.Read() && ReadResource(ref reader, out var resource) && !reader.Read() ? resource : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException or InvalidCastException or OverflowException)
        {
            // Bytes the reader or a POCO setter refuses: the SDK says what they are.
            return null;
        }
    }

    /// <summary>Reads a resource; the reader is on its <c>{</c> and is left on its <c>}</c>.</summary>
    private static bool ReadResource(ref Utf8JsonReader reader, out Resource? resource)
    {
        resource = null;
        if (reader.TokenType != JsonTokenType.StartObject
            || !reader.Read() || reader.TokenType != JsonTokenType.PropertyName || !reader.ValueTextEquals("resourceType"u8)
            || !reader.Read() || reader.TokenType != JsonTokenType.String)
        {
            return false;
        }

        Span<char> name = stackalloc char[MaxName];
        if (!TryCopy(ref reader, name, out var length) || !s_resourcesByName.TryGetValue(name[..length], out var mapping))
        {
            return false;
        }

        resource = (Resource)mapping.CreateInstance();
        return ReadMembers(ref reader, LeanType.Of(mapping), resource, resource: true);
    }

    /// <summary>
    /// Reads the members of an object into <paramref name="target"/> (null: checked only); the reader
    /// is on its <c>{</c> (or, for a resource, on its <c>resourceType</c>'s value) and is left on its <c>}</c>.
    /// </summary>
    private static bool ReadMembers(ref Utf8JsonReader reader, LeanType type, Base? target, bool resource = false)
    {
        Span<char> name = stackalloc char[MaxName];
        Span<ulong> seen = stackalloc ulong[type.SeenWords];
        seen.Clear();
        var any = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!TryCopy(ref reader, name, out var length) || !type.ByName.TryGetValue(name[..length], out var element))
            {
                // An unknown name (the SDK keeps it in overflow), a _element, or a second resourceType.
                return false;
            }

            ref var word = ref seen[element.Index >> 6];
            var bit = 1UL << (element.Index & 63);
            if ((word & bit) != 0)
            {
                return false; // a repeated name, or a second type of one choice element
            }

            word |= bit;
            any = true;
            if (!reader.Read() || !ReadValue(ref reader, element, element.Read ? target : null))
            {
                return false;
            }
        }

        // An object with no member (but its resourceType) is an error of the SDK's.
        return reader.TokenType == JsonTokenType.EndObject && (any || resource);
    }

    /// <summary>Reads the value of one member (a list or one value); the reader is on its first token and left on its last.</summary>
    private static bool ReadValue(ref Utf8JsonReader reader, LeanElement element, Base? target)
    {
        if (!element.IsCollection)
        {
            if (reader.TokenType == JsonTokenType.StartArray || !ReadItem(ref reader, element, target is not null, out var single))
            {
                return false;
            }

            target?.SetValue(element.Name, single);
            return true;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        IList? list = target is null ? null : element.Value.CreateList();
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (!ReadItem(ref reader, element, list is not null, out var item))
            {
                return false;
            }

            list?.Add(item);
            count++;
        }

        if (count == 0)
        {
            return false; // an empty list is an error of the SDK's
        }

        target?.SetValue(element.Name, list);
        return true;
    }

    private static bool ReadItem(ref Utf8JsonReader reader, LeanElement element, bool build, out object? value)
    {
        value = null;
        switch (element.Kind)
        {
            case ElementKind.Primitive:
                return ReadPrimitive(ref reader, element, build, out value);
            case ElementKind.Resource:
                // Only a Bundle entry's resource; a contained resource is the SDK's to read.
                if (!element.Read || !ReadResource(ref reader, out var resource))
                {
                    return false;
                }

                value = resource;
                return true;
            default:
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    return false;
                }

                var complex = build ? element.Value.CreateInstance() : null;
                value = complex;
                return ReadMembers(ref reader, element.ValueType, complex);
        }
    }

    /// <summary>
    /// Checks a primitive as the SDK's parser and <see cref="FhirReadInPart.IsReadable"/> judge it, and
    /// builds it (its <see cref="PrimitiveType.JsonValue"/> as the SDK sets it) when <paramref name="build"/>.
    /// </summary>
    private static bool ReadPrimitive(ref Utf8JsonReader reader, LeanElement element, bool build, out object? value)
    {
        value = null;
        object? json;
        switch (element.Primitive)
        {
            case PrimitiveKind.Text:
                if (reader.TokenType != JsonTokenType.String)
                {
                    return false;
                }

                if (!build)
                {
                    // Not transcoded, but checked: a string of the request's document is not
                    // checked for UTF-8 until it is read, and the SDK's read of it throws.
                    return reader.ValueIsEscaped ? reader.GetString() is not null : Utf8.IsValid(reader.ValueSpan);
                }

                json = reader.GetString();
                break;
            case PrimitiveKind.Enumerated:
                if (reader.TokenType != JsonTokenType.String || !element.Literals!.IsValid(ref reader, out var literal))
                {
                    return false;
                }

                json = literal;
                break;
            case PrimitiveKind.Decimal:
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDecimal(out var number))
                {
                    return false;
                }

                json = number;
                break;
            case PrimitiveKind.Integer:
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var integer))
                {
                    return false;
                }

                json = integer;
                break;
            case PrimitiveKind.Boolean:
                if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                {
                    return false;
                }

                json = reader.TokenType == JsonTokenType.True;
                break;
            case PrimitiveKind.DateTime or PrimitiveKind.Date or PrimitiveKind.Time:
                if (reader.TokenType != JsonTokenType.String)
                {
                    return false;
                }

                var text = reader.GetString()!;
                var valid = element.Primitive switch
                {
                    PrimitiveKind.DateTime => FhirDateTime.IsValidValue(text),
                    PrimitiveKind.Date => Date.IsValidValue(text),
                    _ => Time.IsValidValue(text),
                };
                if (!valid)
                {
                    return false;
                }

                json = text;
                break;
            default:
                // instant, base64Binary, positiveInt, unsignedInt, …: built and judged as the settling judges it.
                json = element.Primitive switch
                {
                    PrimitiveKind.OtherText when reader.TokenType == JsonTokenType.String => reader.GetString(),
                    PrimitiveKind.OtherInteger when reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var other) => other,
                    _ => null,
                };
                if (json is null)
                {
                    return false;
                }

                var judged = (PrimitiveType)element.Value.CreateInstance();
                judged.JsonValue = json;
                if (!FhirReadInPart.IsReadable(judged))
                {
                    return false;
                }

                value = build ? judged : null;
                return true;
        }

        if (build)
        {
            var primitive = (PrimitiveType)element.Value.CreateInstance();
            primitive.JsonValue = json;
            value = primitive;
        }

        return true;
    }

    /// <summary>Copies the current string or name, unescaped, into <paramref name="buffer"/>; false when it does not fit.</summary>
    private static bool TryCopy(ref Utf8JsonReader reader, scoped Span<char> buffer, out int length)
    {
        var raw = reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (raw > buffer.Length)
        {
            length = 0;
            return false;
        }

        length = reader.CopyString(buffer);
        return true;
    }

    private enum ElementKind
    {
        Primitive,
        Complex,
        Resource,
    }

    private enum PrimitiveKind
    {
        /// <summary>string, id, uri, url, canonical, code, markdown, xhtml, …: any JSON string is read.</summary>
        Text,
        /// <summary>A code bound to an enum (<c>Code&lt;T&gt;</c>): one of its literals.</summary>
        Enumerated,
        Decimal,
        Integer,
        Boolean,
        DateTime,
        Date,
        Time,
        /// <summary>Another primitive the JSON writes as a string (instant, base64Binary).</summary>
        OtherText,
        /// <summary>Another primitive the JSON writes as an integer (positiveInt, unsignedInt).</summary>
        OtherInteger,
        /// <summary>A primitive this reader does not know: in doubt.</summary>
        Unknown,
    }

    /// <summary>One JSON name of a type: its property, and how its value is read.</summary>
    private sealed class LeanElement(string name, int index, bool isCollection, bool read, ClassMapping value)
    {
        private LeanType? _valueType;

        /// <summary>The property's name (for <see cref="Base.SetValue"/>).</summary>
        public string Name { get; } = name;

        /// <summary>The property's index in its type (the names of one choice element share it).</summary>
        public int Index { get; } = index;

        public bool IsCollection { get; } = isCollection;

        /// <summary>True when the element is built (see <see cref="ReadElements"/>).</summary>
        public bool Read { get; } = read;

        /// <summary>The mapping of the value's type (for a choice name, the type it names).</summary>
        public ClassMapping Value { get; } = value;

        public ElementKind Kind { get; } = value.IsResource || value.NativeType == typeof(Resource) ? ElementKind.Resource
            : value.IsFhirPrimitive ? ElementKind.Primitive : ElementKind.Complex;

        public PrimitiveKind Primitive { get; } = KindOf(value);

        /// <summary>The literals of a bound code.</summary>
        public CodeLiterals? Literals { get; } = value.IsCodeOfT ? CodeLiterals.Of(value) : null;

        /// <summary>The members of a complex value (built on first use: the model is recursive).</summary>
        public LeanType ValueType => _valueType ??= LeanType.Of(Value);

        private static PrimitiveKind KindOf(ClassMapping mapping)
        {
            var type = mapping.NativeType;
            if (!mapping.IsFhirPrimitive)
            {
                return PrimitiveKind.Unknown;
            }

            if (mapping.IsCodeOfT)
            {
                return PrimitiveKind.Enumerated;
            }

            if (type == typeof(FhirString) || type == typeof(Id) || type == typeof(Markdown) || type == typeof(Code) || type == typeof(XHtml)
                || typeof(FhirUri).IsAssignableFrom(type) || type == typeof(FhirUrl) || type == typeof(Canonical) || type == typeof(Oid) || type == typeof(Uuid))
            {
                return PrimitiveKind.Text;
            }

            if (type == typeof(FhirDecimal))
            {
                return PrimitiveKind.Decimal;
            }

            if (type == typeof(Integer))
            {
                return PrimitiveKind.Integer;
            }

            if (type == typeof(FhirBoolean))
            {
                return PrimitiveKind.Boolean;
            }

            if (type == typeof(FhirDateTime))
            {
                return PrimitiveKind.DateTime;
            }

            if (type == typeof(Date))
            {
                return PrimitiveKind.Date;
            }

            if (type == typeof(Time))
            {
                return PrimitiveKind.Time;
            }

            var native = mapping.PrimitiveValueProperty?.ImplementingType;
            native = native is null ? null : Nullable.GetUnderlyingType(native) ?? native;
            return native == typeof(string) || native == typeof(DateTimeOffset) || native == typeof(byte[]) ? PrimitiveKind.OtherText
                : native == typeof(int) ? PrimitiveKind.OtherInteger
                : PrimitiveKind.Unknown;
        }
    }

    /// <summary>The JSON names of one type of the model, from its class mapping.</summary>
    private sealed class LeanType
    {
        private static readonly ConcurrentDictionary<ClassMapping, LeanType> s_types = new();

        private LeanType(ClassMapping mapping)
        {
            var names = new Dictionary<string, LeanElement>(StringComparer.Ordinal);
            var index = 0;
            foreach (var property in mapping.PropertyMappings)
            {
                var read = ReadElements.Contains(mapping.Name + "." + property.Name) || (mapping.IsResource && property.Name == "id");
                if (property.Choice == ChoiceType.DatatypeChoice)
                {
                    foreach (var choice in property.FhirTypeMappings)
                    {
                        names[property.Name + char.ToUpperInvariant(choice.Name[0]) + choice.Name[1..]] = new LeanElement(property.Name, index, property.IsCollection, read, choice);
                    }
                }
                else if (ValueOf(property) is { } value)
                {
                    names[property.Name] = new LeanElement(property.Name, index, property.IsCollection, read, value);
                }

                index++;
            }

            Elements = names.ToFrozenDictionary(StringComparer.Ordinal);
            ByName = Elements.GetAlternateLookup<ReadOnlySpan<char>>();
            SeenWords = Math.Max(1, (index + 63) / 64);
        }

        public FrozenDictionary<string, LeanElement> Elements { get; }

        public FrozenDictionary<string, LeanElement>.AlternateLookup<ReadOnlySpan<char>> ByName { get; }

        /// <summary>How many 64-bit words mark the properties seen in one object.</summary>
        public int SeenWords { get; }

        public static LeanType Of(ClassMapping mapping) => s_types.GetOrAdd(mapping, static m => new LeanType(m));

        /// <summary>
        /// The mapping the SDK builds a property's value with: its own type when that is concrete
        /// (<c>Code&lt;ObservationStatus&gt;</c>), else the FHIR type it declares (an R4
        /// <c>unsignedInt</c> where the shared model says <c>PrimitiveType</c>).
        /// </summary>
        private static ClassMapping? ValueOf(PropertyMapping property)
        {
            var implementing = property.ImplementingType;
            if (!implementing.IsAbstract && typeof(Base).IsAssignableFrom(implementing)
                && ModelInfo.ModelInspector.FindOrImportClassMapping(implementing) is { } own)
            {
                return own;
            }

            return property.PropertyTypeMapping;
        }
    }

    /// <summary>
    /// The literals of one bound code that the settling reads (its typed getter gives them back),
    /// learnt as they come: a literal is judged once, by building it, and only valid ones are kept,
    /// so the set stays as small as the code's value set.
    /// </summary>
    private sealed class CodeLiterals
    {
        private const int MaxKept = 512;

        private static readonly ConcurrentDictionary<ClassMapping, CodeLiterals> s_codes = new();

        private readonly ClassMapping _mapping;
        private readonly ConcurrentDictionary<string, string> _valid = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

        private CodeLiterals(ClassMapping mapping)
        {
            _mapping = mapping;
            _lookup = _valid.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public static CodeLiterals Of(ClassMapping mapping) => s_codes.GetOrAdd(mapping, static m => new CodeLiterals(m));

        /// <summary>True when the current string is a literal of the code; <paramref name="literal"/> is it (one shared string).</summary>
        public bool IsValid(ref Utf8JsonReader reader, out string? literal)
        {
            Span<char> buffer = stackalloc char[MaxName];
            if (TryCopy(ref reader, buffer, out var length) && _lookup.TryGetValue(buffer[..length], out literal))
            {
                return true;
            }

            var text = reader.GetString()!;
            var code = (PrimitiveType)_mapping.CreateInstance();
            code.JsonValue = text;
            if (!FhirReadInPart.IsReadable(code))
            {
                literal = null;
                return false;
            }

            if (_valid.Count < MaxKept)
            {
                _valid.TryAdd(text, text);
            }

            literal = text;
            return true;
        }
    }
}
