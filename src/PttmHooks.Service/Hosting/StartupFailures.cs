using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Connections;
using PttmHooks.Service.Telemetry;

namespace PttmHooks.Service.Hosting;

/// <summary>
/// Failures at start-up said as sentences: an address another process already listens on ends the
/// process with <see cref="AddressInUseExitCode"/> and one sentence on standard error naming the
/// address and what to do, never a stack trace (docs/operations.md, "Exit codes").
/// </summary>
public static partial class StartupFailures
{
    /// <summary>The exit code when an address to listen on is already in use.</summary>
    public const int AddressInUseExitCode = 10;

    // The host logs its own start-up failure ("Hosting failed to start", event 11) with the whole
    // exception; this category logs nothing else above Debug but background-service failures, whose
    // stop of the host is Critical and kept. RunOrExplain records the failure itself, without a stack
    // trace when the address is in use.
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    /// <summary>Leaves the record of a start-up failure to <see cref="RunOrExplain"/>.</summary>
    public static WebApplicationBuilder AddStartupFailures(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.AddFilter(HostCategory, LogLevel.Critical);
        return builder;
    }

    /// <summary>
    /// Runs <paramref name="app"/> until it stops: 0, or <see cref="AddressInUseExitCode"/> with a
    /// sentence on <paramref name="error"/> (standard error by default) when an address is in use. Any
    /// other start-up failure is logged and thrown on.
    /// </summary>
    public static int RunOrExplain(this WebApplication app, TextWriter? error = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("PttmHooks.Service");
        try
        {
            app.Run();
            return 0;
        }
        catch (IOException e) when (IsAddressInUse(e))
        {
            var address = AddressOf(e) ?? (app.Urls.Count > 0 ? string.Join(", ", app.Urls) : "the address to listen on");
            Log.AddressInUse(logger, address);
            (error ?? Console.Error).WriteLine(AddressInUseSentence(address));
            return AddressInUseExitCode;
        }
        catch (Exception e)
        {
            Log.StartFailed(logger, e);
            throw;
        }
    }

    /// <summary>The sentence for an address in use.</summary>
    public static string AddressInUseSentence(string address) =>
        $"PttmHooks service: cannot start: {address} is already in use by another process. Stop that process, or listen on another address with --urls or ASPNETCORE_URLS (for example ASPNETCORE_URLS=http://localhost:5081).";

    private static bool IsAddressInUse(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is AddressInUseException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The address in Kestrel's message ("Failed to bind to address http://127.0.0.1:5080: address already in use.").</summary>
    private static string? AddressOf(IOException e) => BindMessage().Match(e.Message) is { Success: true } match ? match.Groups["address"].Value : null;

    [GeneratedRegex(@"to address (?<address>\S+?):? address already in use", RegexOptions.CultureInvariant)]
    private static partial Regex BindMessage();
}
