using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using SharpFuzz;

namespace PttmHooks.Fuzz;

/// <summary>
/// The harness's entry point. With no arguments: the AFL++ target (SharpFuzz's in-process
/// persistent loop, the input on stdin). <c>replay PATH…</c>: every file (or every file in every
/// folder) through the same check, one line each, exit code 1 when any fails. <c>attachments</c>,
/// <c>attachments replay PATH…</c> and <c>attachments seeds FOLDER</c>: the same for the attachment
/// decoder alone (<see cref="AttachmentTarget"/>).
/// </summary>
public static class FuzzMain
{
    /// <summary>Runs the harness.</summary>
    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        UntracedMap();
        var timeout = TimeSpan.FromMilliseconds(
            int.TryParse(Environment.GetEnvironmentVariable("PTTM_FUZZ_TIMEOUT_MS"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? ms : 4000);
        if (args.Length > 0 && args[0] == "replay")
        {
            return Replay(args[1..], timeout);
        }

        if (args.Length > 0 && args[0] == "attachments")
        {
            return Attachments(args[1..]);
        }

        if (args.Length > 0)
        {
            Console.Error.WriteLine("usage: PttmHooks.Fuzz            (under afl-fuzz: the input on stdin)");
            Console.Error.WriteLine("       PttmHooks.Fuzz replay PATH...  (files, or folders of files)");
            Console.Error.WriteLine("       PttmHooks.Fuzz attachments [replay PATH... | seeds FOLDER]  (the attachment decoder alone)");
            return 2;
        }

        // The host starts before the fork-server handshake, so that its start-up is neither
        // counted against afl-fuzz's per-input timeout nor traced as part of an input.
        using var harness = new Harness(timeout);
        Fuzzer.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            harness.Check(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        });
        return 0;
    }

    /// <summary>
    /// Gives instrumented code a coverage map of its own until <see cref="Fuzzer.Run(Action{Stream})"/>
    /// points it at afl-fuzz's: SharpFuzz leaves it null, so instrumented assemblies (the service's
    /// start-up, or any input in replay mode) would otherwise write through a null pointer.
    /// </summary>
    private static unsafe void UntracedMap()
    {
        if (SharpFuzz.Common.Trace.SharedMem is null)
        {
            SharpFuzz.Common.Trace.SharedMem = (byte*)NativeMemory.AllocZeroed(MapSize);
        }
    }

    /// <summary>The size of SharpFuzz's coverage map (AFL's classic 64 KiB).</summary>
    private const int MapSize = 1 << 16;

    /// <summary>The attachment decoder's target: under afl-fuzz, a replay, or its seeds.</summary>
    private static int Attachments(string[] args)
    {
        if (args.Length == 2 && args[0] == "seeds")
        {
            AttachmentTarget.WriteSeeds(args[1]);
            return 0;
        }

        if (args.Length > 1 && args[0] == "replay")
        {
            int passed = 0, failed = 0;
            foreach (var file in args[1..].SelectMany<string, string>(p => Directory.Exists(p) ? Directory.EnumerateFiles(p).Order(StringComparer.Ordinal) : [p]))
            {
                var watch = Stopwatch.StartNew();
                try
                {
                    AttachmentTarget.Check(File.ReadAllBytes(file));
                    passed++;
                    Console.WriteLine($"pass {file} ({watch.Elapsed.TotalMilliseconds:0} ms)");
                }
                catch (Exception e)
                {
                    failed++;
                    Console.WriteLine($"FAIL {file} ({watch.Elapsed.TotalMilliseconds:0} ms): {e}");
                }
            }

            Console.WriteLine($"replay: {passed} passed, {failed} failed");
            return failed == 0 ? 0 : 1;
        }

        if (args.Length > 0)
        {
            Console.Error.WriteLine("usage: PttmHooks.Fuzz attachments [replay PATH... | seeds FOLDER]");
            return 2;
        }

        Fuzzer.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            AttachmentTarget.Check(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        });
        return 0;
    }

    private static int Replay(string[] paths, TimeSpan timeout)
    {
        var files = paths
            .SelectMany<string, string>(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal) : [p])
            .Where(f => !Path.GetFileName(f).StartsWith('.') && !f.EndsWith(".md", StringComparison.Ordinal) && Path.GetFileName(f) != "README.txt")
            .ToList();
        if (files.Count == 0)
        {
            Console.Error.WriteLine("replay: no files");
            return 2;
        }

        using var harness = new Harness(timeout);
        int passed = 0, failed = 0;
        foreach (var file in files)
        {
            var watch = Stopwatch.StartNew();
            var failure = harness.Run(File.ReadAllBytes(file));
            var took = string.Create(CultureInfo.InvariantCulture,
                $"{harness.LastStatus}, {harness.LastFhirRequests} FHIR requests, {watch.Elapsed.TotalMilliseconds:0} ms");
            if (failure is null)
            {
                passed++;
                Console.WriteLine($"pass {file} ({took})");
            }
            else
            {
                failed++;
                Console.WriteLine($"FAIL {file} ({took}): {failure}");
            }
        }

        Console.WriteLine($"replay: {passed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }
}
