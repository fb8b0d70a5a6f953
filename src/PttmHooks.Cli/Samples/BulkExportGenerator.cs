using System.Globalization;
using System.IO.Compression;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using PttmHooks.Cli.Screen;
using PttmHooks.Reading;
using PttmHooks.Reading.Samples;
using PttmHooks.SampleData;

namespace PttmHooks.Cli.Samples;

/// <summary>What to generate.</summary>
/// <param name="Patients">The number of patients.</param>
/// <param name="Seed">The random seed: the same seed, time and cases give the same files, byte for byte.</param>
/// <param name="At">The time the export is "taken": every date is relative to it.</param>
/// <param name="CasesFolder">The sample cases copied into the export.</param>
/// <param name="Out">The output folder.</param>
/// <param name="CaseShare">The share of patients that are copies of a sample case (every 1/share-th patient).</param>
/// <param name="CancerShare">The share of the other patients who have a solid malignancy and otherwise only noise.</param>
/// <param name="ObservationsPerFile">Observation lines per file before the next file (Observation.000.ndjson, .001, …).</param>
/// <param name="Gzip">Write .ndjson.gz.</param>
internal sealed record ExportSpec(int Patients, int Seed, DateTimeOffset At, string CasesFolder, string Out, double CaseShare, double CancerShare, int ObservationsPerFile, bool Gzip);

/// <summary>What was generated.</summary>
/// <param name="Lines">Lines per resource type.</param>
/// <param name="Files">Files written.</param>
/// <param name="Bytes">Bytes written.</param>
/// <param name="CaseCopies">Patients copied from a sample case (listed in expected.csv).</param>
/// <param name="CancerNoise">Other patients with a solid malignancy.</param>
internal sealed record ExportSummary(IReadOnlyDictionary<string, long> Lines, int Files, long Bytes, int CaseCopies, int CancerNoise);

