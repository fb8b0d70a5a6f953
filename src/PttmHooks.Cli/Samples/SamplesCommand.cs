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

    /// <summary>How long a call to the service may take before the command gives up on it.</summary>
    private static readonly TimeSpan ServiceTimeout = TimeSpan.FromSeconds(30);

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
        list.SetAction((result, cancellationToken) => CommandRunner.RunAsync(result, async (stdout, _) =>
        {
            foreach (var sample in SampleCase.LoadAll(CasesFolder(result.GetValue(cases))))
            {
                await stdout.WriteLineAsync($"{sample.Id,-40} {Shorten(sample.Description, 100)}").ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        }, cancellationToken));

        // The options that shape a hook request, shared by 'request' and 'post'.
        Option[] requestShape = [cases, service, at, omit, fhirServer, tokenEnv, offline, jwtKey, jwtIssuer];
        HttpClient Http(ParseResult result) => new HttpClient(result.GetValue(jwtKey) is { } key
            ? ClientTokens.Load(key, result.GetValue(jwtIssuer)!).Handler()
            : new HttpClientHandler()) { Timeout = ServiceTimeout };
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

        request.SetAction((result, cancellationToken) => CommandRunner.RunAsync(result, async (stdout, _) =>
        {
            var sample = LoadCase(result.GetValue(cases), result.GetValue(caseName)!);
            using var http = Http(result);
            var templates = await TemplatesAsync(http, ServiceUrl(result.GetValue(service)), result.GetValue(offline), cancellationToken).ConfigureAwait(false);
            var body = BuildRequest(result, sample, templates);
            await stdout.WriteLineAsync(body.ToJsonString(new JsonSerializerOptions { WriteIndented = true })).ConfigureAwait(false);
            return ExitCodes.Ok;
        }, cancellationToken));

        var names = new Argument<string[]>("cases") { Description = "Case ids to post (default: all).", Arity = ArgumentArity.ZeroOrMore };
        var post = new Command("post", "Post sample hook requests to the service and print each card's summary.");
        post.Arguments.Add(names);
        foreach (var option in requestShape)
        {
            post.Options.Add(option);
        }

        post.SetAction((result, cancellationToken) => CommandRunner.RunAsync(result, async (stdout, _) =>
        {
            var folder = CasesFolder(result.GetValue(cases));
            var wanted = result.GetValue(names) ?? [];
            var samples = SampleCase.LoadAll(folder).Where(s => wanted.Length == 0 || wanted.Contains(s.Id) || wanted.Contains(Path.GetFileName(s.Folder))).ToList();
            if (samples.Count == 0)
            {
                throw CliException.BadInput($"no sample case matches in {folder}; 'samples list' shows them.");
            }

            var url = ServiceUrl(result.GetValue(service));
            using var http = Http(result);
            var templates = await TemplatesAsync(http, url, result.GetValue(offline), cancellationToken).ConfigureAwait(false);
            var failures = 0;
            foreach (var sample in samples)
            {
                var body = BuildRequest(result, sample, templates);
                using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
                HttpResponseMessage response;
                string text;
                try
                {
                    response = await http.PostAsync(url, content, cancellationToken).ConfigureAwait(false);
                    text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    throw ServiceProblem(url, e);
                }

                using (response)
                {
                    await stdout.WriteLineAsync($"{Path.GetFileName(sample.Folder),-40} {Describe((int)response.StatusCode, text)}").ConfigureAwait(false);
                    failures += response.IsSuccessStatusCode ? 0 : 1;
                }
            }

            return failures == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        }, cancellationToken));

        var bundle = new Command("bundle", "Print one sample's transaction Bundle with its dates moved, to load into a FHIR server (POST it to the base).");
        bundle.Arguments.Add(caseName);
        bundle.Options.Add(cases);
        bundle.Options.Add(at);
        bundle.SetAction((result, cancellationToken) => CommandRunner.RunAsync(result, async (stdout, _) =>
        {
            var sample = LoadCase(result.GetValue(cases), result.GetValue(caseName)!);
            var node = JsonNode.Parse(File.ReadAllText(Path.Combine(sample.Folder, "bundle.json")));
            if (Time(result.GetValue(at)!, sample) is { } time)
            {
                node = SampleRequests.ShiftDates(node, time - sample.EvaluatedAt);
            }

            await stdout.WriteLineAsync(node!.ToJsonString(new JsonSerializerOptions { WriteIndented = true })).ConfigureAwait(false);
            return ExitCodes.Ok;
        }, cancellationToken));

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
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw ServiceProblem(discovery, e);
        }
        catch (JsonException)
        {
            throw new CliException(ExitCodes.Unreachable, $"{discovery} answered with something else than a CDS discovery document: is another program listening there? Start the service with 'dotnet run --project src/PttmHooks.Service', give its URL with --service, or pass --offline.");
        }

        var entry = document?.Services.FirstOrDefault(s => s.Id == id)
            ?? throw CliException.BadInput($"{discovery} lists no service '{id}' (it lists {string.Join(", ", document?.Services.Select(s => s.Id) ?? [])}): give one of them at the end of --service.");
        return entry.Prefetch ?? new Dictionary<string, string>();
    }

    /// <summary>
    /// What went wrong calling the service at <paramref name="url"/>, as one sentence saying what to
    /// do, with exit code 4: not running, the wrong port, another program on it, a client token needed.
    /// </summary>
    private static CliException ServiceProblem(Uri url, Exception e)
    {
        const string Start = "start it with 'dotnet run --project src/PttmHooks.Service' (or give its URL with --service, or pass --offline to use the templates built into this tool)";
        var message = e switch
        {
            HttpRequestException { StatusCode: System.Net.HttpStatusCode.Unauthorized } =>
                $"the service at {url} asks for a client token (401): pass --jwt-key with a private key it trusts (samples/keys/local-dev.private.jwk.json is the development client's).",
            HttpRequestException { StatusCode: { } status } =>
                $"{url} answered HTTP {(int)status}, not a CDS discovery document: check that --service is the URL of the service's endpoint, such as {DefaultService}, or {Start}.",
            HttpRequestException { HttpRequestError: System.Net.Http.HttpRequestError.ConnectionError } =>
                $"nothing answers at {url.GetLeftPart(UriPartial.Authority)} ({e.Message.TrimEnd('.')}): is the service running? {char.ToUpperInvariant(Start[0])}{Start[1..]}.",
            HttpRequestException { HttpRequestError: System.Net.Http.HttpRequestError.NameResolutionError } =>
                $"the host of {url} cannot be found ({e.Message.TrimEnd('.')}): check the URL given with --service.",
            HttpRequestException { HttpRequestError: System.Net.Http.HttpRequestError.InvalidResponse or System.Net.Http.HttpRequestError.ResponseEnded } =>
                $"{url.GetLeftPart(UriPartial.Authority)} did not answer as an HTTP server ({e.Message.TrimEnd('.')}): another program may be using that port; {Start}.",
            HttpRequestException =>
                $"the service at {url} could not be reached ({e.Message.TrimEnd('.')}): {Start}.",
            _ => $"the service at {url} did not answer within {ServiceTimeout.TotalSeconds:F0} s: check that it is running and not overloaded, then try again.",
        };
        return new CliException(ExitCodes.Unreachable, message);
    }

    /// <summary>The sample case <paramref name="name"/>, or bad input naming where to look.</summary>
    private static SampleCase LoadCase(DirectoryInfo? cases, string name)
    {
        var folder = CasesFolder(cases);
        return File.Exists(Path.Combine(folder, name, "case.json"))
            ? SampleCase.Load(Path.Combine(folder, name))
            : throw CliException.BadInput($"there is no sample case '{name}' in {folder}: 'samples list' shows the sample cases.");
    }

    private static Uri ServiceUrl(string? text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
            ? url
            : throw CliException.BadInput($"--service must be an absolute http(s) URL of a CDS service, such as {DefaultService}.");

    private static DateTimeOffset? Time(string at, SampleCase sample) => at switch
    {
        "now" => TimeProvider.System.GetUtcNow(),
        "case" => null,
        _ => DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw CliException.BadInput($"--at '{at}' is not 'now', 'case' or an ISO 8601 time such as 2026-11-20T12:00:00Z."),
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
            throw CliException.BadInput($"--fhir-server must be an absolute URL, not '{fhirServer}'.");
        }

        body["fhirServer"] = url.AbsoluteUri.TrimEnd('/');
        if (tokenEnv is null)
        {
            return;
        }

        var token = Environment.GetEnvironmentVariable(tokenEnv);
        if (string.IsNullOrEmpty(token))
        {
            throw CliException.BadInput($"the environment variable {tokenEnv} (--token-env) is not set: set it to the FHIR server's access token.");
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
