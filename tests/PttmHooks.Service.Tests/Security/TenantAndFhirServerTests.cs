using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using PttmHooks.Service.Tests.CdsHooks;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Security;

/// <summary>
/// What a client token binds besides the call: its <c>tenant</c> (when the client has a tenant
/// list), and the FHIR servers its requests may name, so that no client can point the service's
/// outbound requests (and a FHIR access token) at another client's server or an internal host.
/// </summary>
public sealed class TenantAndFhirServerTests
{
    private const string FhirToken = "ehr-fhir-access-token-5d2c81";

    private static string TokenWithTenant(TokenRig rig, string issuer, string? tenant)
    {
        var key = issuer == TokenRig.IssuerA ? TestKey.SpecExample : TestKey.Sandbox;
        var payload = rig.Payload(issuer);
        if (tenant is not null)
        {
            payload["tenant"] = tenant;
        }

        return Jws.Sign(TokenRig.Header(key), payload, key);
    }

    private static List<string> Reasons(TokenRig rig) =>
        [.. rig.App.Logs.GetSnapshot().Where(r => r.Id.Id == 2301).Select(r => r.Message)];

    [Fact]
    public async Task A_client_with_a_tenant_list_accepts_its_tenant_and_refuses_another_or_none()
    {
        using var rig = new TokenRig(new Dictionary<string, string?> { ["Cds:Clients:ehr-a:Tenants:0"] = "t1" });
        var request = rig.App.CaseRequest(TokenRig.CardCase);

        using var own = await rig.PostHookAsync(TokenWithTenant(rig, TokenRig.IssuerA, "t1"), request);
        using var other = await rig.PostHookAsync(TokenWithTenant(rig, TokenRig.IssuerA, "t2"), request);
        using var none = await rig.PostHookAsync(TokenWithTenant(rig, TokenRig.IssuerA, null), request);

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(
            [$"CDS client call to {Http.ServicePath} refused (401): tenant (client ehr-a)", $"CDS client call to {Http.ServicePath} refused (401): tenant (client ehr-a)"],
            Reasons(rig));
    }