/// <summary>
/// A synthetic FHIR Bulk Data export (NDJSON per resource type) built from the sample cases with the
/// noise of real charts, deterministic for a seed. Three kinds of patient:
/// <list type="bullet">
/// <item>Copies of the sample cases (every 1/<see cref="ExportSpec.CaseShare"/>-th patient, the cases in
/// turn): the case's resources with new ids, dates moved to the export's time, and noise that cannot
/// change the answer (SpO2 and reports only from before the rule's 90-day window, vital signs and
/// labs the rule does not read, unrelated Conditions). <c>expected.csv</c> lists each with its case and
/// the answer its <c>case.json</c> expects, so a screening of the export can be checked.</item>
/// <item>Patients with a solid malignancy and only noise (<see cref="ExportSpec.CancerShare"/>): evaluated
/// by <c>screen</c>, mostly without a card.</item>
/// <item>Everyone else: years of SpO2 readings (a few low), vital signs, labs, unrelated Conditions
/// and reports; never evaluated.</item>
/// </list>
/// The noise comes from <see cref="NoiseGenerator"/> (PttmHooks.SampleData, the benchmarks' generator too),
/// one generator per patient over the export's one random source. Resources are written as FHIR JSON, one
/// per line, as a Bulk Data server writes them.
/// </summary>
internal sealed class BulkExportGenerator
{
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };

    private readonly ExportSpec _spec;
    private readonly Random _random;
    private readonly List<CaseTemplate> _cases;
    private readonly Dictionary<string, Sink> _sinks = new(StringComparer.Ordinal);

    private BulkExportGenerator(ExportSpec spec, List<CaseTemplate> cases)
    {
        _spec = spec;
        _random = new Random(spec.Seed);
        _cases = cases;
    }

    /// <summary>Writes the export described by <paramref name="spec"/>; <paramref name="progress"/> gets the patients done.</summary>
    public static ExportSummary Write(ExportSpec spec, Action<long> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(progress);
        var cases = SampleCase.LoadAll(spec.CasesFolder).Select(c => CaseTemplate.Load(c, spec.At)).ToList();
        if (cases.Count == 0)
        {
            throw CliException.BadInput($"{spec.CasesFolder} holds no sample case (folders with case.json and bundle.json).");
        }

        Directory.CreateDirectory(spec.Out);
        var generator = new BulkExportGenerator(spec, cases);
        return generator.Run(progress, cancellationToken);
    }

    private ExportSummary Run(Action<long> progress, CancellationToken cancellationToken)
    {
        var stride = _spec.CaseShare <= 0 ? int.MaxValue : Math.Max(1, (int)Math.Round(1 / _spec.CaseShare));
        var caseCopies = 0;
        var cancerNoise = 0;
        using (var expected = new StreamWriter(Path.Combine(_spec.Out, "expected.csv"), false, new System.Text.UTF8Encoding(false)) { NewLine = "\n" })
        {
            expected.WriteLine("patient_id,case,recommendation,suspicion,indicator");
            try
            {
                for (var i = 0; i < _spec.Patients; i++)
                {
                    if (i % 1024 == 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        progress(i);
                    }

                    var patientId = "pt-" + (i + 1).ToString("D7", CultureInfo.InvariantCulture);
                    if (i % stride == stride / 2)
                    {
                        var template = _cases[caseCopies++ % _cases.Count];
                        WriteCaseCopy(patientId, template);
                        expected.WriteLine($"{patientId},{template.Id},{template.Recommendation},{template.Suspicion},{template.Indicator}");
                    }
                    else
                    {
                        var cancer = _random.NextDouble() < _spec.CancerShare;
                        cancerNoise += cancer ? 1 : 0;
                        WriteNoisePatient(patientId, cancer);
                    }
                }

                progress(_spec.Patients);
            }
            finally
            {
                foreach (var sink in _sinks.Values)
                {
                    sink.Dispose();
                }
            }
        }

        return new ExportSummary(
            _sinks.ToDictionary(s => s.Key, s => s.Value.Lines, StringComparer.Ordinal),
            _sinks.Values.Sum(s => s.Files),
            _sinks.Values.Sum(s => s.Bytes),
            caseCopies,
            cancerNoise);
    }

    private void WriteCaseCopy(string patientId, CaseTemplate template)
    {
        var ids = template.Resources.ToDictionary(
            r => $"{(string)r["resourceType"]!}/{(string)r["id"]!}",
            r => (string)r["resourceType"]! == "Patient" ? patientId : NewId(patientId, template.PatientId, (string)r["id"]!),
            StringComparer.Ordinal);
        var noise = new NoiseGenerator(_random, _spec.At, patientId);
        foreach (var original in template.Resources)
        {
            var resource = original.DeepClone().AsObject();
            var type = (string)resource["resourceType"]!;
            resource["id"] = ids[$"{type}/{(string)original["id"]!}"];
            Remap(resource, ids);
            if (type == "Patient")
            {
                var name = noise.Name();
                resource["name"] = new JsonArray(new JsonObject { ["family"] = name.Family, ["given"] = new JsonArray(name.Given.First()) });
            }

            var sink = SinkFor(type);
            resource.WriteTo(sink.Writer);
            sink.EndLine();
        }

        // Noise that cannot change the case's answer: before the window, or of kinds the rule never reads.
        foreach (var resource in noise.ForCaseCopy())
        {
            Write(resource);
        }
    }

    private void WriteNoisePatient(string patientId, bool cancer)
    {
        foreach (var resource in new NoiseGenerator(_random, _spec.At, patientId).Chart(cancer))
        {
            Write(resource);
        }
    }

    private void Write(Resource resource)
    {
        var sink = SinkFor(resource.TypeName);
        JsonSerializer.Serialize(sink.Writer, resource, FhirJsonFormat.Options);
        sink.EndLine();
    }

    /// <summary>A case resource's new id: the copy's patient id, then the case's id less its own patient prefix.</summary>
    private static string NewId(string patientId, string casePatientId, string id)
    {
        var rest = id.StartsWith(casePatientId + "-", StringComparison.Ordinal) ? id[(casePatientId.Length + 1)..] : id;
        var newId = patientId + "-" + rest;
        return newId.Length <= 64 ? newId : newId[..64];
    }

    /// <summary>Every <c>reference</c> to a resource of the case now points at its copy.</summary>
    private static void Remap(JsonNode? node, Dictionary<string, string> ids)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    if (name == "reference" && value is JsonValue v && v.TryGetValue<string>(out var reference))
                    {
                        var slash = reference.IndexOf('/', StringComparison.Ordinal);
                        if (slash > 0 && ids.TryGetValue(reference, out var newId))
                        {
                            obj[name] = reference[..(slash + 1)] + newId;
                        }
                    }
                    else
                    {
                        Remap(value, ids);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Remap(item, ids);
                }

                break;
        }
    }

    private Sink SinkFor(string type)
    {
        if (!_sinks.TryGetValue(type, out var sink))
        {
            _sinks[type] = sink = new Sink(_spec.Out, type, type == "Observation" ? _spec.ObservationsPerFile : int.MaxValue, _spec.Gzip);
        }

        return sink;
    }

    /// <summary>A sample case, its dates moved to the export's time, ready to copy.</summary>
    private sealed record CaseTemplate(string Id, string PatientId, IReadOnlyList<JsonObject> Resources, string Recommendation, string Suspicion, string Indicator)
    {
        public static CaseTemplate Load(SampleCase sample, DateTimeOffset at)
        {
            var bundle = SampleRequests.ShiftDates(JsonNode.Parse(File.ReadAllText(Path.Combine(sample.Folder, "bundle.json"))), at - sample.EvaluatedAt)!;
            var resources = bundle["entry"]!.AsArray().Select(e => e!["resource"]!.AsObject()).ToList();
            var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(sample.Folder, "case.json")))!["expected"]!;
            return new CaseTemplate(
                sample.Id,
                sample.PatientId,
                resources,
                (string?)expected["recommendation"] ?? "none",
                (string?)expected["suspicion"] ?? string.Empty,
                (string?)expected["indicator"] ?? string.Empty);
        }
    }

    /// <summary>The NDJSON file(s) of one resource type: one resource a line, split after a number of lines.</summary>
    private sealed class Sink(string folder, string type, int linesPerFile, bool gzip) : IDisposable
    {
        private readonly bool _split = linesPerFile != int.MaxValue;
        private FileStream? _file;
        private Stream? _stream;
        private Utf8JsonWriter? _writer;
        private long _inFile;

        public long Lines { get; private set; }

        public int Files { get; private set; }

        public long Bytes { get; private set; }

        public Utf8JsonWriter Writer
        {
            get
            {
                if (_writer is null || _inFile >= linesPerFile)
                {
                    Close();
                    var name = _split ? $"{type}.{Files:D3}.ndjson" : $"{type}.ndjson";
                    _file = new FileStream(Path.Combine(folder, gzip ? name + ".gz" : name), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
                    _stream = gzip ? new GZipStream(_file, CompressionLevel.Fastest) : _file;
                    _writer = new Utf8JsonWriter(_stream, s_writerOptions);
                    _inFile = 0;
                    Files++;
                }

                return _writer;
            }
        }

        public void EndLine()
        {
            _writer!.Flush();
            _writer.Reset();
            _stream!.WriteByte((byte)'\n');
            _inFile++;
            Lines++;
        }

        public void Dispose() => Close();

        private void Close()
        {
            _writer?.Dispose();
            _stream?.Dispose();
            if (_file is not null)
            {
                Bytes += new FileInfo(_file.Name).Length;
                _file.Dispose();
            }

            (_writer, _stream, _file) = (null, null, null);
        }
    }
}
