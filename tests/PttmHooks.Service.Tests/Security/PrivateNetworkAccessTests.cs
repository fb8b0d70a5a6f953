using System.Net;
using PttmHooks.Service.Security;
using PttmHooks.Service.Tests.Hosting;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Security;

/// <summary>
/// What a browser needs for the public CDS Hooks Sandbox (https://sandbox.cds-hooks.org) to call a
/// service on localhost: CORS for the sandbox's origin and local ones, and in Development only the
/// answer to Chromium's Private Network Access preflight.
/// </summary>
public sealed class PrivateNetworkAccessTests
{
    private static async Task<HttpResponseMessage> PreflightAsync(ServiceApp app, string origin, bool privateNetwork, string path = Http.ServicePath)
    {
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Options, new Uri(path, UriKind.Relative));
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        if (privateNetwork)
        {
            request.Headers.Add(PrivateNetworkAccess.RequestHeader, "true");
        }

        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    [Theory]
    [InlineData(Http.ServicePath)]
    [InlineData(Http.FeedbackPath)]
    [InlineData("/cds-services")]
    public async Task In_Development_the_sandboxs_private_network_preflight_is_allowed(string path)
    {
        using var app = new ServiceApp();

        using var response = await PreflightAsync(app, CdsHooksSandbox.Origin, privateNetwork: true, path);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(CdsHooksSandbox.Origin, Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Header(response, PrivateNetworkAccess.AllowHeader));
    }

    [Fact]
    public async Task In_Development_a_preflight_without_the_private_network_header_gets_CORS_only()
    {
        using var app = new ServiceApp();

        using var response = await PreflightAsync(app, CdsHooksSandbox.Origin, privateNetwork: false);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(CdsHooksSandbox.Origin, Header(response, "Access-Control-Allow-Origin"));
        Assert.Null(Header(response, PrivateNetworkAccess.AllowHeader));
    }

    [Theory]
    [InlineData("http://localhost:5173")]
    [InlineData("http://127.0.0.1:8081")]
    [InlineData("http://localhost")]
    public async Task In_Development_local_origins_on_any_port_are_allowed(string origin)
    {
        using var app = new ServiceApp();

        using var response = await PreflightAsync(app, origin, privateNetwork: true);

        Assert.Equal(origin, Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Header(response, PrivateNetworkAccess.AllowHeader));
    }

    [Theory]
    [InlineData("https://evil.example.org")]
    [InlineData("https://localhost:5173")]
    [InlineData("http://localhost.evil.example.org")]
    [InlineData("http://sandbox.cds-hooks.org")]
    public async Task In_Development_another_origin_gets_neither_CORS_nor_private_network_access(string origin)
    {
        using var app = new ServiceApp();

        using var response = await PreflightAsync(app, origin, privateNetwork: true);

        Assert.Null(Header(response, "Access-Control-Allow-Origin"));
        Assert.Null(Header(response, PrivateNetworkAccess.AllowHeader));
    }

    [Fact]
    public async Task In_Production_a_configured_origin_gets_CORS_and_never_private_network_access()
    {
        using var app = new ServiceApp(ProductionSettings.With(("Cds:Cors:Origins:0", CdsHooksSandbox.Origin)), environment: "Production");

        using var withHeader = await PreflightAsync(app, CdsHooksSandbox.Origin, privateNetwork: true);
        using var without = await PreflightAsync(app, CdsHooksSandbox.Origin, privateNetwork: false);
        using var local = await PreflightAsync(app, "http://localhost:5173", privateNetwork: true);

        Assert.Equal(CdsHooksSandbox.Origin, Header(withHeader, "Access-Control-Allow-Origin"));
        Assert.Null(Header(withHeader, PrivateNetworkAccess.AllowHeader));
        Assert.Equal(CdsHooksSandbox.Origin, Header(without, "Access-Control-Allow-Origin"));
        Assert.Null(Header(without, PrivateNetworkAccess.AllowHeader));
        Assert.Null(Header(local, "Access-Control-Allow-Origin"));
        Assert.Null(Header(local, PrivateNetworkAccess.AllowHeader));
    }

    [Fact]
    public void Outside_Development_an_origin_with_any_port_stops_the_start()
    {
        using var app = new ServiceApp(ProductionSettings.With(("Cds:Cors:Origins:0", "http://localhost:*")), environment: "Production");

        var messages = StartupTests.Messages(Assert.ThrowsAny<Exception>(() => app.CreateClient()));

        Assert.Contains("Cds:Cors:Origins:0 ('http://localhost:*') names any port (:*), which is allowed only for a loopback host", messages, StringComparison.Ordinal);
    }
}
