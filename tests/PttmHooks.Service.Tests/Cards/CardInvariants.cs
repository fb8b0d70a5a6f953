using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PttmHooks.Service.Tests.Cards;

/// <summary>
/// The rules every response of the service must keep: CDS Hooks 2.0's "no null or empty values",
/// the card's required members, and the invariants cds-resp-1 to cds-resp-7 of the CDSHooksResponse
/// logical model (FHIR tools IG; cds-resp-7 from CDS Hooks 3.0.0-ballot). Returns every violation.
/// </summary>
public static partial class CardInvariants
{
    private static readonly string[] s_indicators = ["info", "warning", "critical"];

    public static IReadOnlyList<string> Violations(JsonNode response)
    {
        var problems = new List<string>();
        if (response["cards"] is not JsonArray cards)
        {
            return ["the response has no cards array"];
        }

        NoNullOrEmpty(response, "$", problems, allowEmptyArrayAt: "$.cards");
        for (var i = 0; i < cards.Count; i++)
        {
            var card = cards[i]!.AsObject();
            var at = $"cards[{i}]";
            var summary = (string?)card["summary"];
            if (string.IsNullOrEmpty(summary) || summary.Length >= 140)
            {
                problems.Add($"{at}.summary missing or not under 140 characters ({summary?.Length})");
            }

            if (!s_indicators.Contains((string?)card["indicator"]))
            {
                problems.Add($"{at}.indicator is not info, warning or critical");
            }

            if (string.IsNullOrEmpty((string?)card["source"]?["label"]))
            {
                problems.Add($"{at}.source.label missing");
            }

            if (card["source"]?["url"] is { } url && !Uri.TryCreate((string?)url, UriKind.Absolute, out _))
            {
                problems.Add($"{at}.source.url not absolute");
            }

            if (card["uuid"] is { } uuid && !Guid.TryParse((string?)uuid, out _))
            {
                problems.Add($"{at}.uuid is not a UUID");
            }

            if ((string?)card["detail"] is { } detail && RawHtml().IsMatch(detail))
            {
                problems.Add($"{at}.detail contains raw HTML");
            }

            var suggestions = card["suggestions"] as JsonArray ?? [];
            var behavior = (string?)card["selectionBehavior"];
            // cds-resp-1: only one action can be suggested if selectionBehavior = at-most-one.
            if (behavior == "at-most-one" && suggestions.Count(s => (bool?)s!["isRecommended"] == true) > 1)
            {
                problems.Add($"{at}: cds-resp-1 (more than one recommended suggestion with at-most-one)");
            }

            // cds-resp-6: if suggestions are present, selectionBehavior must be provided.
            if (suggestions.Count > 0 && behavior is null)
            {
                problems.Add($"{at}: cds-resp-6 (suggestions without selectionBehavior)");
            }

            if (behavior is not null and not "at-most-one" and not "any")
            {
                problems.Add($"{at}.selectionBehavior '{behavior}' is not at-most-one or any");
            }

            for (var s = 0; s < suggestions.Count; s++)
            {
                var suggestion = suggestions[s]!;
                var sat = $"{at}.suggestions[{s}]";
                if (string.IsNullOrEmpty((string?)suggestion["label"]))
                {
                    problems.Add($"{sat}.label missing");
                }

                // cds-resp-7: actionSelectionBehavior is all, any or at-most-one.
                if ((string?)suggestion["actionSelectionBehavior"] is { } asb && asb is not ("all" or "any" or "at-most-one"))
                {
                    problems.Add($"{sat}: cds-resp-7");
                }

                foreach (var action in suggestion["actions"] as JsonArray ?? [])
                {
                    var type = (string?)action!["type"];
                    if (type is not ("create" or "update" or "delete"))
                    {
                        problems.Add($"{sat}: action type '{type}'");
                    }

                    // cds-resp-5: all suggestion actions must have a description.
                    if (string.IsNullOrEmpty((string?)action["description"]))
                    {
                        problems.Add($"{sat}: cds-resp-5 (action without description)");
                    }

                    // cds-resp-2: delete names a resourceId, not a resource.
                    if (type == "delete" && (action["resourceId"] is null || action["resource"] is not null))
                    {
                        problems.Add($"{sat}: cds-resp-2");
                    }

                    if (type is "create" or "update" && (string?)action["resource"]?["resourceType"] is null)
                    {
                        problems.Add($"{sat}: {type} without a FHIR resource");
                    }
                }
            }

            // cds-resp-4: every override reason has a display.
            foreach (var reason in card["overrideReasons"] as JsonArray ?? [])
            {
                if (string.IsNullOrEmpty((string?)reason!["display"]) || string.IsNullOrEmpty((string?)reason["code"]))
                {
                    problems.Add($"{at}: cds-resp-4 (override reason without code or display)");
                }
            }

            foreach (var link in card["links"] as JsonArray ?? [])
            {
                var type = (string?)link!["type"];
                if (type is not ("absolute" or "smart"))
                {
                    problems.Add($"{at}: link type '{type}'");
                }

                // cds-resp-3: appContext only for smart apps.
                if (type != "smart" && link["appContext"] is not null)
                {
                    problems.Add($"{at}: cds-resp-3");
                }

                if (!Uri.TryCreate((string?)link["url"], UriKind.Absolute, out _) || string.IsNullOrEmpty((string?)link["label"]))
                {
                    problems.Add($"{at}: link without label or absolute url");
                }
            }
        }

        return problems;
    }

    private static void NoNullOrEmpty(JsonNode? node, string path, List<string> problems, string allowEmptyArrayAt)
    {
        switch (node)
        {
            case null:
                problems.Add($"{path} is null");
                break;
            case JsonObject obj:
                if (obj.Count == 0)
                {
                    problems.Add($"{path} is an empty object");
                }

                foreach (var (name, value) in obj)
                {
                    NoNullOrEmpty(value, $"{path}.{name}", problems, allowEmptyArrayAt);
                }

                break;
            case JsonArray array:
                if (array.Count == 0 && path != allowEmptyArrayAt)
                {
                    problems.Add($"{path} is an empty array");
                }

                for (var i = 0; i < array.Count; i++)
                {
                    NoNullOrEmpty(array[i], $"{path}[{i}]", problems, allowEmptyArrayAt);
                }

                break;
            case JsonValue value when value.TryGetValue<string>(out var text) && string.IsNullOrWhiteSpace(text):
                problems.Add($"{path} is an empty string");
                break;
        }
    }

    // An HTML tag or comment that is not backslash-escaped.
    [GeneratedRegex(@"(?<!\\)<[A-Za-z!/]", RegexOptions.CultureInvariant)]
    private static partial Regex RawHtml();
}
