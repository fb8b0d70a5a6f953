using System.Text.Json;
using PttmHooks.Reading.Gathering;

namespace PttmHooks.Cli.Screen;

/// <summary>
/// Whose line it is, read without building the resource: the top-level <c>resourceType</c>, and
/// the patient it belongs to (a Patient's <c>id</c>; anything else's <c>subject.reference</c>, read
/// by the service's own <see cref="PrefetchReader"/>). Stops as soon as both are known.
/// </summary>
internal static class LineScan
{
    /// <summary>Reads the type and owner of <paramref name="line"/>; false when it is not a JSON object with a resourceType.</summary>
    public static bool TryRead(ReadOnlySpan<byte> line, out string resourceType, out string? owner) => TryRead(line, out resourceType, out owner, out _);

    /// <summary>
    /// Reads the type, owner and <c>id</c> of <paramref name="line"/> (a Binary has no owner: its id
    /// is what attachments name it by); false when it is not a JSON object with a resourceType.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> line, out string resourceType, out string? owner, out string? id)
    {
        resourceType = string.Empty;
        owner = null;
        id = null;
        string? type = null;
        string? subject = null;
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 512 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("resourceType"u8))
                {
                    reader.Read();
                    type = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("subject"u8))
                {
                    reader.Read();
                    subject = ReadReference(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }

                if (type is not null && (type is "Patient" or "Binary" ? id is not null : subject is not null))
                {
                    break;
                }
            }
        }
        // InvalidOperationException: a string that is not UTF-8, or an escaped lone surrogate (GetString).
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return false;
        }

        if (type is null)
        {
            return false;
        }

        resourceType = type;
        owner = type switch
        {
            "Patient" => id,
            "Binary" => null,
            _ => PrefetchReader.PatientIdOf(subject),
        };
        return true;
    }

    /// <summary>The <c>reference</c> of the Reference object the reader is at (null if it has none).</summary>
    private static string? ReadReference(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        string? reference = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isReference = reader.ValueTextEquals("reference"u8);
            reader.Read();
            if (isReference && reader.TokenType == JsonTokenType.String)
            {
                reference = reader.GetString();
            }
            else
            {
                reader.Skip();
            }
        }

        return reference;
    }
}

/// <summary>
/// A patient id's 64-bit hash (FNV-1a over its characters, then the SplitMix64 finaliser): the
/// key of the Bloom filter and of the partition a patient's lines go to. Stable across runs.
/// </summary>
internal static class PatientHash
{
    /// <summary>The hash of <paramref name="patientId"/>.</summary>
    public static ulong Of(string patientId)
    {
        ArgumentNullException.ThrowIfNull(patientId);
        var hash = 14695981039346656037UL;
        foreach (var c in patientId)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }

        return Mix(hash);
    }

    /// <summary>The partition, of <paramref name="partitions"/>, that a hash belongs to.</summary>
    public static int Partition(ulong hash, int partitions) => (int)(Mix(hash ^ 0x9E3779B97F4A7C15UL) % (ulong)partitions);

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>
/// A Bloom filter of patient hashes: "certainly not a candidate" or "maybe one". Sized for the
/// candidates found, about 10 bits each (under 1 % false positives), and never more than
/// <see cref="MaxBytes"/>: past that only the false-positive rate grows, never the memory.
/// A false positive costs only some lines written to a partition and read back; the evaluation
/// then finds no solid malignancy and the patient is dropped.
/// </summary>
internal sealed class BloomFilter
{
    /// <summary>The largest filter: 32 MiB (268 million bits; about 27 million candidates at 1 %).</summary>
    public const long MaxBytes = 32L * 1024 * 1024;

    private const int Probes = 7;
    private readonly ulong[] _words;
    private readonly uint _mask;

    private BloomFilter(long bits)
    {
        _words = new ulong[bits / 64];
        _mask = (uint)(bits - 1);
    }

    /// <summary>The filter's size in bytes.</summary>
    public long Bytes => _words.LongLength * 8;

    /// <summary>A filter for <paramref name="count"/> candidates.</summary>
    public static BloomFilter ForCount(long count)
    {
        var bits = 1L << 16;
        while (bits < count * 10 && bits < MaxBytes * 8)
        {
            bits <<= 1;
        }

        return new BloomFilter(bits);
    }

    /// <summary>Adds a hash.</summary>
    public void Add(ulong hash)
    {
        var (a, b) = ((uint)hash, (uint)(hash >> 32) | 1);
        for (uint i = 0; i < Probes; i++)
        {
            var bit = (a + (i * b)) & _mask;
            _words[bit >> 6] |= 1UL << (int)(bit & 63);
        }
    }

    /// <summary>False when the hash was certainly never added.</summary>
    public bool MightContain(ulong hash)
    {
        var (a, b) = ((uint)hash, (uint)(hash >> 32) | 1);
        for (uint i = 0; i < Probes; i++)
        {
            var bit = (a + (i * b)) & _mask;
            if ((_words[bit >> 6] & (1UL << (int)(bit & 63))) == 0)
            {
                return false;
            }
        }

        return true;
    }
}
