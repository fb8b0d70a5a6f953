// The HEALTHCHECK of the service's container image. The runtime image (aspnet:10.0-noble-chiseled)
// has no shell, curl or wget, and adding one would undo the point of a chiseled image; it does have
// the dotnet host, so the probe is this small .NET program: one GET with a short timeout, exit code
// 0 for a 2xx answer and 1 for anything else. Kubernetes ignores HEALTHCHECK and uses its own probes.
//
//   pttm-healthprobe                  GET http://127.0.0.1:<port>/health/live
//   pttm-healthprobe /health/ready    another path on the same port
//   pttm-healthprobe http://host:p/x  any absolute URL
//
// <port> is where the service listens: the first URL of ASPNETCORE_URLS, else the first port of
// ASPNETCORE_HTTP_PORTS, else 8080 (the image's default), so the probe follows the service when
// compose or an operator moves it.
using System.Globalization;

var target = Target(args.Length > 0 ? args[0] : "/health/live");

// No proxy: a probe of the container's own loopback must never leave through HTTP_PROXY.
using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
{
    Timeout = TimeSpan.FromSeconds(3),
};
try
{
    using var response = await http.GetAsync(target, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
    if (response.IsSuccessStatusCode)
    {
        return 0;
    }

    await Console.Error.WriteLineAsync($"pttm-healthprobe: {target} answered HTTP {(int)response.StatusCode}").ConfigureAwait(false);
    return 1;
}
catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
{
    await Console.Error.WriteLineAsync($"pttm-healthprobe: {target} did not answer: {e.Message}").ConfigureAwait(false);
    return 1;
}

static Uri Target(string argument)
{
    if (Uri.TryCreate(argument, UriKind.Absolute, out var absolute) && (absolute.Scheme == Uri.UriSchemeHttp || absolute.Scheme == Uri.UriSchemeHttps))
    {
        return absolute;
    }

    return new Uri(LocalBase(), argument.StartsWith('/') ? argument : "/" + argument);
}

// Where Kestrel listens, as seen from inside the container: wildcard hosts become 127.0.0.1.
static Uri LocalBase()
{
    var urls = Environment.GetEnvironmentVariable("ASPNETCORE_URLS");
    if (!string.IsNullOrWhiteSpace(urls))
    {
        var first = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
        var wildcard = first.Replace("://+", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal);
        if (Uri.TryCreate(wildcard, UriKind.Absolute, out var url))
        {
            return new Uri(url.GetLeftPart(UriPartial.Authority));
        }
    }

    var ports = Environment.GetEnvironmentVariable("ASPNETCORE_HTTP_PORTS");
    var port = 8080;
    if (!string.IsNullOrWhiteSpace(ports))
    {
        var first = ports.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
        if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out port))
        {
            port = 8080;
        }
    }

    return new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
}
