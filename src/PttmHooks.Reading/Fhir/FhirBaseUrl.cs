namespace PttmHooks.Reading.Fhir;

/// <summary>
/// The rules for a FHIR base URL that do not depend on who may name it: its scheme and shape, and
/// one comparable form. The service's trust policy (which bases a CDS client may name) and the
/// CLI (which base a person named) both apply them.
/// </summary>
internal static class FhirBaseUrl
{
    /// <summary>
    /// What is wrong with the scheme and shape of a FHIR base URL, or null: https, or http to a
    /// loopback address in Development only; no user info, query or fragment.
    /// </summary>
    internal static string? SchemeProblem(Uri url, bool development)
    {
        if (!url.IsAbsoluteUri)
        {
            return "must be an absolute URL";
        }

        if (url.Scheme == Uri.UriSchemeHttp)
        {
            if (!development || !url.IsLoopback)
            {
                return development
                    ? "uses http to a host that is not loopback: a FHIR server must be reached over https (http is accepted for localhost in Development only)"
                    : "uses http: a FHIR server must be reached over https, so that the access token and the patient's data are encrypted in transit";
            }
        }
        else if (url.Scheme != Uri.UriSchemeHttps)
        {
            return "must be an https URL";
        }

        if (!string.IsNullOrEmpty(url.UserInfo) || !string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment))
        {
            return "must be a plain FHIR base URL, without user info, query or fragment";
        }

        return null;
    }

    /// <summary>
    /// A FHIR base in one comparable form: lower case, default port dropped, no trailing slash.
    /// Bases compare case-insensitively, path included (as the security design asks).
    /// </summary>
    internal static string Normalise(string url)
    {
        var trimmed = url.Trim();
        if (Uri.TryCreate(trimmed, UriKind.Absolute, out var uri))
        {
            trimmed = uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
        }

        return trimmed.TrimEnd('/').ToLowerInvariant();
    }

    /// <summary>Normalises a base URL given as a <see cref="Uri"/>.</summary>
    internal static string Normalise(Uri url) => Normalise(url.AbsoluteUri);
}
