namespace PttmHooks.Cli.Evaluate;

/// <summary>
/// The closing sentence of "the chart could not be gathered completely" (exit 3): what to do next,
/// chosen from the reasons the FHIR fetcher gave (a server that refuses the connection, one that
/// wants or refuses the token, one that answered some queries and not others).
/// </summary>
internal static class GatherFailure
{
    private const string FetchedPrefix = "fetched from fhirServer: ";

    /// <summary>
    /// One sentence for the end of the message. <paramref name="reasons"/> are the unsatisfied keys'
    /// reasons; <paramref name="nothingAnswered"/> is true when no key at all was answered.
    /// </summary>
    public static string NextStep(Uri? fhirServer, bool fromCommandLine, bool withToken, IEnumerable<string?> reasons, bool nothingAnswered)
    {
        ArgumentNullException.ThrowIfNull(reasons);
        if (fhirServer is null)
        {
            return "Give the missing keys in the request's prefetch, or name a fhirServer (with its fhirAuthorization) to fetch them from.";
        }

        var server = $"the FHIR server at {fhirServer.AbsoluteUri.TrimEnd('/')}";
        var token = fromCommandLine ? "--token-env" : "the request's fhirAuthorization";
        // The first failure that is not the circuit breaker's echo of an earlier one.
        var texts = reasons.OfType<string>().Select(r => r.Contains(FetchedPrefix, StringComparison.Ordinal) ? r[(r.IndexOf(FetchedPrefix, StringComparison.Ordinal) + FetchedPrefix.Length)..] : r).ToList();
        var cause = texts.FirstOrDefault(t => !t.StartsWith("the circuit", StringComparison.Ordinal)) ?? texts.FirstOrDefault();
        if (cause is null)
        {
            return "Run it again when the data can be gathered.";
        }

        if (cause.Contains("(401)", StringComparison.Ordinal))
        {
            return withToken
                ? $"{Capital(server)} refused the access token (401): put a valid token in the environment variable given with {token} and run it again."
                : $"{Capital(server)} asks for an access token (401): put one in an environment variable and name it with --token-env.";
        }

        if (cause.Contains("(403)", StringComparison.Ordinal))
        {
            return $"{Capital(server)} denied access (403): use a token whose scopes cover Patient, Condition, Observation and DiagnosticReport.";
        }

        // A refused connection, retried until the circuit breaker opened, leaves only the breaker's reason.
        if (nothingAnswered && (cause.StartsWith("the FHIR server could not be reached", StringComparison.Ordinal) || cause.StartsWith("the circuit", StringComparison.Ordinal)))
        {
            return $"Nothing usable came back from {fhirServer.GetLeftPart(UriPartial.Authority)} (every query failed, retries included): check that the FHIR server is running and that {(fromCommandLine ? "--fhir" : "the request's fhirServer")} is its base URL.";
        }

        return nothingAnswered
            ? $"{Capital(server)} answered none of the queries ({cause}): check that it is a FHIR R4 server and that {(fromCommandLine ? "--fhir" : "fhirServer")} is its base URL, then run it again."
            : $"{Capital(server)} did not answer every query (first: {cause}): run it again when it does.";
    }

    private static string Capital(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
