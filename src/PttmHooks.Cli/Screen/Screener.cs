using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using PttmHooks.Clinical;
using PttmHooks.Clinical.Assessment;
using PttmHooks.Reading;
using PttmHooks.Reading.Gathering;

namespace PttmHooks.Cli.Screen;

/// <summary>
/// A retrospective run of the rule over a FHIR Bulk Data export, with memory bounded independently
/// of the export's size. A Bulk export is grouped by resource type, not by patient, so a patient's
/// chart is spread over every file. Three passes put it back together:
/// <list type="number">
/// <item>Conditions: each is read and judged by the rule's own C1 (a record of that one Condition:
/// C1 reads Conditions only, and is met when any one of them is a solid malignancy, so this is
/// exactly the full chart's C1). The hash of each candidate's id goes to a temporary file, 8 bytes
/// a candidate; then a Bloom filter is built from it (at most 32 MiB).</item>
/// <item>Every file, streamed line by line: the owner of each line is read without building the
/// resource (<see cref="LineScan"/>), and the lines of possible candidates are appended to one of K
/// partition files by the hash of their patient, so that a patient's lines all land in one
/// partition. K is chosen so that a partition holds at most about 64 MiB even if every patient
/// were a candidate.</item>
/// <item>One partition at a time: its lines grouped by patient, each patient's chart read, evaluated
/// at the given time, and written to the CSV (and, when flagged, to the HTML's table). A patient
/// without a solid malignancy here is a false positive of the filter, and is dropped.</item>
/// </list>
/// Memory: the filter (≤ 32 MiB), one partition's lines (≤ ~64 MiB of candidates' NDJSON), one
/// patient's resources, and the counts; never a list of patients, whatever the export's size.
/// Temporary files live in a folder inside the output folder (they hold patient data, as the
/// outputs do) and are deleted at the end, on failure and on Ctrl-C.
/// </summary>
internal sealed class Screener(PttmRule rule, DateTimeOffset at, ScreenProgress progress, TimeProvider clock)
{
    /// <summary>The most a partition is meant to hold, were every patient a candidate.</summary>
    public const long PartitionTarget = 64L * 1024 * 1024;

    /// <summary>The most partitions (open files in pass 2).</summary>
    public const int MaxPartitions = 512;

    // A .ndjson.gz expands about eight times; only for choosing K.
    private const int GzipRatio = 8;
    private const int CheckEvery = 4096;

    /// <summary>Runs the screening of <paramref name="folder"/>, writing screen.csv and screen.html in <paramref name="outDir"/>.</summary>
    /// <param name="folder">The export folder.</param>
    /// <param name="outDir">The output folder (created).</param>
    /// <param name="partitions">K, or null to choose it from the export's size.</param>
    /// <param name="cancellationToken">Ctrl-C.</param>
    public (ScreenTally Tally, string CsvPath, string HtmlPath) Run(string folder, string outDir, int? partitions, CancellationToken cancellationToken)
    {
        var (files, skipped) = BulkExport.Discover(folder);
        if (files.Count == 0)
        {
            throw CliException.BadInput($"{folder} holds no NDJSON file of {string.Join(", ", BulkExport.Types)} (such as Patient.ndjson, Condition.ndjson, Observation.000.ndjson or .ndjson.gz).");
        }

        if (File.Exists(outDir))
        {
            throw CliException.BadInput($"--out {outDir} is a file: give a folder for screen.csv and screen.html.");
        }

        var started = clock.GetTimestamp();
        var tally = new ScreenTally();
        tally.SkippedFiles.AddRange(skipped);
        Directory.CreateDirectory(outDir);
        var work = Directory.CreateDirectory(Path.Combine(outDir, ".pttm-screen-" + Guid.NewGuid().ToString("N")[..12])).FullName;
        try
        {
            var candidatesPath = Path.Combine(work, "candidates.bin");
            var candidates = FindCandidates([.. files.Where(f => f.ResourceType == "Condition")], candidatesPath, tally, cancellationToken);
            var filter = BuildFilter(candidatesPath, candidates);
            tally.BloomBytes = filter.Bytes;

            var k = partitions ?? ChoosePartitions(files);
            tally.Partitions = k;
            using var binaries = new BinaryStore(Path.Combine(work, "binaries.ndjson"));
            var partitionPaths = Partition(files, filter, k, work, binaries, tally, cancellationToken);

            var csvPath = Path.Combine(work, "screen.csv");
            var htmlPath = Path.Combine(work, "screen.html");
            using (var csv = new ScreenCsv(csvPath))
            using (var html = new ScreenHtml(Path.Combine(work, "flagged.rows")))
            {
                Evaluate(partitionPaths, binaries, csv, html, tally, cancellationToken);
                html.WritePage(htmlPath, tally, new ScreenRun(Path.GetFullPath(folder), at, rule.Version, clock.GetElapsedTime(started)));
            }

            // Only complete outputs reach the output folder: a run stopped half-way leaves none.
            var finalCsv = Path.Combine(outDir, "screen.csv");
            var finalHtml = Path.Combine(outDir, "screen.html");
            File.Move(csvPath, finalCsv, overwrite: true);
            File.Move(htmlPath, finalHtml, overwrite: true);
            return (tally, finalCsv, finalHtml);
        }
        finally
        {
            TryDelete(work);
        }
    }

