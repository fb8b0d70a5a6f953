using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Robustness;

/// <summary>
/// Input that is not JSON a reader can trust (a byte order mark, bytes that are not UTF-8, an
/// escaped lone surrogate, nesting past 64, duplicate members, a number of hundreds of digits, a
/// string of megabytes) is a 400 whose OperationOutcome says what is wrong and where, on the hook
/// endpoint and on feedback alike; the service goes on answering. Each of these was a 500, or was
/// held in memory and parsed, before.
/// </summary>
public sealed class BadInputTests(AppHost host) : IClassFixture<AppHost>
{
    private ServiceApp App => host.App;

    public static TheoryData<string, string> Paths => new()
    {
        { Http.ServicePath, "hook" },
        { Http.FeedbackPath, "feedback" },
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_byte_order_mark_is_400_saying_so(string path, string what)
    {
        _ = what;
        var body = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(Valid(path))).ToArray();

        var issue = Assert.Single(await PostBytesAsync(path, body, HttpStatusCode.BadRequest));

        Assert.Contains("byte order mark", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Bytes_that_are_not_UTF8_are_400_naming_the_offset(string path, string what)
    {
        _ = what;
        var valid = Encoding.UTF8.GetBytes(Valid(path));
        var at = Array.IndexOf(valid, (byte)'"', 5) + 1;
        var body = valid[..at].Concat(new byte[] { 0xC3, 0x28 }).Concat(valid[at..]).ToArray();

        var issue = Assert.Single(await PostBytesAsync(path, body, HttpStatusCode.BadRequest));

        Assert.Contains("not valid UTF-8", issue.Diagnostics, StringComparison.Ordinal);
        Assert.Contains($"at byte {at}", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task An_escaped_lone_surrogate_inside_a_prefetched_resource_is_400()
    {
        var request = App.CaseRequest("seed004-breast-history-hypoxaemia-vq");
        var text = request.ToJsonString().Replace("\"Malignant neoplasm of breast\"", "\"Malignant \\ud800 neoplasm\"", StringComparison.Ordinal);
        Assert.Contains("\\ud800", text, StringComparison.Ordinal);

        var issue = Assert.Single(await PostBytesAsync(Http.ServicePath, Encoding.UTF8.GetBytes(text), HttpStatusCode.BadRequest));

        Assert.Contains("lone surrogate", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task Nesting_deeper_than_64_levels_is_400_and_64_levels_are_read()
    {
        static string Nested(int levels) => new string('[', levels) + new string(']', levels);

        // Inside a Condition's extension, which the rule does not read: 63 levels in all is fine.
        var request = App.CaseRequest("seed004-breast-history-hypoxaemia-vq");
        var condition = Http.PrefetchedResources(request, "seed004-cond1").Single();
        condition["extension"] = new JsonArray(new JsonObject { ["url"] = "http://example.org/deep", ["valueString"] = "x" });
        // request 1, prefetch 2, Bundle 3, entry list 4, entry 5, Condition 6, extension list 7,
        // extension 8: the arrays nested in it start at level 9.
        const int ExtensionLevel = 8;
        var shallow = request.ToJsonString().Replace("\"valueString\":\"x\"", "\"valueString\":\"x\",\"_deep\":" + Nested(JsonDepthLimit - ExtensionLevel), StringComparison.Ordinal);
        var deep = request.ToJsonString().Replace("\"valueString\":\"x\"", "\"valueString\":\"x\",\"_deep\":" + Nested(JsonDepthLimit - ExtensionLevel + 1), StringComparison.Ordinal);
        Assert.Contains("_deep", deep, StringComparison.Ordinal);

        using (var response = await PostRawAsync(Http.ServicePath, Encoding.UTF8.GetBytes(shallow)))
        {
            Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.DoesNotContain("nested deeper", await response.TextAsync(), StringComparison.Ordinal);
        }

        var issue = Assert.Single(await PostBytesAsync(Http.ServicePath, Encoding.UTF8.GetBytes(deep), HttpStatusCode.BadRequest));
        Assert.Contains($"nested deeper than {JsonDepthLimit} levels", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task A_duplicate_member_inside_a_prefetched_resource_is_400_naming_it()
    {
        var request = App.CaseRequest("seed004-breast-history-hypoxaemia-vq");
        var text = request.ToJsonString().Replace("\"status\":\"final\"", "\"status\":\"final\",\"status\":\"entered-in-error\"", StringComparison.Ordinal);

        var issue = Assert.Single(await PostBytesAsync(Http.ServicePath, Encoding.UTF8.GetBytes(text), HttpStatusCode.BadRequest));

        Assert.Contains("'status'", issue.Diagnostics, StringComparison.Ordinal);
        Assert.Contains("Duplicate", issue.Diagnostics, StringComparison.OrdinalIgnoreCase);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task A_number_of_hundreds_of_digits_is_400()
    {
        var request = App.CaseRequest("seed004-breast-history-hypoxaemia-vq");
        var text = request.ToJsonString().Replace("\"total\":3", "\"total\":" + new string('9', 500), StringComparison.Ordinal);
        Assert.NotEqual(request.ToJsonString(), text);

        var issue = Assert.Single(await PostBytesAsync(Http.ServicePath, Encoding.UTF8.GetBytes(text), HttpStatusCode.BadRequest));

        Assert.Contains("a number of 500 characters", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    [Fact]
    public async Task A_number_out_of_range_in_a_FHIR_value_is_read_as_absent_and_named_on_the_card()
    {
        var request = App.CaseRequest("seed004-breast-history-hypoxaemia-vq");
        foreach (var spo2 in Http.PrefetchedResources(request, "seed004-obs5"))
        {
            spo2["valueQuantity"]!["value"] = JsonNode.Parse("1e400");
        }

        using var response = await App.PostJsonAsync(Http.ServicePath, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var detail = (string)Assert.Single((await response.JsonAsync())["cards"]!.AsArray())!["detail"]!;
        Assert.Contains("Observation/seed004-obs5.valueQuantity.value", detail.Replace("\\", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_string_of_megabytes_is_400_and_memory_is_not_held()
    {
        var request = App.CaseRequest("seed004-breast-history-hypoxaemia-vq");
        var condition = Http.PrefetchedResources(request, "seed004-cond1").Single();
        condition["note"] = new JsonArray(new JsonObject { ["text"] = new string('a', 9 * 1024 * 1024) });

        var issue = Assert.Single(await PostBytesAsync(Http.ServicePath, Encoding.UTF8.GetBytes(request.ToJsonString()), HttpStatusCode.BadRequest));

        Assert.Contains("a string of 9,437,184 bytes", issue.Diagnostics, StringComparison.Ordinal);
        Assert.Contains("limit of 8,388,608", issue.Diagnostics, StringComparison.Ordinal);
        await App.StillAnswersDiscoveryAsync();
    }

    private const int JsonDepthLimit = 64;

    private static string Valid(string path) => path == Http.FeedbackPath
        ? """{"feedback":[{"card":"9b0e2c1e-6a4d-4b8e-9a51-0c7d3f1b2a10","outcome":"accepted","acceptedSuggestions":[{"id":"x"}],"outcomeTimestamp":"2026-11-20T12:00:00Z"}]}"""
        : Http.MinimalRequest().ToJsonString();

    private async Task<HttpResponseMessage> PostRawAsync(string path, byte[] body)
    {
        using var client = App.CreateClient();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await client.PostAsync(new Uri(path, UriKind.Relative), content, TestContext.Current.CancellationToken);
    }

    private async Task<IReadOnlyList<(string Diagnostics, string? Expression, string Code)>> PostBytesAsync(string path, byte[] body, HttpStatusCode status)
    {
        using var response = await PostRawAsync(path, body);
        return await response.ErrorAsync(status);
    }
}
