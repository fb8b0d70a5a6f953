using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using PttmHooks.Service.Tests;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Viewer.Tests;

/// <summary>
/// Debian's Chromium driven by Playwright, shared by a test class (one browser process; each test
/// opens its own context). Playwright never downloads a browser here: when <c>chromium</c> is missing
/// each test is skipped, saying what to install, and fails instead where <c>CI=true</c> or
/// <c>PTTM_REQUIRE_ALL=1</c> (<see cref="SystemTool"/>). The fixture itself never throws for it: a
/// class fixture's failure could not be reported as a skip.
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

    private const string Install =
        "The card viewer's browser tests drive Debian's Chromium through Playwright, which downloads no browser here: " +
        "install it with `sudo apt-get install chromium` (CI's .ci/run installs it the same way).";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>The browser; skips the test (fails it in CI), with what to install, when chromium is missing.</summary>
    public IBrowser Browser
    {
        get
        {
            if (_browser is null)
            {
                SystemTool.Missing("chromium", s_knownPlaces, Install);
            }

            return _browser;
        }
    }

    public async ValueTask InitializeAsync()
    {
        if (SystemTool.Find("chromium", s_knownPlaces) is not { } executable)
        {
            return;
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            Args = s_flags,
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
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