    [Fact]
    public async Task A_client_with_several_tenants_accepts_each_of_them()
    {
        using var rig = new TokenRig(new Dictionary<string, string?>
        {
            ["Cds:Clients:ehr-a:Tenants:0"] = "t1",
            ["Cds:Clients:ehr-a:Tenants:1"] = "t2",
        });
        var request = rig.App.CaseRequest(TokenRig.CardCase);

        using var first = await rig.PostHookAsync(TokenWithTenant(rig, TokenRig.IssuerA, "t1"), request);
        using var second = await rig.PostHookAsync(TokenWithTenant(rig, TokenRig.IssuerA, "t2"), request);
        using var third = await rig.PostHookAsync(TokenWithTenant(rig, TokenRig.IssuerA, "t3"), request);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, third.StatusCode);
    }

    [Fact]
    public async Task A_client_without_a_tenant_list_accepts_any_tenant_or_none_even_when_another_client_has_one()
    {
        using var rig = new TokenRig(new Dictionary<string, string?> { ["Cds:Clients:ehr-a:Tenants:0"] = "t1" });
        var request = rig.App.CaseRequest(TokenRig.CardCase);

        using var anyTenant = await rig.PostHookAsync(TokenWithTenant(rig, TokenRig.IssuerB, "2ddd6c3a-8e9a-44c6-a305-52111ad302a2"), request);
        using var tenantOfA = await rig.PostHookAsync(TokenWithTenant(rig, TokenRig.IssuerB, "t1"), request);
        using var noTenant = await rig.PostHookAsync(TokenWithTenant(rig, TokenRig.IssuerB, null), request);

        Assert.Equal(HttpStatusCode.OK, anyTenant.StatusCode);
        Assert.Equal(HttpStatusCode.OK, tenantOfA.StatusCode);
        Assert.Equal(HttpStatusCode.OK, noTenant.StatusCode);
        Assert.Empty(Reasons(rig));
    }

    /// <summary>A rig whose two clients each have a FHIR server on WireMock that serves the card case's resources.</summary>
    private sealed class TwoServers : IDisposable
    {
        public TwoServers()
        {
            FhirA = FhirServerFake.Start(FhirServerFake.LoadCase(TokenRig.CardCase));
            FhirB = FhirServerFake.Start(FhirServerFake.LoadCase(TokenRig.CardCase));
            Rig = new TokenRig(new Dictionary<string, string?>
            {
                ["Cds:Clients:ehr-a:FhirServers:0"] = FhirA.BaseUrl.AbsoluteUri,
                ["Cds:Clients:ehr-b:FhirServers:0"] = FhirB.BaseUrl.AbsoluteUri,
            });
        }

        public FhirServerFake FhirA { get; }

        public FhirServerFake FhirB { get; }

        public TokenRig Rig { get; }

        /// <summary>The card case with every search key left out (so that all of it must be fetched), naming <paramref name="fhirServer"/> with a FHIR token.</summary>
        public JsonObject Request(string fhirServer)
        {
            var request = Rig.App.CaseRequest(TokenRig.CardCase, [.. Http.SearchKeys]);
            request["fhirServer"] = fhirServer;
            request["fhirAuthorization"] = ErrorAnswerTests.Authorization(FhirToken);
            return request;
        }

        public void Dispose()
        {
            Rig.Dispose();
            FhirA.Dispose();
            FhirB.Dispose();
        }
    }

    [Fact]
    public async Task A_request_signed_by_one_client_naming_another_clients_FHIR_server_is_400_and_nothing_is_sent_to_it()
    {
        using var servers = new TwoServers();
        var request = servers.Request(servers.FhirB.BaseUrl.AbsoluteUri);

        using var response = await servers.Rig.PostHookAsync(servers.Rig.TokenA(), request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("fhirServer", issue.Expression);
        Assert.Equal("security", issue.Code);
        Assert.Contains("Cds:Clients:ehr-a:FhirServers", issue.Diagnostics, StringComparison.Ordinal);
        Assert.Contains("no request was sent", issue.Diagnostics, StringComparison.Ordinal);
        Assert.Empty(servers.FhirB.Server.LogEntries);
        Assert.Empty(servers.FhirA.Server.LogEntries);
        Assert.DoesNotContain(FhirToken, await response.TextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_request_naming_the_signing_clients_own_FHIR_server_is_fetched_with_its_FHIR_token()
    {
        using var servers = new TwoServers();
        var request = servers.Request(servers.FhirA.BaseUrl.AbsoluteUri);

        using var response = await servers.Rig.PostHookAsync(servers.Rig.TokenA(), request);

        var text = await response.TextAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.NotEmpty((await response.JsonAsync())["cards"]!.AsArray());
        var requests = servers.FhirA.Requests;
        Assert.NotEmpty(requests);
        Assert.All(requests, r => Assert.Equal("Bearer " + FhirToken, r.Authorization));
        Assert.Empty(servers.FhirB.Server.LogEntries);
        // The log record the refusal tests look for to show that no fallback was attempted.
        Assert.Contains(servers.Rig.App.Logs.GetSnapshot(), r => r.Id.Id == 2201);
    }

    [Fact]
    public async Task The_other_client_may_name_its_own_FHIR_server_but_not_the_first_clients()
    {
        using var servers = new TwoServers();
        var own = servers.Request(servers.FhirB.BaseUrl.AbsoluteUri);
        var foreign = servers.Request(servers.FhirA.BaseUrl.AbsoluteUri);

        using var ownResponse = await servers.Rig.PostHookAsync(servers.Rig.TokenB(), own);
        var fetchedFromB = servers.FhirB.Requests.Count;
        using var foreignResponse = await servers.Rig.PostHookAsync(servers.Rig.TokenB(), foreign);

        Assert.Equal(HttpStatusCode.OK, ownResponse.StatusCode);
        Assert.True(fetchedFromB > 0, "ehr-b's own server was not asked");
        var issue = Assert.Single(await foreignResponse.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("fhirServer", issue.Expression);
        Assert.Contains("Cds:Clients:ehr-b:FhirServers", issue.Diagnostics, StringComparison.Ordinal);
        Assert.Empty(servers.FhirA.Server.LogEntries);
        Assert.Equal(fetchedFromB, servers.FhirB.Requests.Count);
    }

    [Theory]
    [InlineData("HTTPS://EHR-A.example.org/fhir/")]
    [InlineData("https://ehr-a.example.org/fhir/")]
    [InlineData("https://Ehr-A.Example.Org/FHIR")]
    [InlineData("https://ehr-a.example.org:443/fhir")]
    public async Task A_fully_prefetched_request_naming_the_clients_FHIR_base_in_another_spelling_is_accepted(string fhirServer)
    {
        using var rig = new TokenRig();
        var request = rig.App.CaseRequest(TokenRig.CardCase);
        request["fhirServer"] = fhirServer;
        request["fhirAuthorization"] = ErrorAnswerTests.Authorization(FhirToken);

        using var response = await rig.PostHookAsync(rig.TokenA(), request);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.TextAsync());
    }

    [Theory]
    [InlineData(TokenRig.FhirB)]
    [InlineData("https://ehr-a.example.org")]
    [InlineData("https://ehr-a.example.org/fhir/Patient")]
    [InlineData("https://ehr-a.example.org/fhir2")]
    [InlineData("https://ehr-a.example.org:8443/fhir")]
    [InlineData("https://ehr-a.example.org.attacker.example/fhir")]
    [InlineData("https://attacker.example/ehr-a.example.org/fhir")]
    [InlineData("http://ehr-a.example.org/fhir")]
    [InlineData("https://user@ehr-a.example.org/fhir")]
    [InlineData("https://ehr-a.example.org/fhir?x=1")]
    public async Task A_fully_prefetched_request_naming_a_FHIR_server_that_is_not_the_clients_is_still_400(string fhirServer)
    {
        using var rig = new TokenRig();
        var request = rig.App.CaseRequest(TokenRig.CardCase);
        request["fhirServer"] = fhirServer;
        request["fhirAuthorization"] = ErrorAnswerTests.Authorization(FhirToken);

        using var response = await rig.PostHookAsync(rig.TokenA(), request);

        var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
        Assert.Equal("fhirServer", issue.Expression);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("http://127.0.0.1:6379")]
    [InlineData("http://127.0.0.1:{port}")]
    [InlineData("http://localhost:{port}/fhir")]
    [InlineData("http://127.0.0.1:{port}/fhir/")]
    [InlineData("https://10.0.0.1/fhir")]
    [InlineData("file:///etc/passwd")]
    public async Task A_fhirServer_on_an_internal_host_signed_by_a_valid_client_is_400_and_nothing_connects_to_it(string fhirServer)
    {
        // A loopback port that would see any connection the service made to the {port} addresses.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            using var rig = new TokenRig();
            var request = rig.App.CaseRequest(TokenRig.CardCase, [.. Http.SearchKeys]);
            request["fhirServer"] = fhirServer.Replace("{port}", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
            request["fhirAuthorization"] = ErrorAnswerTests.Authorization(FhirToken);

            using var response = await rig.PostHookAsync(rig.TokenA(), request);

            var issue = Assert.Single(await response.ErrorAsync(HttpStatusCode.BadRequest));
            Assert.Equal("fhirServer", issue.Expression);
            Assert.False(listener.Pending(), "the service connected to the fhirServer it refused");
            // No FHIR fallback was attempted (2201 fetched, 2202 a query failed).
            Assert.DoesNotContain(rig.App.Logs.GetSnapshot(), r => r.Id.Id is 2201 or 2202);
        }
        finally
        {
            listener.Stop();
        }
    }
}
