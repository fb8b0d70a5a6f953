using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PttmHooks.Cli.Evaluate;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Reading.Samples;

namespace PttmHooks.Cli.Samples;

/// <summary>
/// <c>samples list | request | post | bundle | export</c>: hook requests for the sample patients, built at the time
/// of use so that they never go stale (the rule looks back 90 days from "now").
/// </summary>
internal static class SamplesCommand
{
    private const string DefaultService = "http://localhost:5080/cds-services/pttm-screening";

    public static Command Create()
    {
        var cases = new Option<DirectoryInfo?>("--cases")
        {
            Description = "The folder of sample cases (default: samples/cases of the repository you are in).",
        };
        var service = new Option<string>("--service")
        {
            Description = "The service URL; its discovery document gives the prefetch templates.",
            DefaultValueFactory = _ => DefaultService,
        };
        var at = new Option<string>("--at")
        {
            Description = "Evaluate as of: 'now' (dates moved by now - evaluatedAt), 'case' (dates as written), or an ISO 8601 time.",
            DefaultValueFactory = _ => "now",
        };
        var omit = new Option<string[]>("--omit")
        {
            Description = "Prefetch keys to leave out (comma-separated, or 'all'), to see a 412 or the FHIR fallback.",
            AllowMultipleArgumentsPerToken = true,
        };
        var fhirServer = new Option<string?>("--fhir-server")
        {
            Description = "Name this FHIR base as the request's fhirServer (for the FHIR fallback; the service must list it in Cds:FhirServers).",
        };
        var tokenEnv = new Option<string?>("--token-env")
        {
            Description = "The environment variable holding the access token sent as fhirAuthorization (kept out of the command line and its history).",
        };
        var jwtKey = new Option<FileInfo?>("--jwt-key")
        {
            Description = "Sign every call with a CDS client JWT made with this private JWK (samples/keys/local-dev.private.jwk.json is the development client's).",
        };
        var jwtIssuer = new Option<string>("--jwt-issuer")
        {
            Description = "The iss of those tokens (default: the development client's issuer).",
            DefaultValueFactory = _ => ClientTokens.DevelopmentIssuer,
        };
        var offline = new Option<bool>("--offline")
        {
            Description = "Use the templates built into this tool instead of asking the service's discovery endpoint.",
        };

        var list = new Command("list", "List the sample patients and what each shows.");
        list.Options.Add(cases);
        list.SetAction(result =>
        {
            foreach (var sample in SampleCase.LoadAll(CasesFolder(result.GetValue(cases))))
            {
                Console.WriteLine($"{sample.Id,-40} {Shorten(sample.Description, 100)}");
            }

            return 0;
        });

        // The options that shape a hook request, shared by 'request' and 'post'.
        Option[] requestShape = [cases, service, at, omit, fhirServer, tokenEnv, offline, jwtKey, jwtIssuer];
        HttpClient Http(ParseResult result) => result.GetValue(jwtKey) is { } key
            ? new HttpClient(ClientTokens.Load(key, result.GetValue(jwtIssuer)!).Handler())
            : new HttpClient();
        JsonObject BuildRequest(ParseResult result, SampleCase sample, IReadOnlyDictionary<string, string> templates)
        {
            var body = SampleRequests.Build(sample, templates, Time(result.GetValue(at)!, sample), Guid.NewGuid(), Keys(result.GetValue(omit), templates));
            AddFhirServer(body, result.GetValue(fhirServer), result.GetValue(tokenEnv));
            return body;
        }

        var caseName = new Argument<string>("case") { Description = "A case id (a folder name under the cases folder)." };
        var request = new Command("request", "Print the hook request for one sample, ready to post with curl.");
        request.Arguments.Add(caseName);
        foreach (var option in requestShape)
        {
            request.Options.Add(option);
        }

        request.SetAction(async (result, cancellationToken) =>
        {
            var sample = SampleCase.Load(Path.Combine(CasesFolder(result.GetValue(cases)), result.GetValue(caseName)!));
            using var http = Http(result);
            var templates = await TemplatesAsync(http, ServiceUrl(result.GetValue(service)), result.GetValue(offline), cancellationToken).ConfigureAwait(false);
            var body = BuildRequest(result, sample, templates);
            Console.WriteLine(body.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        });

        var names = new Argument<string[]>("cases") { Description = "Case ids to post (default: all).", Arity = ArgumentArity.ZeroOrMore };
        var post = new Command("post", "Post sample hook requests to the service and print each card's summary.");
        post.Arguments.Add(names);
        foreach (var option in requestShape)
        {
            post.Options.Add(option);
        }

        post.SetAction(async (result, cancellationToken) =>
        {
            var folder = CasesFolder(result.GetValue(cases));
            var wanted = result.GetValue(names) ?? [];
            var samples = SampleCase.LoadAll(folder).Where(s => wanted.Length == 0 || wanted.Contains(s.Id) || wanted.Contains(Path.GetFileName(s.Folder))).ToList();
            if (samples.Count == 0)
            {
                Console.Error.WriteLine($"No sample case matches in {folder}.");
                return 2;
            }

            var url = ServiceUrl(result.GetValue(service));
            using var http = Http(result);
            var templates = await TemplatesAsync(http, url, result.GetValue(offline), cancellationToken).ConfigureAwait(false);
            var failures = 0;
            foreach (var sample in samples)
            {
                var body = BuildRequest(result, sample, templates);
                using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
                using var response = await http.PostAsync(url, content, cancellationToken).ConfigureAwait(false);
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                Console.WriteLine($"{Path.GetFileName(sample.Folder),-40} {Describe((int)response.StatusCode, text)}");
                failures += response.IsSuccessStatusCode ? 0 : 1;
            }

            return failures == 0 ? 0 : 1;
        });

        var bundle = new Command("bundle", "Print one sample's transaction Bundle with its dates moved, to load into a FHIR server (POST it to the base).");
        bundle.Arguments.Add(caseName);
        bundle.Options.Add(cases);
        bundle.Options.Add(at);
        bundle.SetAction(result =>
        {
            var sample = SampleCase.Load(Path.Combine(CasesFolder(result.GetValue(cases)), result.GetValue(caseName)!));
            var node = JsonNode.Parse(File.ReadAllText(Path.Combine(sample.Folder, "bundle.json")));
            if (Time(result.GetValue(at)!, sample) is { } time)
            {
                node = SampleRequests.ShiftDates(node, time - sample.EvaluatedAt);
            }

            Console.WriteLine(node!.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        });

        var samplesCommand = new Command("samples", "Sample patients as hook requests.");
        samplesCommand.Subcommands.Add(list);
        samplesCommand.Subcommands.Add(request);
        samplesCommand.Subcommands.Add(post);
        samplesCommand.Subcommands.Add(bundle);
        samplesCommand.Subcommands.Add(ExportCommand.Create(cases));
        return samplesCommand;
    }

    /// <summary>One line: the HTTP status, then each card's indicator and summary, or the error.</summary>
    internal static string Describe(int status, string body)
    {
        try
        {
            var json = JsonNode.Parse(body);
            if (status == 200 && json?["cards"] is JsonArray cards)
            {
                return cards.Count == 0
                    ? "200  no card"
                    : "200  " + string.Join(" | ", cards.Select(c => $"[{(string?)c!["indicator"]}] {(string?)c["summary"]}"));
            }

            var diagnostics = json?["issue"]?.AsArray().Select(i => (string?)i!["diagnostics"]).FirstOrDefault();
            return $"{status}  {diagnostics ?? Shorten(body, 200)}";
        }
        catch (JsonException)
        {
            return $"{status}  {Shorten(body, 200)}";
        }
    }

    private static async Task<IReadOnlyDictionary<string, string>> TemplatesAsync(HttpClient http, Uri service, bool offline, CancellationToken cancellationToken)
    {
        if (offline)
        {
            return CdsDiscovery.LoadEmbedded().Services.Single().Prefetch!;
        }

        // As an EHR does: read the service's discovery entry and fill its templates.
        var id = service.Segments[^1].TrimEnd('/');
        var discovery = new Uri(service, "../cds-services");
        DiscoveryDocument? document;
        try
        {
            document = await http.GetFromJsonAsync<DiscoveryDocument>(discovery, CdsDiscovery.Json, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new InvalidOperationException($"Cannot read the discovery document at {discovery} ({e.Message}). Is the service running? Start it with: dotnet run --project src/PttmHooks.Service (or pass --offline).", e);
        }

        var entry = document?.Services.FirstOrDefault(s => s.Id == id)
            ?? throw new InvalidOperationException($"{discovery} lists no service '{id}'.");
        return entry.Prefetch ?? new Dictionary<string, string>();
    }

    private static Uri ServiceUrl(string? text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
            ? url
            : throw new InvalidOperationException($"--service must be an absolute http(s) URL of a CDS service, such as {DefaultService}.");

    private static DateTimeOffset? Time(string at, SampleCase sample) => at switch
    {
        "now" => TimeProvider.System.GetUtcNow(),
        "case" => null,
        _ => DateTimeOffset.Parse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
    };

    private static string[] Keys(string[]? omit, IReadOnlyDictionary<string, string> templates)
    {
        string[] keys = [.. (omit ?? []).SelectMany(o => o.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
        return keys.Contains("all") ? [.. templates.Keys] : keys;
    }

    /// <summary>Names the FHIR server, and the token from <paramref name="tokenEnv"/> when given.</summary>
    private static void AddFhirServer(JsonObject body, string? fhirServer, string? tokenEnv)
    {
        if (fhirServer is null)
        {
            return;
        }

        if (!Uri.TryCreate(fhirServer, UriKind.Absolute, out var url))
        {
            throw new InvalidOperationException($"--fhir-server must be an absolute URL, not '{fhirServer}'.");
        }

        body["fhirServer"] = url.AbsoluteUri.TrimEnd('/');
        if (tokenEnv is null)
        {
            return;
        }

        var token = Environment.GetEnvironmentVariable(tokenEnv);
        if (string.IsNullOrEmpty(token))
        {
            throw new InvalidOperationException($"The environment variable {tokenEnv} (--token-env) is not set.");
        }

        body["fhirAuthorization"] = ChartEvaluation.FhirAuthorization(token);
    }

    internal static string CasesFolder(DirectoryInfo? given)
    {
        if (given is not null)
        {
            return given.FullName;
        }

        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "cases");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw CliException.BadInput("no samples/cases folder here or above; pass --cases <folder>.");
    }

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
