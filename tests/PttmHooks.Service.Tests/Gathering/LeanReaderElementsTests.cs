using System.Reflection;
using System.Reflection.Emit;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;
using PttmHooks.Clinical;
using PttmHooks.Reading.Gathering;
using PttmHooks.Service.Cards;

namespace PttmHooks.Service.Tests.Gathering;

/// <summary>
/// The lean reader builds only the elements in <see cref="LeanReader.ReadElements"/>; an element the
/// rule, the gathering or the card reads that is not in that list would silently read as empty
/// from prefetch. This test reads the compiled code itself (the IL of every method of the
/// assemblies that read resources) and fails for every FHIR element whose getter is called there
/// and that the lean reader does not build, so that a new element read by the rule cannot be
/// forgotten in the list. The equivalence tests catch such a gap only where a case uses the element.
/// </summary>
public sealed class LeanReaderElementsTests
{
    /// <summary>
    /// Elements read by the code that the lean reader may leave empty, each with why that is safe.
    /// </summary>
    private static readonly Dictionary<string, string> s_exempt = new(StringComparer.Ordinal)
    {
        ["DomainResource.contained"] = "a value with contained resources always goes to the Firely path",
        ["Binary.contentType"] = "a Binary is never read lean: a contained one sends its value to the Firely path, one by url is fetched from the FHIR server",
        ["Binary.data"] = "as Binary.contentType",
        ["Resource.id"] = "every resource's id is read",
    };

    /// <summary>The namespaces whose code reads resources that may come from prefetch.</summary>
    private static readonly (Assembly Assembly, string[] Namespaces)[] s_readers =
    [
        (typeof(PttmRule).Assembly, ["PttmHooks.Clinical"]),
        (typeof(PrefetchReader).Assembly, ["PttmHooks.Reading.Gathering"]),
        (typeof(CardComposer).Assembly, ["PttmHooks.Service.Cards", "PttmHooks.Service.Screening"]),
    ];

    private static readonly Dictionary<short, OpCode> s_opCodes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    [Fact]
    public void Every_element_the_code_reads_from_a_resource_is_one_the_lean_reader_builds()
    {
        var read = ElementsRead();

        // The scan finds what it must: elements the rule is known to read.
        Assert.Contains("Observation.value", read.Keys);
        Assert.Contains("Condition.code", read.Keys);
        Assert.Contains("DiagnosticReport.conclusion", read.Keys);
        Assert.Contains("Attachment.data", read.Keys);

        var missing = read
            .Where(e => !LeanReader.ReadElements.Contains(e.Key) && !s_exempt.ContainsKey(e.Key))
            .Select(e => $"{e.Key} (read in {string.Join(", ", e.Value.Order(StringComparer.Ordinal).Take(3))})")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(missing.Count == 0, "Read by the code but not built by the lean reader (add them to LeanReader.ReadElements):\n" + string.Join("\n", missing));
    }

    /// <summary>
    /// Every element of a FHIR model type whose getter the readers' methods call, as
    /// <c>Type.element</c> (the class mapping's name, as <see cref="LeanReader.ReadElements"/> has it),
    /// with the methods that call it.
    /// </summary>
    private static Dictionary<string, HashSet<string>> ElementsRead()
    {
        var read = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (assembly, namespaces) in s_readers)
        {
            foreach (var type in assembly.GetTypes().Where(t => t.Namespace is { } ns && namespaces.Any(n => ns == n || ns.StartsWith(n + ".", StringComparison.Ordinal))))
            {
                if (type == typeof(LeanReader) || type.DeclaringType == typeof(LeanReader) || type.FullName!.StartsWith(typeof(LeanReader).FullName + "+", StringComparison.Ordinal))
                {
                    continue;
                }

                const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
                foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
                {
                    foreach (var getter in GettersCalled(method))
                    {
                        if (ElementOf(getter) is { } element)
                        {
                            if (!read.TryGetValue(element, out var callers))
                            {
                                read[element] = callers = new HashSet<string>(StringComparer.Ordinal);
                            }

                            callers.Add($"{type.Name}.{method.Name}");
                        }
                    }
                }
            }
        }

        return read;
    }

    /// <summary>The property getters <paramref name="method"/> calls (call, callvirt, ldftn).</summary>
    private static IEnumerable<MethodBase> GettersCalled(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        var typeArguments = method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var i = 0;
        while (i < il.Length)
        {
            var code = il[i] == 0xFE ? s_opCodes[(short)(0xFE00 | il[i + 1])] : s_opCodes[il[i]];
            i += code.Size;
            var operand = code.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, i)),
                _ => 4,
            };
            if (code.OperandType == OperandType.InlineMethod)
            {
                MethodBase? called = null;
                try
                {
                    called = method.Module.ResolveMethod(BitConverter.ToInt32(il, i), typeArguments, methodArguments);
                }
                catch (ArgumentException)
                {
                    // A token in a generic context this walk cannot rebuild: not a FHIR getter.
                }

                if (called is { IsSpecialName: true } && called.Name.StartsWith("get_", StringComparison.Ordinal))
                {
                    yield return called;
                }
            }

            i += operand;
        }
    }

    /// <summary>The FHIR element a getter reads (<c>Observation.value</c>), or null when it reads none (a primitive's value, a helper).</summary>
    private static string? ElementOf(MethodBase getter)
    {
        var type = getter.DeclaringType;
        if (type?.Namespace != "Hl7.Fhir.Model" || typeof(PrimitiveType).IsAssignableFrom(type))
        {
            return null;
        }

        if (ModelInfo.ModelInspector.FindOrImportClassMapping(type) is not { } mapping)
        {
            return null;
        }

        var name = getter.Name["get_".Length..];
        var property = mapping.PropertyMappings.FirstOrDefault(p =>
            p.NativeProperty?.Name == name || p.NativeProperty?.Name == name + "Element");
        return property is null ? null : mapping.Name + "." + property.Name;
    }
}
