using System.IO.Compression;
using System.Text.RegularExpressions;

namespace PttmHooks.Cli.Screen;

/// <summary>One NDJSON file of a FHIR Bulk Data export.</summary>
/// <param name="Path">The file.</param>
/// <param name="ResourceType">The resource type its name gives (<c>Observation.000.ndjson</c>: Observation).</param>
/// <param name="Length">Its size on disk (compressed, for <c>.ndjson.gz</c>).</param>
internal sealed record ExportFile(string Path, string ResourceType, long Length)
{
    /// <summary>The file's name.</summary>
    public string Name => System.IO.Path.GetFileName(Path);

    /// <summary>True for a gzip-compressed file (<c>.ndjson.gz</c>).</summary>
    public bool Gzip => Path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The files of a FHIR Bulk Data export folder that the rule reads. Bulk Data names no file
/// layout; servers write one file per resource type, split when large (<c>Patient.ndjson</c>,
/// <c>Observation.000.ndjson</c>, <c>Observation-2.ndjson</c>), sometimes compressed. A file's type is
/// the word its name starts with; each line's own <c>resourceType</c> is checked too.
/// </summary>
internal static partial class BulkExport
{
    /// <summary>The types the rule reads.</summary>
    public static List<string> Types { get; } = ["Patient", "Condition", "Observation", "DiagnosticReport", "DocumentReference", "Binary"];

    /// <summary>The export's files of <see cref="Types"/>, by type then name; and the NDJSON files of other types, skipped.</summary>
    public static (IReadOnlyList<ExportFile> Files, IReadOnlyList<string> Skipped) Discover(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder))
        {
            throw CliException.BadInput(File.Exists(folder)
                ? $"{folder} is a file: give the folder of a FHIR Bulk Data export (NDJSON files such as Patient.ndjson, Condition.ndjson, Observation.000.ndjson)."
                : $"{folder}: no such folder.");
        }

        var files = new List<ExportFile>();
        var skipped = new List<string>();
        foreach (var path in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            var match = FileName().Match(System.IO.Path.GetFileName(path));
            if (!match.Success)
            {
                continue;
            }

            var type = match.Groups["type"].Value;
            if (Types.Contains(type, StringComparer.Ordinal))
            {
                files.Add(new ExportFile(path, type, new FileInfo(path).Length));
            }
            else
            {
                skipped.Add(System.IO.Path.GetFileName(path));
            }
        }

        return ([.. files.OrderBy(f => Types.IndexOf(f.ResourceType)).ThenBy(f => f.Name, StringComparer.Ordinal)], skipped);
    }

    /// <summary>Opens <paramref name="file"/> for reading (decompressing a <c>.gz</c>).</summary>
    public static NdjsonReader Open(ExportFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return new NdjsonReader(file.Path, file.Gzip);
    }

    [GeneratedRegex(@"^(?<type>[A-Z][A-Za-z]+)(?:[._-][^/\\]*)?\.ndjson(?:\.gz)?$", RegexOptions.CultureInvariant)]
    private static partial Regex FileName();
}

/// <summary>
/// Reads an NDJSON file one line at a time as UTF-8 bytes, without decoding it to strings: the
/// buffer holds the longest line (up to <see cref="MaxLineBytes"/>), whatever the file's size.
/// </summary>
internal sealed class NdjsonReader : IDisposable
{
    /// <summary>The longest line read: one resource.</summary>
    public const int MaxLineBytes = 64 * 1024 * 1024;

    private readonly string _path;
    private readonly FileStream _file;
    private readonly Stream _stream;
    private byte[] _buffer = new byte[256 * 1024];
    private int _start;
    private int _end;
    private bool _eof;
    private bool _first = true;

    /// <summary>Opens <paramref name="path"/>.</summary>
    public NdjsonReader(string path, bool gzip)
    {
        _path = path;
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        _stream = gzip ? new GZipStream(_file, CompressionMode.Decompress) : _file;
    }

    /// <summary>The number of the line last read (1-based, blank lines counted).</summary>
    public long LineNumber { get; private set; }

    /// <summary>How far into the file on disk (compressed bytes for a .gz): for progress.</summary>
    public long Position => _file.Position;

    /// <summary>The next non-blank line, without its line end; false at the end of the file.</summary>
    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            var pending = _buffer.AsSpan(_start, _end - _start);
            var newline = pending.IndexOf((byte)'\n');
            if (newline >= 0 || (_eof && pending.Length > 0))
            {
                var length = newline >= 0 ? newline : pending.Length;
                line = pending[..length];
                _start += newline >= 0 ? newline + 1 : length;
                LineNumber++;
                if (_first)
                {
                    _first = false;
                    if (line.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
                    {
                        line = line[3..];
                    }
                }

                line = line.TrimEnd((byte)'\r');
                if (line.Trim((ReadOnlySpan<byte>)[(byte)' ', (byte)'\t']).IsEmpty)
                {
                    continue;
                }

                return true;
            }

            if (_eof)
            {
                line = default;
                return false;
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                if (_buffer.Length >= MaxLineBytes)
                {
                    throw CliException.BadInput($"{Path.GetFileName(_path)}: line {LineNumber + 1} is longer than {MaxLineBytes / (1024 * 1024)} MiB; an NDJSON line holds one resource.");
                }

                Array.Resize(ref _buffer, Math.Min(MaxLineBytes, _buffer.Length * 2));
            }

            int read;
            try
            {
                read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            }
            catch (InvalidDataException e)
            {
                throw CliException.BadInput($"{Path.GetFileName(_path)} is not a valid gzip file ({e.Message}).");
            }

            if (read == 0)
            {
                _eof = true;
            }
            else
            {
                _end += read;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stream.Dispose();
        _file.Dispose();
    }
}
