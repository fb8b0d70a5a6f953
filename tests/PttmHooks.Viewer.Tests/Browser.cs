using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using PttmHooks.Service.Tests;

namespace PttmHooks.Viewer.Tests;

/// <summary>
/// Debian's Chromium driven by Playwright, shared by a test class (one browser process; each test
/// opens its own context). Playwright never downloads a browser here: the test fails, saying what to
/// install, when <c>chromium</c> is missing.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    private static readonly string[] s_knownPlaces = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium", "/snap/bin/chromium"];

    // The flags of shared/ecosystem.md: headless, no sandbox (root in CI), nothing that reaches the network.
    private static readonly string[] s_flags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
    ];

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var executable = Find() ?? throw new InvalidOperationException(
            "chromium is not installed (looked on the PATH and in " + string.Join(", ", s_knownPlaces) + "). " +
            "The card viewer's browser tests drive Debian's Chromium through Playwright, which downloads no browser here: " +
            "install it with `sudo apt-get install chromium` (CI's .ci/run installs it the same way).");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            Args = s_flags,
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
    }

    private static string? Find()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "chromium"))
            .Concat(s_knownPlaces)
            .FirstOrDefault(File.Exists);
    }
}

/// <summary>The service on a real loopback port (Kestrel), so that a browser can load it.</summary>
public sealed class LiveService : IDisposable
{
    private LiveService(ServiceApp app, Uri address)
    {
        App = app;
        Address = address;
    }

    /// <summary>The host: its settings, clock and log collector.</summary>
    public ServiceApp App { get; }

    /// <summary>Where it listens: <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri Address { get; }

    /// <summary>Starts the service (Development) with <paramref name="settings"/> on a free loopback port.</summary>
    public static LiveService Start(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var app = new ServiceApp(settings);
        app.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        app.StartServer();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LiveService(app, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    /// <summary>An absolute URL of this service.</summary>
    public string Url(string path) => new Uri(Address, path.TrimStart('/')).AbsoluteUri;

    public void Dispose() => App.Dispose();
}

/// <summary>Where screenshots go: the test output folder (and attached to the test result).</summary>
public static class Screenshots
{
    /// <summary>The folder: <c>TestResults/viewer</c> beside the test assembly.</summary>
    public static string Folder { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "viewer");

    /// <summary>Saves a full-page screenshot as <c>{name}.png</c> and returns its path.</summary>
    public static async Task<string> SaveAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, name + ".png");
        var bytes = await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.Current.AddAttachment(name + ".png", bytes, "image/png");
        return path;
    }
}
