using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;

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
    /// True when <paramref name="resource"/> holds something its typed properties cannot give back:
    /// an element in overflow (the SDK, parsing without a validator as <see cref="CdsJson.Fhir"/>
    /// does, accepts an object where R4 has an array, and the reverse, without a word) or a null
    /// item in a list (<c>[null, {…}]</c> passes its parser). A walk of the resource that allocates
    /// one enumerator per complex element; primitives are not visited (see below).
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

        if (resource is PrimitiveType)
        {
            return false;
        }

        foreach (var (_, value) in resource.EnumerateElements())
        {
            switch (value)
            {
                // Most elements are primitives. A primitive in the wrong shape ("status": ["final"])
                // lands in its parent's overflow, and an unknown member inside one is a parse
                // error: a primitive itself never needs a look.
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
    /// Settles a resource just parsed: repairs it when <see cref="NeedsRepair"/> says so, or always
    /// when the parse reported <paramref name="firstError"/> (the SDK's partial result), and says
    /// what that came to. The one decision every reader of FHIR JSON makes (prefetch, the FHIR
    /// server's answers, the CLI's Bundles and export lines), so that they all read alike.
    /// </summary>
    /// <param name="resource">The resource parsed, or the SDK's partial result.</param>
    /// <param name="firstError">The parse's first error message, when it reported any.</param>
    public static Settled Settle(Resource resource, string? firstError)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var removed = firstError is null ? (NeedsRepair(resource) ? Repair(resource) : []) : Repair(resource);
        if (removed.Count == 0 && firstError is null)
        {
            return default;
        }

        return resource is Bundle && removed.FirstOrDefault(IsBundleStructure) is { } broken
            ? new Settled(broken, null)
            : new Settled(null, Describe(removed, firstError));
    }

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
    private static bool IsBundleStructure(string location) =>
        location.StartsWith("Bundle", StringComparison.Ordinal) && !InsideEntryResource().IsMatch(location);

    /// <summary>A one-line account of what was skipped, for a card's data notes.</summary>
    private static string Describe(IReadOnlyList<string> removed, string? firstError)
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
}

/// <summary>What <see cref="FhirReadInPart.Settle"/> came to; both null when the resource was read whole.</summary>
/// <param name="Broken">
/// The first element of a search Bundle's own structure that could not be read (<c>Bundle.entry</c>):
/// the value is not a Bundle to use.
/// </param>
/// <param name="Note">Otherwise, what was skipped ("2 element(s) that are not valid FHIR R4 were skipped (…)").</param>
public readonly record struct Settled(string? Broken, string? Note);