    /// <summary>K: one partition per <see cref="PartitionTarget"/> of input, within [1, <see cref="MaxPartitions"/>].</summary>
    internal static int ChoosePartitions(IReadOnlyList<ExportFile> files)
    {
        var bytes = files.Sum(f => f.Gzip ? f.Length * GzipRatio : f.Length);
        return (int)Math.Clamp((bytes + PartitionTarget - 1) / PartitionTarget, 1, MaxPartitions);
    }

    /// <summary>Pass 1: the hash of the owner of every Condition that meets C1 on its own, to <paramref name="path"/>.</summary>
    private long FindCandidates(IReadOnlyList<ExportFile> conditionFiles, string path, ScreenTally tally, CancellationToken cancellationToken)
    {
        var total = conditionFiles.Sum(f => f.Length);
        progress.Start("pass 1/3 conditions", total);
        long done = 0;
        long count = 0;
        using var output = new BinaryWriter(new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024));
        foreach (var file in conditionFiles)
        {
            using var reader = BulkExport.Open(file);
            var lines = 0;
            while (reader.TryReadLine(out var line))
            {
                if (++lines % CheckEvery == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    progress.Report(done + reader.Position);
                }

                if (Read(line) is not (Condition condition, _))
                {
                    tally.UnreadableConditions++;
                    continue;
                }

                if (PrefetchReader.PatientIdOf(condition.Subject?.Reference) is not { } owner)
                {
                    continue;
                }

                var alone = rule.Evaluate(new PatientRecord(null, [condition], [], []), at);
                if (alone[CriterionId.C1].State == CriterionState.Met)
                {
                    output.Write(PatientHash.Of(owner));
                    count++;
                }
            }

            done += file.Length;
        }

