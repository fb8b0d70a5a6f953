using PttmHooks.Service.Tests.Security;

namespace PttmHooks.Service.Tests.Support;

/// <summary>A configuration that starts in Production: authentication required, one client with its own key.</summary>
internal static class ProductionSettings
{
    /// <summary>The settings, with <paramref name="more"/> added (a key already there takes the new value).</summary>
    public static Dictionary<string, string?> With(params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Cds:FhirServers:0"] = null,
            ["Cds:PublicBaseUrl"] = "https://cds.example.org",
            ["Cds:Clients:ehr:Issuer"] = "https://ehr.example.org",
            ["Cds:Clients:ehr:Jwks"] = TestKey.Jwks(TestKey.Rsa),
            ["Cds:Clients:ehr:FhirServers:0"] = "https://ehr.example.org/fhir",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }
}
