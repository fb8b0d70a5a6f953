using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace PttmHooks.Fuzz;

/// <summary>
/// One host for the whole process and one check per input: the input's body is posted to the
/// hook service (<c>POST /cds-services/{id}</c>, the id read from the discovery endpoint), the
/// fake FHIR server serves the input's FHIR answer, and the answer is judged by <see cref="Verdict"/>.
/// </summary>
public sealed class Harness : IDisposable
{
    private readonly HarnessApp _app = new();
    private readonly HttpClient _client;
    private readonly TimeSpan _timeout;

    /// <summary>Starts the service and finds the hook service's id.</summary>
    /// <param name="timeout">How long one hook call may take before it counts as a failure.</param>
    public Harness(TimeSpan timeout)
    {
        _timeout = timeout;
        _client = _app.CreateClient();
        var discovery = _client.GetByteArrayAsync(new Uri("/cds-services", UriKind.Relative)).GetAwaiter().GetResult();
        using var document = JsonDocument.Parse(discovery);
        var id = document.RootElement.GetProperty("services")[0].GetProperty("id").GetString()
            ?? throw new InvalidOperationException("The discovery document names no service id.");
        ServicePath = "/cds-services/" + Uri.EscapeDataString(id);
    }

    /// <summary>The path inputs are posted to.</summary>
    public string ServicePath { get; }

    /// <summary>The HTTP status of the last input's answer (0: none).</summary>
    public int LastStatus { get; private set; }

    /// <summary>How many requests the last input's FHIR fallback sent to the fake FHIR server.</summary>
    public int LastFhirRequests => _app.Fhir.Requests;

    /// <summary>Runs one input; null when the service answered as it should, else why not.</summary>
    public string? Run(ReadOnlySpan<byte> data)
    {
        LastStatus = 0;
        var input = FuzzInput.Split(data);
        _app.Errors.Clear();
        _app.Fhir.Serve(input.FhirAnswer);
        using var content = new ByteArrayContent(input.Body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var timeout = new CancellationTokenSource(_timeout);
        string? failure;
        try
        {
            using var response = _client.PostAsync(new Uri(ServicePath, UriKind.Relative), content, timeout.Token).GetAwaiter().GetResult();
            var body = response.Content.ReadAsByteArrayAsync(timeout.Token).GetAwaiter().GetResult();
            var status = (int)response.StatusCode;
            LastStatus = status;
            failure = Verdict.Check(status, response.Content.Headers.ContentType?.MediaType, body);
            if (failure is not null)
            {
                failure += Environment.NewLine + "body: " + Verdict.Excerpt(body);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            failure = $"no answer within {_timeout.TotalSeconds:0.#} s";
        }
        catch (HttpRequestException e)
        {
            // TestServer surfaces an exception that escaped the pipeline this way.
            failure = $"the request failed: {e.GetType().Name}: {e.Message} {e.InnerException}";
        }

        if (failure is null)
        {
            return null;
        }

        var text = new StringBuilder(failure);
        foreach (var record in _app.Errors.Records)
        {
            text.AppendLine().Append("log: ").Append(record);
        }

        return text.ToString();
    }

    /// <summary>Runs one input and throws <see cref="WrongAnswerException"/> when the answer is wrong (AFL records a crash).</summary>
    public void Check(ReadOnlySpan<byte> data)
    {
        if (Run(data) is { } failure)
        {
            throw new WrongAnswerException(failure);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _client.Dispose();
        _app.Dispose();
    }
}

/// <summary>The service answered an input wrongly (see <see cref="Verdict"/>).</summary>
public sealed class WrongAnswerException : Exception
{
    /// <summary>Creates the failure.</summary>
    public WrongAnswerException()
    {
    }

    /// <summary>Creates the failure with its reason.</summary>
    public WrongAnswerException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the failure with its reason and cause.</summary>
    public WrongAnswerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
