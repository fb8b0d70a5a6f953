using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace PttmHooks.Service.Telemetry;

/// <summary>
/// The keyed hash that stands for an identifier in telemetry: HMAC-SHA256 under
/// <see cref="TelemetryOptions.PatientHashKey"/>, the first 16 bytes as lower-case hex. Without the
/// key it cannot be reversed or recomputed (a plain hash of a patient id could be, by trying every
/// id); with it, support can find the records of one patient or one hook call.
/// </summary>
public sealed class KeyedHash
{
    /// <summary>The length of a hash in characters (16 bytes, hex).</summary>
    public const int Length = 32;

    private readonly byte[]? _key;

    /// <summary>Reads the key from the telemetry settings.</summary>
    public KeyedHash(IOptions<TelemetryOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var key = options.Value.PatientHashKey;
        _key = string.IsNullOrEmpty(key) ? null : Encoding.UTF8.GetBytes(key);
    }

    /// <summary>True when a key is configured (and hashes are written).</summary>
    public bool Enabled => _key is not null;

    /// <summary>The hash of <paramref name="value"/>, or null when no key is configured or there is no value.</summary>
    public string? Of(string? value)
    {
        if (_key is null || value is null)
        {
            return null;
        }

        Span<char> text = stackalloc char[Length];
        Write(value, text);
        return new string(text);
    }

    /// <summary>Writes the hash of <paramref name="value"/> into <paramref name="destination"/> (at least <see cref="Length"/> characters); returns the characters written (0 without a key).</summary>
    public int Write(ReadOnlySpan<char> value, Span<char> destination)
    {
        if (_key is null)
        {
            return 0;
        }

        var bytes = Encoding.UTF8.GetBytes(value.ToArray());
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, bytes, mac);
        return Convert.TryToHexStringLower(mac[..(Length / 2)], destination, out var written) ? written : 0;
    }
}
