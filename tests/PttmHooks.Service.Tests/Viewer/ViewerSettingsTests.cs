using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using PttmHooks.Service.Tests.Security;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Viewer;

/// <summary>Where the viewer exists: on in Development, off elsewhere unless set, and never signing tokens outside Development.</summary>
public sealed class ViewerSettingsTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/viewer/config")]
    [InlineData("/viewer/samples")]
    [InlineData("/viewer/viewer.js")]
    [InlineData("/scalar/")]
    public async Task Outside_Development_the_viewer_and_Scalar_are_off_by_default(string path)
    {
        using var app = new ServiceApp(ProductionSettings.With(), environment: "Production");

        using var response = await app.GetAsync(path);

        await response.ErrorAsync(HttpStatusCode.NotFound);
        Assert.DoesNotContain(app.Logs.GetSnapshot(), r => r.Id.Id is 1101 or 1102);
    }

    [Fact]
    public async Task Outside_Development_the_OpenAPI_document_is_served_and_names_the_public_base_url()
    {
        using var app = new ServiceApp(ProductionSettings.With(), environment: "Production");

        using var response = await app.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await response.JsonAsync();
        Assert.Equal("https://cds.example.org", (string?)document["servers"]![0]!["url"]);
    }

    [Fact]
    public async Task Enabled_outside_Development_it_serves_the_page_and_samples_signs_no_token_and_warns()
    {
        using var app = new ServiceApp(ProductionSettings.With(("Cds:Viewer:Enabled", "true")), environment: "Staging");

        using (var page = await app.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        using (var samples = await app.GetAsync("/viewer/samples"))
        {
            Assert.Equal(18, (await samples.JsonAsync()).AsArray().Count);
        }

        using (var config = await app.GetAsync("/viewer/config"))
        {
            var authentication = (await config.JsonAsync())["authentication"]!;
            Assert.True((bool)authentication["required"]!);
            Assert.False((bool)authentication["developmentTokens"]!);
            Assert.Contains("Development environment only", (string?)authentication["noTokensBecause"], StringComparison.Ordinal);
        }

        using var token = await app.PostJsonAsync("/viewer/token", new JsonObject { ["path"] = Http.ServicePath });
        await token.ErrorAsync(HttpStatusCode.NotFound);
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Id.Id == 1102 && r.Level == LogLevel.Warning && r.Message.Contains("Staging", StringComparison.Ordinal));
    }

    [Fact]
    public async Task In_Development_it_can_be_switched_off()
    {
        using var app = new ServiceApp(new Dictionary<string, string?> { ["Cds:Viewer:Enabled"] = "false" });

        using var response = await app.GetAsync("/");

        await response.ErrorAsync(HttpStatusCode.NotFound);
        using var discovery = await app.GetAsync("/cds-services");
        Assert.Equal(HttpStatusCode.OK, discovery.StatusCode);
    }

    [Fact]
    public void A_development_key_file_outside_Development_stops_the_start()
    {
        using var app = new ServiceApp(ProductionSettings.With(("Cds:Viewer:DevelopmentKeyFile", "/tmp/key.json")), environment: "Production");

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        var message = Hosting.StartupTests.Messages(error);
        Assert.Contains("Cds:Viewer:DevelopmentKeyFile", message, StringComparison.Ordinal);
        Assert.Contains("Development only", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_development_key_file_that_does_not_exist_stops_the_start()
    {
        using var app = new ServiceApp(new Dictionary<string, string?> { ["Cds:Viewer:DevelopmentKeyFile"] = "no/such/key.json" });

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        Assert.Contains("does not exist", Hosting.StartupTests.Messages(error), StringComparison.Ordinal);
    }
}
