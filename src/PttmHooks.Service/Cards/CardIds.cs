using System.Security.Cryptography;
using System.Text;

namespace PttmHooks.Service.Cards;

/// <summary>
/// Deterministic card and suggestion ids. The same patient, recommendation and evidence give the
/// same card uuid (so feedback matches the card across repeated chart openings), and the id proves,
/// without any stored state, that this service issued it.
/// </summary>
/// <remarks>
/// Layout (an RFC 9562 version 8, "custom", UUID): bytes 0–11 are the start of
/// HMAC-SHA256(key, "card" ‖ patient ‖ recommendation ‖ evidence); bytes 12–15 are the start of
/// HMAC-SHA256(key, "issued" ‖ bytes 0–11 with the version and variant bits set). Feedback recomputes
/// the tag: a uuid from elsewhere matches by chance once in 2^32. The id is a keyed hash, so it
/// does not reveal the patient id. The key is <c>Cds:Cards:IdKey</c>; replicas must share it.
/// </remarks>
public sealed class CardIds
{
    private readonly byte[] _key;

    /// <summary>Creates the id scheme with <paramref name="key"/>.</summary>
    public CardIds(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        _key = Encoding.UTF8.GetBytes(key);
    }

    /// <summary>The card uuid for a patient, a recommendation and its evidence (in any order).</summary>
    public Guid Card(string patientId, string recommendation, IEnumerable<string> evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var text = new StringBuilder("card\n").Append(patientId).Append('\n').Append(recommendation);
        foreach (var reference in evidence.Order(StringComparer.Ordinal))
        {
            text.Append('\n').Append(reference);
        }

        return Seal(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The uuid of a card's suggestion.</summary>
    public Guid Suggestion(Guid card, int index) =>
        Seal(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"suggestion\n{card:D}\n{index}")));

    /// <summary>True when <paramref name="uuid"/> is an id this scheme made (a card's or a suggestion's).</summary>
    public bool IsIssued(string uuid)
    {
        if (!Guid.TryParse(uuid, out var guid))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        guid.TryWriteBytes(bytes, bigEndian: true, out _);
        Span<byte> tag = stackalloc byte[32];
        Tag(bytes[..12], tag);
        return CryptographicOperations.FixedTimeEquals(tag[..4], bytes[12..]);
    }

    private Guid Seal(byte[] hash)
    {
        Span<byte> bytes = stackalloc byte[16];
        hash.AsSpan(0, 12).CopyTo(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        Span<byte> tag = stackalloc byte[32];
        Tag(bytes[..12], tag);
        tag[..4].CopyTo(bytes[12..]);
        return new Guid(bytes, bigEndian: true);
    }

    private void Tag(ReadOnlySpan<byte> body, Span<byte> destination)
    {
        Span<byte> input = stackalloc byte[6 + 12];
        "issued"u8.CopyTo(input);
        body.CopyTo(input[6..]);
        HMACSHA256.HashData(_key, input, destination);
    }
}
