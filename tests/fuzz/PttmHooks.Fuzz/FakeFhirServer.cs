using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PttmHooks.Fuzz;

/// <summary>
/// What the fake FHIR server answers for the current input (<see cref="FuzzInput.FhirAnswer"/>).
/// One instance per host; the harness sets it before each post, and every handler reads it.
/// </summary>
/// <remarks>Shared source: compiled into the fuzzing harness and into the service's regression test.</remarks>
public sealed class FakeFhirData
{
    private static readonly byte[] EmptySearchset = """{"resourceType":"Bundle","type":"searchset","total":0}"""u8.ToArray();

    private readonly Lock _gate = new();
    private readonly Dictionary<string, byte[]?> _answers = new(StringComparer.Ordinal);
    private byte[]? _raw;
    private JsonObject? _bundle;

    /// <summary>How many requests reached the fake server since the last <see cref="Serve"/>.</summary>
    public int Requests { get; private set; }

    /// <summary>Serves <paramref name="answer"/> from now on (null: an empty server).</summary>
    public void Serve(byte[]? answer)
    {
        lock (_gate)
        {
            _answers.Clear();
            Requests = 0;
            _raw = answer;
            _bundle = null;
            if (answer is not null)
            {
                try
                {
                    _bundle = JsonNode.Parse(answer) is JsonObject { } root && (string?)root["resourceType"] is "Bundle" ? root : null;
                }
                catch (JsonException)
                {
                    _bundle = null;
                }
                catch (InvalidOperationException)
                {
                    _bundle = null;
                }
                catch (ArgumentException)
                {
                    // JsonObject builds its dictionary on first lookup: a duplicate member
                    // ("same key: type") throws here. Such an answer is served as it is.
                    _bundle = null;
                }
            }
        }
    }

    /// <summary>
    /// The body for a request, or null for a 404: a search (<c>Type?…</c>) gets the Bundle with only
    /// the entries of that type, a read (<c>Type/id</c>) that resource; an answer that is not a
    /// Bundle is given as it is to every request.
    /// </summary>
    public byte[]? Answer(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var segments = url.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var fhir = Array.LastIndexOf(segments, "fhir");
        var rest = fhir < 0 ? segments : segments[(fhir + 1)..];
        var type = rest.Length > 0 ? rest[0] : string.Empty;
        var id = rest.Length > 1 ? rest[1] : null;
        lock (_gate)
        {
            Requests++;
            if (_raw is null)
            {
                return id is null ? EmptySearchset : null;
            }

            if (_bundle is null)
            {
                return _raw;
            }

            var key = type + "/" + id;
            if (!_answers.TryGetValue(key, out var body))
            {
                try
                {
                    body = id is null ? Search(type) : Read(type, id);
                }
                catch (Exception e) when (e is InvalidOperationException or JsonException or ArgumentException)
                {
                    // JsonNode reads lazily: a Bundle with bytes that are not UTF-8 (or an escaped
                    // lone surrogate, or a duplicate member: ArgumentException) fails only here. The fake never fails itself (a real
                    // server sends such bytes as they are): the service must read them.
                    body = _raw;
                }

                _answers[key] = body;
            }

            return body;
        }
    }

    private byte[] Search(string type)
    {
        var copy = (JsonObject)_bundle!.DeepClone();
        if (copy["entry"] is JsonArray entries)
        {
            var kept = new JsonArray();
            foreach (var entry in entries)
            {
                // Entries that are not objects with a resource stay: they are part of the fuzzing.
                var resourceType = entry is JsonObject { } e && e["resource"] is JsonObject { } r ? r["resourceType"] : null;
                if (resourceType is not JsonValue value || !value.TryGetValue<string>(out var name) || name == type)
                {
                    kept.Add(entry?.DeepClone());
                }
            }

            copy["entry"] = kept;
        }

        return JsonSerializer.SerializeToUtf8Bytes(copy);
    }

    private byte[]? Read(string type, string id)
    {
        JsonObject? first = null;
        foreach (var entry in _bundle!["entry"] as JsonArray ?? [])
        {
            if (entry is JsonObject { } e && e["resource"] is JsonObject { } resource
                && resource["resourceType"] is JsonValue t && t.TryGetValue<string>(out var name) && name == type)
            {
                first ??= resource;
                if (resource["id"] is JsonValue i && i.TryGetValue<string>(out var found) && found == id)
                {
                    return JsonSerializer.SerializeToUtf8Bytes(resource);
                }
            }
        }

        return first is null ? null : JsonSerializer.SerializeToUtf8Bytes(first);
    }
}

/// <summary>
/// The fake FHIR server: the primary handler of every HttpClient the service makes, so that the
/// FHIR fallback runs its real client and reader against <see cref="FakeFhirData"/> and no request
/// leaves the process.
/// </summary>
/// <remarks>Shared source: compiled into the fuzzing harness and into the service's regression test.</remarks>
public sealed class FakeFhirHandler(FakeFhirData data) : HttpMessageHandler
{
    private static readonly byte[] NotFound =
        """{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found","diagnostics":"not on the fake FHIR server"}]}"""u8.ToArray();

    /// <inheritdoc />
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = request.RequestUri is { } url ? data.Answer(url) : null;
        var content = new ByteArrayContent(body ?? NotFound);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json") { CharSet = "utf-8" };
        return Task.FromResult(new HttpResponseMessage(body is null ? HttpStatusCode.NotFound : HttpStatusCode.OK)
        {
            Content = content,
            RequestMessage = request,
        });
    }
}
