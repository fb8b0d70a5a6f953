using System.Net;

namespace PttmHooks.Service.Security;

/// <summary>
/// The browser origins allowed to call (<c>Cds:Cors:Origins</c>): each an exact origin
/// (<c>https://ehr.example.org</c>), or in Development a loopback host with any port
/// (<c>http://localhost:*</c>, <c>http://127.0.0.1:*</c>), for EHR simulators and sandboxes run locally.
/// </summary>
public sealed class CorsOrigins
{
    private const string AnyPort = ":*";

    private readonly HashSet<string> _exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<(string Scheme, string Host)> _anyPort = [];

    /// <summary>Reads the (validated) origin settings.</summary>
    public CorsOrigins(IEnumerable<string> origins)
    {
        ArgumentNullException.ThrowIfNull(origins);
        foreach (var origin in origins.Select(o => o.Trim().TrimEnd('/')))
        {
            if (origin.EndsWith(AnyPort, StringComparison.Ordinal))
            {
                var url = new Uri(origin[..^AnyPort.Length]);
                _anyPort.Add((url.Scheme, url.IdnHost));
            }
            else
            {
                _exact.Add(origin);
            }
        }
    }

    /// <summary>True when a browser's <c>Origin</c> header names an allowed origin.</summary>
    public bool IsAllowed(string origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        if (_exact.Contains(origin))
        {
            return true;
        }

        return _anyPort.Count > 0
            && Uri.TryCreate(origin, UriKind.Absolute, out var url)
            && url.AbsolutePath == "/"
            && origin.Length == url.GetLeftPart(UriPartial.Authority).Length
            && _anyPort.Contains((url.Scheme, url.IdnHost));
    }

    /// <summary>What is wrong with one configured origin, or null.</summary>
    internal static string? Problem(string origin, bool development)
    {
        const string Shape = "must be an origin: scheme, host and optional port, no path (https://ehr.example.org)";
        var trimmed = origin.Trim().TrimEnd('/');
        if (trimmed.EndsWith(AnyPort, StringComparison.Ordinal))
        {
            var host = trimmed[..^AnyPort.Length];
            if (!Uri.TryCreate(host, UriKind.Absolute, out var url) || url.AbsolutePath != "/" || host.Length != url.GetLeftPart(UriPartial.Authority).Length || !url.IsDefaultPort)
            {
                return Shape;
            }

            if (!IsLoopback(url) || !development)
            {
                return "names any port (:*), which is allowed only for a loopback host (localhost, 127.0.0.1, [::1]) in the Development environment";
            }

            return null;
        }

        return !Uri.TryCreate(trimmed, UriKind.Absolute, out var parsed) || parsed.AbsolutePath != "/" || trimmed.Length != parsed.GetLeftPart(UriPartial.Authority).Length
            ? Shape
            : null;
    }

    private static bool IsLoopback(Uri url) =>
        string.Equals(url.IdnHost, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(url.IdnHost.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