        tally.MalignancyConditions = count;
        progress.Finish($"{count:N0} conditions with a solid malignancy");
        return count;
    }

    private static BloomFilter BuildFilter(string candidatesPath, long count)
    {
        var filter = BloomFilter.ForCount(count);
        using var input = new BinaryReader(new FileStream(candidatesPath, FileMode.Open, FileAccess.Read, FileShare.None, 64 * 1024));
        for (long i = 0; i < count; i++)
        {
            filter.Add(input.ReadUInt64());
        }

        return filter;
    }

    /// <summary>Pass 2: every line of a possible candidate, appended to its patient's partition.</summary>
    private List<string> Partition(IReadOnlyList<ExportFile> files, BloomFilter filter, int k, string work, BinaryStore binaries, ScreenTally tally, CancellationToken cancellationToken)
    {
        var paths = Enumerable.Range(0, k).Select(i => Path.Combine(work, $"partition-{i:D3}.ndjson")).ToList();
        var outputs = new FileStream?[k];
        try
        {
            var total = files.Sum(f => f.Length);
            progress.Start("pass 2/3 grouping", total);
            long done = 0;
            foreach (var file in files)
            {
                var counts = tally.Types[file.ResourceType];
                counts.Files++;
                using var reader = BulkExport.Open(file);
                while (reader.TryReadLine(out var line))
                {
                    if (++counts.Lines % CheckEvery == 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        progress.Report(done + reader.Position);
                    }

                    if (!LineScan.TryRead(line, out var type, out var owner, out var id))
                    {
                        counts.Unreadable++;
                        continue;
                    }

                    if (type != file.ResourceType)
                    {
                        counts.OtherType++;
                        continue;
                    }

                    if (type == "Binary")
                    {
                        // A Binary has no patient: it is kept aside, found by its id when an
                        // attachment of an evaluated patient's report or note names it.
                        if (id is null)
                        {
                            counts.Unattributed++;
                        }
                        else
                        {
                            binaries.Add(id, line);
                        }

                        continue;
                    }

                    if (owner is null)
                    {
                        counts.Unattributed++;
                        continue;
                    }

                    var hash = PatientHash.Of(owner);
                    if (!filter.MightContain(hash))
                    {
                        continue;
                    }

                    var p = PatientHash.Partition(hash, k);
                    var output = outputs[p] ??= new FileStream(paths[p], FileMode.Append, FileAccess.Write, FileShare.None, 32 * 1024);
                    output.Write(line);
                    output.WriteByte((byte)'\n');
                }

                done += file.Length;
            }

            progress.Finish($"{tally.Types.Values.Sum(t => t.Lines):N0} lines, {tally.Patients:N0} patients");
        }
        finally
        {
            foreach (var output in outputs)
            {
                output?.Dispose();
            }
        }

        var sizes = paths.Select(p => File.Exists(p) ? new FileInfo(p).Length : 0).ToList();
        tally.PartitionBytes = sizes.Sum();
        tally.LargestPartitionBytes = sizes.Max();
        return paths;
    }

    /// <summary>Pass 3: one partition at a time, each patient's chart evaluated.</summary>
    private void Evaluate(IReadOnlyList<string> partitions, BinaryStore binaries, ScreenCsv csv, ScreenHtml html, ScreenTally tally, CancellationToken cancellationToken)
    {
        progress.Start("pass 3/3 evaluating", Math.Max(1, tally.PartitionBytes));
        long done = 0;
        foreach (var path in partitions.Where(File.Exists))
        {
            var byPatient = new Dictionary<string, List<byte[]>>(StringComparer.Ordinal);
            using (var reader = new NdjsonReader(path, gzip: false))
            {
                while (reader.TryReadLine(out var line))
                {
                    if (LineScan.TryRead(line, out _, out var owner) && owner is not null)
                    {
                        if (!byPatient.TryGetValue(owner, out var lines))
                        {
                            byPatient[owner] = lines = [];
                        }

                        lines.Add(line.ToArray());
                    }
                }
            }

            foreach (var (patientId, lines) in byPatient.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var chart = ReadChart(lines, tally);
                var wanted = rule.AttachmentsToRead(chart, at);
                if (wanted.Count > 0)
                {
                    // Attachment urls that name a Binary of the export (Binary/{id}) are read from it.
                    var reading = AttachmentReader.ReadAtHand(chart, wanted, binaries.For(wanted));
                    chart = reading.Record;
                    tally.Attachments += wanted.Count;
                    tally.UnreadAttachments += reading.Unread.Count();
                }

                var assessment = rule.Evaluate(chart, at);
                if (assessment[CriterionId.C1].State != CriterionState.Met)
                {
                    tally.FalsePositives++;
                    continue;
                }

                tally.Add(assessment);
                csv.Write(patientId, assessment);
                if (assessment.Recommendation != Recommendation.None)
                {
                    html.AddFlagged(patientId, assessment);
                }
            }

            done += new FileInfo(path).Length;
            progress.Report(done);
        }

        progress.Finish($"{tally.Evaluated:N0} patients with a solid malignancy evaluated, {tally.Flagged:N0} flagged");
    }

    /// <summary>One patient's chart from their lines; the same resource twice counts once, as in the service.</summary>
    private static PatientRecord ReadChart(List<byte[]> lines, ScreenTally tally)
    {
        var resources = new List<Resource>(lines.Count);
        var seen = new HashSet<(string, string)>();
        foreach (var line in lines)
        {
            switch (Read(line))
            {
                case (null, _):
                    tally.UnreadableResources++;
                    break;
                case (var resource, var inPart):
                    tally.ReadInPart += inPart ? 1 : 0;
                    if (resource.Id is null || seen.Add((resource.TypeName, resource.Id)))
                    {
                        resources.Add(resource);
                    }

                    break;
            }
        }

        return PatientRecord.FromResources(resources);
    }

    /// <summary>
    /// One line as a FHIR resource; elements that are not valid R4 are skipped and the rest is read,
    /// as the service reads prefetch (docs/clinical-rule.md reading 22). Null when it cannot be read at all.
    /// </summary>
    private static (Resource? Resource, bool InPart) Read(ReadOnlySpan<byte> line)
    {
        if (JsonInput.Check(line, "line") is not null)
        {
            return (null, false);
        }

        var read = FhirReadInPart.Read(line, "file");
        return (read.Resource, read.Resource is not null && (read.Settled.InPart || read.FirstError is not null));
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still open elsewhere; the folder's name says what it is.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>
/// The export's Binaries, kept aside in one file of the work folder (they hold patient data, as the
/// partitions do) with an index of id → place, so that memory holds only the ids.
/// </summary>
internal sealed class BinaryStore(string path) : IDisposable
{
    private readonly Dictionary<string, (long Offset, int Length)> _index = new(StringComparer.Ordinal);
    private FileStream? _file;

    /// <summary>Keeps <paramref name="line"/> (a Binary) under <paramref name="id"/>; the first of an id counts.</summary>
    public void Add(string id, ReadOnlySpan<byte> line)
    {
        if (_index.ContainsKey(id))
        {
            return;
        }

        _file ??= new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 32 * 1024);
        _file.Seek(0, SeekOrigin.End);
        _index[id] = (_file.Position, line.Length);
        _file.Write(line);
    }

    /// <summary>The Binaries that the urls of <paramref name="wanted"/> name (Binary/{id}, relative or absolute).</summary>
    public AttachmentSource For(IReadOnlyList<(Resource Owner, Attachment Attachment)> wanted)
    {
        var found = new List<(string?, Resource?)>();
        foreach (var (_, attachment) in wanted)
        {
            if (attachment.Url is not { } url || _file is null)
            {
                continue;
            }

            var parts = url.Split('/');
            var id = parts.Length >= 2 && parts[^2] == "Binary" ? parts[^1] : null;
            if (id is null || !_index.TryGetValue(id, out var place))
            {
                continue;
            }

            var bytes = new byte[place.Length];
            _file.Seek(place.Offset, SeekOrigin.Begin);
            _file.ReadExactly(bytes);
            if (JsonInput.Check(bytes, "line") is null && FhirReadInPart.Read(bytes, "file").Resource is Binary binary)
            {
                found.Add((url, binary));
            }
        }

        return AttachmentSource.Binaries(found);
    }

    /// <inheritdoc />
    public void Dispose() => _file?.Dispose();
}
