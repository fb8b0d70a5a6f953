using Hl7.Fhir.Model;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PttmHooks.Clinical;
using PttmHooks.Reading.CdsHooks;
using PttmHooks.Reading.Fhir;
using PttmHooks.Reading.Telemetry;
using PttmHooks.Reading.Text;

namespace PttmHooks.Reading.Gathering;

/// <summary>One attachment the rule asked for, and what became of it.</summary>
/// <param name="Owner">The report or note it belongs to, "DiagnosticReport/7".</param>
/// <param name="Path">Where it is in its owner: "presentedForm[0]", "content[1].attachment".</param>
/// <param name="Attachment">The attachment itself (the key of <see cref="PatientRecord.AttachmentTexts"/>).</param>
/// <param name="Text">Its text, or why there is none.</param>
/// <param name="Source">Where its content was: <c>inline</c>, <c>contained</c>, <c>bundle</c>, <c>fhir</c>, or <c>none</c>.</param>
/// <param name="Outcome"><c>ok</c>, or a short code for why it could not be read (for telemetry).</param>
public sealed record AttachmentRead(string Owner, string Path, Attachment Attachment, AttachmentText Text, string Source, string Outcome)
{
    /// <summary>The attachment as an OperationOutcome expression: "DiagnosticReport/7.presentedForm[0]".</summary>
    public string Expression => Owner + "." + Path;
}

/// <summary>The record with the texts of the attachments that were read, and each read.</summary>
/// <param name="Record">The record, with <see cref="PatientRecord.AttachmentTexts"/> filled in.</param>
/// <param name="Reads">Every attachment the rule asked for, in its order.</param>
public sealed record AttachmentReading(PatientRecord Record, IReadOnlyList<AttachmentRead> Reads)
{
    /// <summary>The attachments whose text could not be read.</summary>
    public IEnumerable<AttachmentRead> Unread => Reads.Where(r => !r.Text.Ok);

    /// <summary>How many were asked of the FHIR server.</summary>
    public int Fetched => Reads.Count(r => r.Source == "fhir");

    /// <summary>
    /// A sentence for the card's "About the data" about one report or note whose text (some of it)
    /// could not be read, naming it and why.
    /// </summary>
    public static string Note(string owner, IEnumerable<string> problems) =>
        $"The text of {owner} could not be read: {string.Join("; ", problems.Distinct(StringComparer.Ordinal))}.";
}

/// <summary>
/// Where an attachment's <c>url</c> may be followed: the request's <c>fhirServer</c> (with its
/// token), and Binaries at hand (a Bundle's entries, a Bulk Data export's <c>Binary</c> file).
/// </summary>
/// <param name="FhirServer">The FHIR base urls are resolved against and fetched from, or null.</param>
/// <param name="Token">The bearer token for it, or null.</param>
/// <param name="Local">Binaries at hand, by the urls that name them (a Bundle entry's <c>fullUrl</c>, and <c>Binary/{id}</c>).</param>
public sealed record AttachmentSource(Uri? FhirServer, string? Token, IReadOnlyDictionary<string, Binary> Local)
{
    private static readonly Dictionary<string, Binary> s_none = new(StringComparer.Ordinal);

    /// <summary>Nothing to follow a url to: only inline and contained content is read.</summary>
    public static AttachmentSource None { get; } = new(null, null, s_none);

    /// <summary>A hook request's <c>fhirServer</c> and <c>fhirAuthorization</c>.</summary>
    public static AttachmentSource For(HookRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new(request.FhirServer, request.FhirAuthorization?.AccessToken, s_none);
    }

