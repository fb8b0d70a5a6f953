using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using PttmHooks.Fuzz;

namespace PttmHooks.Service.Tests.Fuzz;

/// <summary>
/// Every input in tests/fuzz/regressions (inputs the coverage-guided fuzzer once found, and a
/// harmless one) is answered as the fuzzer's harness demands: never a 5xx, every 4xx an
/// OperationOutcome, every 200 a CDS Hooks response. The same input format, fake FHIR server and
/// verdict as the harness (tests/fuzz/PttmHooks.Fuzz, compiled in from there).
/// </summary>
public sealed class FuzzRegressionTests
{
    /// <summary>The files of the regressions folder.</summary>
    public static TheoryData<string> Inputs()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(TestFiles.Path("fuzz-regressions")).Order(StringComparer.Ordinal))
        {
            if (!file.EndsWith(".md", StringComparison.Ordinal))
            {
                data.Add(Path.GetFileName(file));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task Fuzzer_input_is_answered_without_a_server_error(string name)
    {
        var input = FuzzInput.Split(File.ReadAllBytes(TestFiles.Path("fuzz-regressions", name)));
        var fhir = new FakeFhirData();
        fhir.Serve(input.FhirAnswer);
        using var app = new ServiceApp(new Dictionary<string, string?>
            {
                ["Cds:Fallback:OpenServers:0"] = ServiceApp.TrustedFhirServer,
                ["Cds:Fallback:MaxRetries"] = "0",
            })
            .WithServices(services => services.ConfigureAll<HttpClientFactoryOptions>(options =>
                options.HttpMessageHandlerBuilderActions.Add(handlers => handlers.PrimaryHandler = new FakeFhirHandler(fhir))));
        using var client = app.CreateClient();
        using var content = new ByteArrayContent(input.Body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await client.PostAsync(new Uri("/cds-services/pttm-screening", UriKind.Relative), content, TestContext.Current.CancellationToken);

        var body = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        var failure = Verdict.Check((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
        Assert.True(failure is null, $"{name}: {failure}{Environment.NewLine}{Verdict.Excerpt(body)}");
    }
}
