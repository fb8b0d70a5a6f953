using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Validation;

namespace PttmHooks.Service.CdsHooks;

/// <summary>
/// Makes a resource the Firely SDK read in part safe to read. The SDK keeps what it could not place
/// (an object where R4 wants an array, a string where it wants an object) in the element's
/// "overflow", and the typed property then throws when it is read: a <c>Bundle.entry</c> written as
/// an object made <c>bundle.Entry</c> throw deep inside the rule. <see cref="Repair"/> empties every
/// such element and says which ones it emptied, so that the caller can say so (or refuse the value
/// when the damage is to a search Bundle's own structure rather than inside one of its resources).
/// </summary>
public static partial class FhirReadInPart
{
    /// <summary>
    /// The deserialisation validator of <see cref="CdsJson.Fhir"/>. Without a validator the SDK
    /// accepts an object where R4 has an array (and the reverse) without a word, and stores it
    /// where the typed property throws; this one reports it, so that the value arrives as a
    /// <see cref="DeserializationFailedException"/> with a partial result to repair. It checks
    /// nothing else: Firely's full attribute validation costs three times the parse (CdsJson).
    /// </summary>
    public static IPocoValidator ShapeValidator { get; } = new ArrayShapeValidator();

    /// <summary>
    /// Empties the elements of <paramref name="resource"/> (and of everything in it) that cannot be
    /// read, and drops null items from its lists. Returns the FHIRPath-like location of each element
    /// emptied (<c>Bundle.entry</c>, <c>Bundle.entry[0].resource.code.coding</c>), in document order.
    /// </summary>
    public static IReadOnlyList<string> Repair(Base resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var removed = new List<string>();
        RepairNode(resource, resource.TypeName, removed);
        return removed;
    }

    /// <summary>
    /// True when <paramref name="location"/> (from <see cref="Repair"/> on a Bundle) is the Bundle's
    /// own structure (its entry and link lists, an entry, an entry's resource slot) rather than an
    /// element inside one of its resources.
    /// </summary>
    public static bool IsBundleStructure(string location) =>
        location.StartsWith("Bundle", StringComparison.Ordinal) && !InsideEntryResource().IsMatch(location);

    /// <summary>A one-line account of what was skipped, for a card's data notes.</summary>
    public static string Describe(IReadOnlyList<string> removed, string? firstError)
    {
        var where = removed.Count == 0 ? string.Empty : $" ({string.Join(", ", removed.Take(3))}{(removed.Count > 3 ? ", …" : string.Empty)})";
        return $"{Math.Max(removed.Count, 1)} element(s) that are not valid FHIR R4 were skipped{where}" + (firstError is null ? string.Empty : $"; first error: {Shorten(firstError)}");
    }

    private static void RepairNode(Base node, string path, List<string> removed)
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
                    removed.Add($"{path}.{property.Name}");
                    emptied = true;
                }
            }

            // The rest of the overflow is data under names R4 does not have here (a string
            // written where an object belongs leaves its "value" behind): never read, dropped.
            node.ClearOverflow();
            if (!emptied)
            {
                removed.Add(path);
            }
        }

        foreach (var (name, value) in node.EnumerateElements())
        {
            switch (value)
            {
                case Base child:
                    RepairNode(child, $"{path}.{name}", removed);
                    break;
                case IList list:
                    for (var i = list.Count - 1; i >= 0; i--)
                    {
                        if (list[i] is null)
                        {
                            list.RemoveAt(i);
                            removed.Add($"{path}.{name}[{i}]");
                        }
                    }

                    for (var i = 0; i < list.Count; i++)
                    {
                        if (list[i] is Base item)
                        {
                            RepairNode(item, $"{path}.{name}[{i}]", removed);
                        }
                    }

                    break;
            }
        }
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    [GeneratedRegex(@"^Bundle\.entry\[\d+\]\.resource\.")]
    private static partial Regex InsideEntryResource();

    private sealed class ArrayShapeValidator : IPocoValidator
    {
        public IReadOnlyCollection<CodedValidationException> ValidateProperty(string name, object? propertyValue, PropertyMapping? propertyMapping, PocoValidationContext context)
        {
            if (propertyMapping is null || propertyValue is null)
            {
                return [];
            }

            if (propertyMapping.IsCollection && propertyValue is IList list)
            {
                // [null, {...}] passes the parser (only an array of nothing but nulls is refused
                // there), and a null item throws in whatever reads the list.
                for (var i = 0; i < list.Count; i++)
                {
                    if (list[i] is null)
                    {
                        return [new CodedValidationException(CodedValidationException.REPEATING_ELEMENT_CANNOT_CONTAIN_NULL_CODE, $"'{name}' holds a null item (at {Where(name, context)}[{i}]).")];
                    }
                }

                return [];
            }

            if (propertyMapping.IsCollection == propertyValue is IList)
            {
                return [];
            }

            var where = Where(name, context);
            return
            [
                new CodedValidationException(
                    CodedValidationException.INCORRECT_CARDINALITY_MAX_CODE,
                    propertyMapping.IsCollection
                        ? $"'{name}' must be a JSON array in FHIR R4, not a single value (at {where})."
                        : $"'{name}' must be a single value in FHIR R4, not a JSON array (at {where})."),
            ];
        }

        private static string Where(string name, PocoValidationContext context) => context.PathProducer is { } path ? path() : name;

        public IReadOnlyCollection<CodedValidationException> ValidateObject(Base instance, ClassMapping mapping, PocoValidationContext context) => [];
    }
}
