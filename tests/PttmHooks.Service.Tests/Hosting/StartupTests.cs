using System.Net;

namespace PttmHooks.Service.Tests.Hosting;

/// <summary>Start-up refuses settings that would leave the service open outside Development.</summary>
public sealed class StartupTests
{
    [Fact]
    public void Production_with_authentication_not_required_fails_to_start_naming_Development()
    {
        using var app = new ServiceApp(new Dictionary<string, string?> { ["Cds:Authentication:Required"] = "false" }, environment: "Production");

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        var messages = Messages(error);
        Assert.Contains("Development", messages, StringComparison.Ordinal);
        Assert.Contains("Cds:Authentication:Required=false", messages, StringComparison.Ordinal);
    }

    [Fact]
    public void Production_without_trusted_clients_fails_to_start_naming_Cds_Clients()
    {
        using var app = new ServiceApp(environment: "Production");

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        Assert.Contains("Cds:Clients", Messages(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Development_with_its_appsettings_starts_and_answers()
    {
        using var app = new ServiceApp();
        using var client = app.CreateClient();

        using var response = await client.GetAsync(new Uri("/cds-services", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Development_with_authentication_required_refuses_an_unauthenticated_call()
    {
        using var app = new ServiceApp(new Dictionary<string, string?> { ["Cds:Authentication:Required"] = "true", ["Cds:FhirServers:0"] = null });
        using var client = app.CreateClient();

        using var response = await client.GetAsync(new Uri("/cds-services", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    internal static string Messages(Exception error)
    {
        var all = new List<string>();
        var pending = new Stack<Exception>([error]);
        while (pending.TryPop(out var e))
        {
            all.Add(e.Message);
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    pending.Push(inner);
                }
            }
            else if (e.InnerException is { } inner)
            {
                pending.Push(inner);
            }
        }

        return string.Join("\n", all);
    }
}
