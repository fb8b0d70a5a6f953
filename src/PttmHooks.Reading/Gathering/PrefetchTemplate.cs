using System.Text.RegularExpressions;
using PttmHooks.Reading.CdsHooks;

namespace PttmHooks.Reading.Gathering;

/// <summary>
/// One prefetch template of the discovery document: a FHIR read (<c>Patient/{{context.patientId}}</c>)
/// or search (<c>Observation?patient={{context.patientId}}&amp;code=…</c>), and what its value must be.
/// </summary>
public sealed partial class PrefetchTemplate
{
    private PrefetchTemplate(string key, string template, string resourceType, bool isSearch)
    {
        Key = key;
        Template = template;
        ResourceType = resourceType;
        IsSearch = isSearch;
    }

    /// <summary>The prefetch key.</summary>
    public string Key { get; }

    /// <summary>The template as the discovery document writes it.</summary>
    public string Template { get; }

    /// <summary>The resource type the template reads or searches.</summary>
    public string ResourceType { get; }

    /// <summary>True for a search (the value is a Bundle), false for a read (the value is the resource).</summary>
    public bool IsSearch { get; }

    /// <summary>Parses a template; throws <see cref="FormatException"/> when it is neither a read nor a search.</summary>
    public static PrefetchTemplate Parse(string key, string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var match = Shape().Match(template);
        if (!match.Success)
        {
            throw new FormatException($"Prefetch template '{key}' is neither a FHIR read (Type/id) nor a search (Type?params): {template}");
        }

        return new PrefetchTemplate(key, template, match.Groups["type"].Value, match.Groups["search"].Success);
    }

    /// <summary>
    /// The relative FHIR URL with the tokens filled in from <paramref name="context"/>, or null when a
    /// token cannot be resolved (such a template is never sent with the literal token in it).
    /// </summary>
    /// <remarks>
    /// Tokens (CDS Hooks 2.0 "Prefetch tokens"): <c>{{context.X}}</c> for a primitive context field,
    /// and <c>{{userPractitionerId}}</c>, <c>{{userPractitionerRoleId}}</c>, <c>{{userPatientId}}</c>,
    /// <c>{{userRelatedPersonId}}</c> from <c>context.userId</c>.
    /// </remarks>
    public string? Fill(HookContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var unresolved = false;
        var filled = Token().Replace(Template, m =>
        {
            var name = m.Groups["name"].Value;
            string? value = null;
            if (name.StartsWith("context.", StringComparison.Ordinal))
            {
                context.Fields.TryGetValue(name["context.".Length..], out value);
            }
            else if (name.StartsWith("user", StringComparison.Ordinal) && name.EndsWith("Id", StringComparison.Ordinal))
            {
                var type = name["user".Length..^"Id".Length];
                var prefix = type + "/";
                value = context.UserId.StartsWith(prefix, StringComparison.Ordinal) ? context.UserId[prefix.Length..] : null;
            }

            if (value is null)
            {
                unresolved = true;
                return m.Value;
            }

            return Uri.EscapeDataString(value);
        });
        return unresolved ? null : filled;
    }

    [GeneratedRegex(@"^(?<type>[A-Z][A-Za-z]+)(?:/(?<read>[^?]+)|(?<search>\?.*))$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    [GeneratedRegex(@"\{\{\s*(?<name>[A-Za-z][A-Za-z0-9._]*)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Token();
}
