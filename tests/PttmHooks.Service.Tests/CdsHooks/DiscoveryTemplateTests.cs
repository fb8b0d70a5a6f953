using System.Text.Json;
using PttmHooks.Clinical;
using PttmHooks.Reading.Gathering;

namespace PttmHooks.Service.Tests.CdsHooks;

/// <summary>The prefetch templates of cds-services.json ask for every Observation code the rule reads.</summary>
public sealed class DiscoveryTemplateTests
{
    [Fact]
    public void Every_observation_code_of_the_value_sets_is_in_an_Observation_template()
    {
        var templates = TestFiles.Templates
            .Select(t => PrefetchTemplate.Parse(t.Key, t.Value))
            .Where(t => t.ResourceType == "Observation" && t.IsSearch)
            .ToList();
        Assert.NotEmpty(templates);
        var requested = templates.SelectMany(t => CodeTokens(t.Template)).ToHashSet(StringComparer.Ordinal);

        using var stream = typeof(PttmRule).Assembly.GetManifestResourceStream("PttmHooks.Clinical.value-sets.json")!;
        using var document = JsonDocument.Parse(stream);
        var systems = document.RootElement.GetProperty("systems").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
        var checkedCodes = 0;
        var missing = new List<string>();
        foreach (var set in document.RootElement.GetProperty("valueSets").EnumerateArray())
        {
            if (!set.GetProperty("appliesTo").EnumerateArray().Any(a => a.GetString() == "Observation"))
            {
                continue;
            }

            foreach (var code in set.GetProperty("codes").EnumerateArray())
            {
                var token = systems[code.GetProperty("system").GetString()!] + "|" + code.GetProperty("code").GetString();
                checkedCodes++;
                if (!requested.Contains(token))
                {
                    missing.Add($"{set.GetProperty("id").GetString()}: {token}");
                }
            }
        }

        Assert.True(checkedCodes > 0, "no Observation value set was found");
        Assert.Empty(missing);
    }

    private static IEnumerable<string> CodeTokens(string template)
    {
        var query = template[(template.IndexOf('?', StringComparison.Ordinal) + 1)..];
        foreach (var pair in query.Split('&'))
        {
            if (pair.StartsWith("code=", StringComparison.Ordinal))
            {
                foreach (var token in pair["code=".Length..].Split(','))
                {
                    yield return Uri.UnescapeDataString(token);
                }
            }
        }
    }
}
