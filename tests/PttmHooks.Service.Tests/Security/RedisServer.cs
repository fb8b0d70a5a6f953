using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PttmHooks.Service.Tests.Support;

namespace PttmHooks.Service.Tests.Security;

/// <summary>
/// A real <c>redis-server</c> for one test: its own process on a free loopback port, nothing
/// saved to disk, killed on dispose. <see cref="Stop"/> kills it mid-test (Redis down) and
/// <see cref="Restart"/> brings it back, empty, on the same port.
/// </summary>
/// <remarks>
/// A test that needs Redis is skipped, saying what to install, when <c>redis-server</c> is not
/// installed, and fails instead where <c>CI=true</c> or <c>PTTM_REQUIRE_ALL=1</c> (<see cref="SystemTool"/>):
/// CI installs it with <c>apt-get install redis-server</c>.
/// </remarks>
public sealed class RedisServer : IDisposable
{
    /// <summary>How long the server has to accept connections after it is started.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private static readonly string[] s_knownPlaces = ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/opt/homebrew/bin/redis-server"];

    private readonly string _executable;
    private readonly StringBuilder _output = new();
    private Process _process;

    private RedisServer(string executable, int port, Process process)
    {
        _executable = executable;
        Port = port;
        _process = process;
    }

    /// <summary>The loopback port it listens on.</summary>
    public int Port { get; }

    /// <summary>A StackExchange.Redis connection string for it (<c>127.0.0.1:PORT</c>).</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>True while the process runs.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>
    /// Starts a server on a free loopback port and waits (at most <see cref="StartTimeout"/>) until
    /// it answers PING. Skips the test (fails it in CI), with what to install, when there is no <c>redis-server</c>.
    /// </summary>
    public static RedisServer Start()
    {
        var executable = SystemTool.Require("redis-server", s_knownPlaces,
            "The replay-cache tests run against a real Redis: install it with `sudo apt-get install redis-server` " +
            "(CI installs it the same way). The tests start and stop their own server; no service needs to run.");
        var failures = new List<string>();
        // A free port can be taken by someone else between the probe and redis-server's bind: try a few.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var port = FreePort();
            var output = new StringBuilder();
            var process = Launch(executable, port, output);
            if (WaitUntilReady(process, port))
            {
                var server = new RedisServer(executable, port, process);
                lock (output)
                {
                    server._output.Append(output);
                }

                return server;
            }

            Kill(process);
            process.Dispose();
            lock (output)
            {
                failures.Add($"port {port}: {output.ToString().Trim()}");
            }
        }

        throw new InvalidOperationException(
            $"redis-server ({executable}) did not accept connections within {StartTimeout.TotalSeconds:F0} s in 3 attempts:\n" + string.Join("\n", failures));
    }

    /// <summary>Kills the server (as a crash or a network cut would look to its clients) and waits until it is gone.</summary>
    public void Stop() => Kill(_process);

    /// <summary>Starts the server again on the same port, empty, and waits until it answers PING.</summary>
    public void Restart()
    {
        Stop();
        _process.Dispose();
        _process = Launch(_executable, Port, _output);
        if (!WaitUntilReady(_process, Port))
        {
            throw new InvalidOperationException($"redis-server did not come back on port {Port} within {StartTimeout.TotalSeconds:F0} s: {Output}");
        }
    }

    /// <summary>True when a PING on the port is answered with PONG now.</summary>
    public bool Answers() => Ping(Port);

    /// <summary>What the server printed (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        try
        {
            return ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        finally
        {
            probe.Stop();
        }
    }

    private static Process Launch(string executable, int port, StringBuilder output)
    {
        var start = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        // No RDB snapshot, no AOF: nothing is written to disk; loopback only.
        foreach (var argument in new[] { "--save", "", "--appendonly", "no", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1" })
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        void Collect(object sender, DataReceivedEventArgs line)
        {
            if (line.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(line.Data);
                }
            }
        }

        process.OutputDataReceived += Collect;
        process.ErrorDataReceived += Collect;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static bool WaitUntilReady(Process process, int port)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            if (process.HasExited)
            {
                return false;
            }

            if (Ping(port))
            {
                return true;
            }

            Thread.Sleep(50);
        }

        return false;
    }

    private static bool Ping(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.ReceiveTimeout = 1000;
            client.SendTimeout = 1000;
            client.Connect(IPAddress.Loopback, port);
            var stream = client.GetStream();
            stream.Write("PING\r\n"u8);
            var buffer = new byte[64];
            var read = stream.Read(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return false;
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill();
        }
        catch (InvalidOperationException)
        {
            // It had exited already.
        }

        process.WaitForExit(10_000);
    }
}
