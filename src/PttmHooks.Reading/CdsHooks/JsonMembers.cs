using System.Text.Json;
using static Hl7.Fhir.Model.OperationOutcome;

namespace PttmHooks.Reading.CdsHooks;

/// <summary>
/// String members of a CDS Hooks JSON body, read the same way by the hook request and the feedback
/// parsers: the issue names the member by its path (prefix + name), and an empty
/// string is an error, as CDS Hooks 2.0 allows "no null or empty values".
/// </summary>
internal static class JsonMembers
{
    /// <summary>The string member <paramref name="name"/>; an issue when it is absent, null, not a string or empty.</summary>
    public static string? Required(JsonElement parent, string name, List<RequestIssue> issues, string prefix = "")
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            issues.Add(new RequestIssue(prefix + name, $"{prefix}{name} is required.", IssueType.Required));
            return null;
        }

        return StringValue(value, prefix + name, issues);
    }

    /// <summary>The string member <paramref name="name"/>, or null when absent; an issue when it is not a string or empty.</summary>
    public static string? Optional(JsonElement parent, string name, List<RequestIssue> issues, string prefix = "")
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return StringValue(value, prefix + name, issues);
    }

    private static string? StringValue(JsonElement value, string path, List<RequestIssue> issues)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            issues.Add(new RequestIssue(path, $"{path} must be a string.", IssueType.Structure));
            return null;
        }

        var text = value.GetString()!;
        if (string.IsNullOrWhiteSpace(text))
        {
            // CDS Hooks 2.0: "no null or empty values".
            issues.Add(new RequestIssue(path, $"{path} must not be empty; leave the member out instead.", IssueType.Invalid));
            return null;
        }

        return text;
    }
}