    /// <summary>
    /// The Binaries among <paramref name="entries"/> (a Bundle's <c>fullUrl</c> and resource, or
    /// a null fullUrl), by their fullUrl and by <c>Binary/{id}</c>.
    /// </summary>
    public static AttachmentSource Binaries(IEnumerable<(string? FullUrl, Resource? Resource)> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var local = new Dictionary<string, Binary>(StringComparer.Ordinal);
        foreach (var (fullUrl, resource) in entries)
        {
            if (resource is not Binary binary)
            {
                continue;
            }

            if (!string.IsNullOrEmpty(fullUrl))
            {
                local.TryAdd(fullUrl, binary);
            }

            if (!string.IsNullOrEmpty(binary.Id))
            {
                local.TryAdd("Binary/" + binary.Id, binary);
            }
        }

        return new(null, null, local);
    }
}

/// <summary>
/// Reads the attachments the rule wants (<see cref="PttmRule.AttachmentsToRead"/>) before it runs:
/// inline <c>data</c>, a <c>contained</c> Binary (<c>#id</c>), a Binary at hand (a Bundle's), or a
/// <c>url</c> on the request's <c>fhirServer</c>, relative or absolute on the same base (never another
/// host: the token must not leave), fetched with the hook's token through the FHIR client's
/// resilience pipeline, several at once, inside what is left of the call's time budget, with a
/// size limit. Every failure becomes an <see cref="AttachmentText"/> with its problem, never an exception.
/// </summary>
public sealed class AttachmentReader(
    IHttpClientFactory httpClients,
    ITypedHttpClientFactory<FhirClient> clients,
    IOptions<FhirFallbackOptions> options,
    TimeProvider time,
    ILogger<AttachmentReader> logger)
{
    private readonly HashSet<string> _open = new(options.Value.OpenServers.Select(FhirBaseUrl.Normalise), StringComparer.Ordinal);

    /// <summary>
    /// Reads <paramref name="wanted"/> (attachments of <paramref name="record"/>'s reports and notes),
    /// following urls to <paramref name="source"/>, and returns the record with their texts.
    /// </summary>
    /// <param name="record">The record the attachments belong to.</param>
    /// <param name="wanted">What the rule asked for, as <see cref="PttmRule.AttachmentsToRead"/> gives it.</param>
    /// <param name="source">Where urls may be followed.</param>
    /// <param name="started">When the hook call's budget started (a timestamp of the time provider): the reads get what the searches left of it.</param>
    /// <param name="cancellationToken">Cancelled when the caller goes away.</param>
    public async Task<AttachmentReading> ReadAsync(
        PatientRecord record,
        IReadOnlyList<(Resource Owner, Attachment Attachment)> wanted,
        AttachmentSource source,
        long started,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(wanted);
        ArgumentNullException.ThrowIfNull(source);
        if (wanted.Count == 0)
        {
            return new AttachmentReading(record, []);
        }

        using var span = GatheringTracing.StartAttachments(wanted.Count);
        var begun = time.GetTimestamp();
        var settings = options.Value;
        var reads = new AttachmentRead?[wanted.Count];
        var fetches = new List<(int Index, Uri Url, string Origin)>();
        string? fhirBase = null;
        Uri? root = null;
        if (source.FhirServer is { } server)
        {
            fhirBase = FhirBaseUrl.Normalise(server);
            root = new Uri(server.AbsoluteUri.EndsWith('/') ? server.AbsoluteUri : server.AbsoluteUri + "/");
        }

        for (var i = 0; i < wanted.Count; i++)
        {
            var (owner, attachment) = wanted[i];
            if (ReadAtHand(owner, attachment, source) is { } read)
            {
                reads[i] = read;
                continue;
            }

            // A url that is not at hand: only the FHIR server can answer it.
            var url = attachment.Url!;
            string problem;
            string outcome;
            if (root is null || fhirBase is null)
            {
                (problem, outcome) = ($"its url ({Shown(url)}) could not be followed: there is no FHIR server to fetch it from (the request has no fhirServer)", "no-fhir-server");
            }
            else if (!Uri.TryCreate(root, url, out var absolute) || absolute.Scheme is not ("http" or "https"))
            {
                (problem, outcome) = ($"its url ({Shown(url)}) is not a URL that can be fetched", "bad-url");
            }
            else if (!string.IsNullOrEmpty(absolute.UserInfo) || !OnBase(absolute, fhirBase))
            {
                (problem, outcome) = ($"its url points to another server ({absolute.Authority}) than the EHR's FHIR server, and was not followed: the access token is sent to fhirServer only", "other-host");
            }
            else if (source.Token is null && !_open.Contains(fhirBase))
            {
                (problem, outcome) = ($"{Relative(absolute, root)} was not fetched: the request has no fhirAuthorization, and its fhirServer is not configured as open (Cds:Fallback:OpenServers)", "no-token");
            }
            else if (SizeOf(attachment) is { } size && size > settings.MaxAttachmentBytes)
            {
                (problem, outcome) = ($"{Relative(absolute, root)} was not fetched: its size ({size} bytes) is above the limit of {settings.MaxAttachmentBytes} bytes (Cds:Fallback:MaxAttachmentBytes)", "too-large");
            }
            else
            {
                fetches.Add((i, absolute, Relative(absolute, root)));
                continue;
            }

            reads[i] = Read(owner, attachment, new AttachmentText(null, problem, outcome == "other-host" ? "another server" : Shown(url)), "fhir", outcome);
        }

        if (fetches.Count > 0)
        {
            var deadline = started + (long)(settings.Budget.TotalSeconds * time.TimestampFrequency);
            var remaining = TimeSpan.FromSeconds((double)(deadline - time.GetTimestamp()) / time.TimestampFrequency);
            using var budget = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, budget.Token);
            var client = clients.CreateClient(httpClients.CreateClient(nameof(FhirClient)));
            using var slots = new SemaphoreSlim(settings.AttachmentConcurrency);
            var fetched = await System.Threading.Tasks.Task.WhenAll(fetches.Select(f =>
                FetchAsync(client, wanted[f.Index].Owner, wanted[f.Index].Attachment, f.Url, f.Origin, fhirBase!, source.Token, deadline, slots, linked.Token, cancellationToken)))
                .ConfigureAwait(false);
            for (var k = 0; k < fetches.Count; k++)
            {
                reads[fetches[k].Index] = fetched[k];
            }
        }

        var all = reads.Select(r => r!).ToList();
        var texts = new Dictionary<Attachment, AttachmentText>(ReferenceEqualityComparer.Instance);
        foreach (var (attachment, text) in record.AttachmentTexts)
        {
            texts[attachment] = text;
        }

        foreach (var read in all)
        {
            texts[read.Attachment] = read.Text;
            GatheringMetrics.RecordAttachment(read.Source, read.Outcome);
            if (read.Outcome != "ok")
            {
                GatheringLog.AttachmentNotRead(logger, read.Outcome, read.Source);
            }
        }

        var ok = all.Count(r => r.Text.Ok);
        var elapsed = time.GetElapsedTime(begun);
        GatheringLog.AttachmentsRead(logger, all.Count, ok, fetches.Count, elapsed.TotalMilliseconds);
        span?.SetTag("pttm.attachments.read", ok);
        span?.SetTag("pttm.attachments.fetched", fetches.Count);
        return new AttachmentReading(record.WithAttachmentTexts(texts), all);
    }

    /// <summary>
    /// Reads <paramref name="wanted"/> with no FHIR server: inline data, contained Binaries and the
    /// Binaries of <paramref name="source"/> (a Bundle's, an export's). A url to anything else is
    /// named as not followed.
    /// </summary>
    public static AttachmentReading ReadAtHand(PatientRecord record, IReadOnlyList<(Resource Owner, Attachment Attachment)> wanted, AttachmentSource source)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(wanted);
        ArgumentNullException.ThrowIfNull(source);
        var reads = new List<AttachmentRead>(wanted.Count);
        var texts = new Dictionary<Attachment, AttachmentText>(ReferenceEqualityComparer.Instance);
        foreach (var (attachment, text) in record.AttachmentTexts)
        {
            texts[attachment] = text;
        }

        foreach (var (owner, attachment) in wanted)
        {
            var read = ReadAtHand(owner, attachment, source)
                ?? Read(owner, attachment, new AttachmentText(null, $"its url ({Shown(attachment.Url!)}) points to no Binary in the data read, and there is no FHIR server to fetch it from", Shown(attachment.Url!)), "none", "not-at-hand");
            reads.Add(read);
            texts[attachment] = read.Text;
            GatheringMetrics.RecordAttachment(read.Source, read.Outcome);
        }

        return new AttachmentReading(record.WithAttachmentTexts(texts), reads);
    }

    /// <summary>The read of an attachment whose content needs no FHIR server, or null when its url must be fetched.</summary>
    private static AttachmentRead? ReadAtHand(Resource owner, Attachment attachment, AttachmentSource source)
    {
        if (attachment.Data is { } data)
        {
            return Decoded(owner, attachment, attachment.ContentType, data, "inline", "inline");
        }

        var url = attachment.Url;
        if (string.IsNullOrWhiteSpace(url))
        {
            return Read(owner, attachment, new AttachmentText(null, "the attachment has neither data nor a url", "none"), "none", "no-content");
        }

        if (url.StartsWith('#'))
        {
            var id = url[1..];
            var contained = (owner as DomainResource)?.Contained.OfType<Binary>().FirstOrDefault(b => b.Id == id);
            return contained is null
                ? Read(owner, attachment, new AttachmentText(null, $"its url {Shown(url)} names no contained Binary", Shown(url)), "contained", "not-found")
                : FromBinary(owner, attachment, contained, "contained", "contained Binary " + Shown(url));
        }

        if (source.Local.TryGetValue(url, out var local) || (LocalKey(url) is { } key && source.Local.TryGetValue(key, out local)))
        {
            return FromBinary(owner, attachment, local, "bundle", Shown(url));
        }

        return null;
    }

    /// <summary>"Binary/7" for a url ending in it (relative, or absolute under any base), for the Binaries at hand.</summary>
    private static string? LocalKey(string url)
    {
        var trimmed = url.TrimEnd('/');
        var history = trimmed.IndexOf("/_history/", StringComparison.Ordinal);
        if (history >= 0)
        {
            trimmed = trimmed[..history];
        }

        var parts = trimmed.Split('/');
        return parts.Length >= 2 && parts[^2] == "Binary" ? "Binary/" + parts[^1] : null;
    }

    private static AttachmentRead FromBinary(Resource owner, Attachment attachment, Binary binary, string source, string origin) =>
        binary.Data is { } bytes
            ? Decoded(owner, attachment, binary.ContentType ?? attachment.ContentType, bytes, source, origin)
            : Read(owner, attachment, new AttachmentText(null, $"{origin} has no data", origin), source, "no-data");

    private static AttachmentRead Decoded(Resource owner, Attachment attachment, string? contentType, byte[] bytes, string source, string origin)
    {
        DecodedText decoded;
        try
        {
            decoded = AttachmentDecoder.Decode(contentType, bytes);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            // The decoder never throws for bad content; this keeps a bug in it from costing the card.
            decoded = DecodedText.Unreadable("its content could not be decoded");
        }

        return decoded.Ok
            ? Read(owner, attachment, new AttachmentText(decoded.Text, null, origin), source, "ok")
            : Read(owner, attachment, new AttachmentText(null, (origin == "inline" ? string.Empty : origin + ": ") + decoded.Problem, origin), source, "unreadable");
    }

    private async Task<AttachmentRead> FetchAsync(
        FhirClient client, Resource owner, Attachment attachment, Uri url, string origin, string fhirBase, string? token, long deadline,
        SemaphoreSlim slots, CancellationToken budget, CancellationToken caller)
    {
        var fetchStarted = time.GetTimestamp();
        var max = options.Value.MaxAttachmentBytes;
        BinaryResponse response;
        var waited = false;
        try
        {
            await slots.WaitAsync(budget).ConfigureAwait(false);
            waited = true;
            using var span = GatheringTracing.StartAttachmentFetch();
            response = await client.GetBinaryAsync(url, fhirBase, token, attachment.ContentType, max, deadline, budget).ConfigureAwait(false);
            GatheringTracing.EndAttachmentFetch(span, response.Failure?.Code ?? "ok", response.Data?.Length ?? 0);
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested)
        {
            response = BinaryResponse.Failed("budget", $"no answer within this call's time budget of {FhirClient.Seconds(options.Value.Budget)}");
        }
        finally
        {
            if (waited)
            {
                slots.Release();
            }
        }

        GatheringMetrics.RecordAttachmentFetch(response.Failure?.Code ?? "ok", time.GetElapsedTime(fetchStarted));
        if (response.Failure is { } failure)
        {
            return Read(owner, attachment, new AttachmentText(null, $"{origin} could not be fetched: {failure.Text}", origin), "fhir", failure.Code);
        }

        return Decoded(owner, attachment, response.ContentType, response.Data!, "fhir", origin);
    }

    /// <summary>
    /// The attachment's <c>size</c>, or null. Read from the element itself: Firely's shared
    /// <see cref="Attachment.Size"/> getter casts to the R5 <c>integer64</c> and throws for the
    /// R4 <c>unsignedInt</c> a parsed R4 attachment holds.
    /// </summary>
    internal static long? SizeOf(Attachment attachment)
    {
        foreach (var (name, value) in attachment.EnumerateElements())
        {
            if (name == "size")
            {
                return value switch
                {
                    UnsignedInt { Value: { } u } => u,
                    Integer64 { Value: { } l } => l,
                    Integer { Value: { } i } => i,
                    _ => null,
                };
            }
        }

        return null;
    }

    private static AttachmentRead Read(Resource owner, Attachment attachment, AttachmentText text, string source, string outcome) =>
        new(Reference(owner), PathOf(owner, attachment), attachment, text, source, outcome);

    /// <summary>"DiagnosticReport/7", or the type alone for a resource without an id.</summary>
    internal static string Reference(Resource owner) => owner.Id is null ? owner.TypeName : $"{owner.TypeName}/{owner.Id}";

    private static string PathOf(Resource owner, Attachment attachment)
    {
        switch (owner)
        {
            case DiagnosticReport report:
                var i = report.PresentedForm.FindIndex(a => ReferenceEquals(a, attachment));
                return i >= 0 ? $"presentedForm[{i}]" : "presentedForm";
            case DocumentReference note:
                var j = note.Content.FindIndex(c => ReferenceEquals(c.Attachment, attachment));
                return j >= 0 ? $"content[{j}].attachment" : "content";
            default:
                return "attachment";
        }
    }

    /// <summary>The url relative to the FHIR base when it is under it ("Binary/7"), as the card names it.</summary>
    private static string Relative(Uri url, Uri root)
    {
        var relative = root.MakeRelativeUri(url).OriginalString;
        return relative.Length > 0 && !relative.StartsWith("..", StringComparison.Ordinal) && !Uri.IsWellFormedUriString(relative, UriKind.Absolute)
            ? Uri.UnescapeDataString(relative)
            : url.AbsolutePath;
    }

    /// <summary>A url as the card may show it: at most 120 characters, no query.</summary>
    private static string Shown(string url)
    {
        var query = url.IndexOf('?', StringComparison.Ordinal);
        var shown = query < 0 ? url : url[..query] + "?…";
        return shown.Length <= 120 ? shown : shown[..120] + "…";
    }

    private static bool OnBase(Uri url, string fhirBase)
    {
        var normalised = FhirBaseUrl.Normalise(url);
        return normalised.StartsWith(fhirBase + "/", StringComparison.Ordinal);
    }
}
