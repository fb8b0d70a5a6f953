using System.Runtime.InteropServices;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Hl7.Fhir.Model;
using PttmHooks.Reading;

namespace PttmHooks.Benchmarks;

/// <summary>
/// Where <see cref="HookPipelineBenchmark.Parse"/>'s time goes, for the typical request (300
/// prefetched resources): the JSON document alone, then the Firely SDK reading each prefetch value
/// (from the document's elements, as the service does, and from the value's UTF-8 bytes).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchConfig))]
public class ParseBreakdownBenchmark
{
    private byte[] _body = [];
    private byte[][] _values = [];

    /// <summary>Resources in the request's prefetch (about).</summary>
    [Params(300)]
    public int Prefetched { get; set; }

    /// <summary>Builds the request and cuts out its prefetch values.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var seed = Charts.Load(Charts.SeedCase);
        var request = HookRequests.For(HookRequests.PrefetchChart(seed, Prefetched), TimeProvider.System.GetUtcNow());
        _body = request.Body;
        using var document = JsonDocument.Parse(_body);
        _values = [.. document.RootElement.GetProperty("prefetch").EnumerateObject()
            .Where(p => p.Value.ValueKind == JsonValueKind.Object)
            .Select(p => JsonSerializer.SerializeToUtf8Bytes(p.Value))];
        Console.WriteLine($"// {request}; {_values.Length} prefetch values");
    }

    /// <summary>The request's JSON document alone.</summary>
    [Benchmark(Baseline = true)]
    public int Document()
    {
        using var document = JsonDocument.Parse(_body);
        return document.RootElement.GetProperty("prefetch").GetPropertyCount();
    }

    /// <summary>
    /// The document, then each prefetch value read by the Firely SDK from its raw UTF-8 bytes in the
    /// document (<see cref="JsonMarshal.GetRawUtf8Value"/>, no copy). Measured the same as
    /// <see cref="FirelyFromElements"/> (bench/README.md), so the service keeps the element.
    /// </summary>
    [Benchmark]
    public int FirelyFromRawValues()
    {
        using var document = JsonDocument.Parse(_body);
        var count = 0;
        foreach (var property in document.RootElement.GetProperty("prefetch").EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Object && JsonSerializer.Deserialize<Resource>(JsonMarshal.GetRawUtf8Value(property.Value), FhirJsonFormat.Options) is Bundle bundle)
            {
                count += bundle.Entry.Count;
            }
        }

        return count;
    }

    /// <summary>The document, then each prefetch value read by the Firely SDK from its element (JsonElement.Deserialize: the service's way).</summary>
    [Benchmark]
    public int FirelyFromElements()
    {
        using var document = JsonDocument.Parse(_body);
        var count = 0;
        foreach (var property in document.RootElement.GetProperty("prefetch").EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Object && property.Value.Deserialize<Resource>(FhirJsonFormat.Options) is Bundle bundle)
            {
                count += bundle.Entry.Count;
            }
        }

        return count;
    }

    /// <summary>Each prefetch value read by the Firely SDK from its UTF-8 bytes (no document).</summary>
    [Benchmark]
    public int FirelyFromBytes()
    {
        var count = 0;
        foreach (var value in _values)
        {
            if (JsonSerializer.Deserialize<Resource>(value, FhirJsonFormat.Options) is Bundle bundle)
            {
                count += bundle.Entry.Count;
            }
        }

        return count;
    }
}
