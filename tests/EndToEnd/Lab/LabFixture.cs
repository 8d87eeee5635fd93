using System.Globalization;
using System.Text.Json;

namespace Datapath.EndToEnd.Tests.Lab;

/// <summary>
/// One seed lab for the whole test class: `datapath lab up` with a random prefix (namespaces
/// dtXXX-frontend...), a temporary directory and loopback underlay addresses of its own, so it
/// collides with nothing. Dispose removes everything it made even when tests failed: `lab down`,
/// then any namespace, TAP or process with its names that is still there. The workers run with
/// `--workers 2` (two queues per TAP, two receive threads each), so every lab test runs on them.
/// </summary>
public sealed class LabFixture : IDisposable
{
    public LabFixture()
    {
        string id = Random.Shared.Next(0x100, 0xfff).ToString("x3", CultureInfo.InvariantCulture);
        Prefix = $"dt{id}-";
        Dir = Path.Combine(Path.GetTempPath(), "dpt-lab-" + id);
        int octet = Random.Shared.Next(2, 250);
        Underlay = ($"127.{octet}.0.11", $"127.{octet}.0.12");
        if (LabEnvironment.SkipReason is not null)
            return;
        MetricsPort = FreePortPair();
        var (code, output, error) = LabEnvironment.Datapath("lab", "up", "--dir", Dir, "--prefix", Prefix, "--underlay", $"{Underlay.Item1},{Underlay.Item2}", "--workers", Workers.ToString(CultureInfo.InvariantCulture),
            "--metrics", $"127.0.0.1:{MetricsPort.ToString(CultureInfo.InvariantCulture)}");
        UpOutput = output + error;
        if (code != 0)
            Error = $"lab up failed ({code}):\n{output}\n{error}";
        else
            Pids = ReadPids();
    }

    /// <summary>worker1's metrics port (lab up --metrics 127.0.0.1:PORT); worker2's is the next.</summary>
    public int MetricsPort { get; }

    /// <summary>The metrics URL of worker1 or worker2.</summary>
    public string MetricsUrl(string node) => $"http://127.0.0.1:{(MetricsPort + (node == "worker2" ? 1 : 0)).ToString(CultureInfo.InvariantCulture)}/metrics";

    // Two consecutive loopback TCP ports free now (the kernel's pick for the first, checked for the second).
    private static int FreePortPair()
    {
        for (int attempt = 0; ; attempt++)
        {
            using var first = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            first.Start();
            int port = ((System.Net.IPEndPoint)first.LocalEndpoint).Port;
            if (port < 65535)
            {
                using var second = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port + 1);
                try
                {
                    second.Start();
                    return port;
                }
                catch (System.Net.Sockets.SocketException) when (attempt < 20)
                {
                }
            }
        }
    }

    /// <summary>Receive threads per port of each worker (lab up --workers).</summary>
    public const int Workers = 2;

    public string Prefix { get; }

    public string Dir { get; }

    public (string, string) Underlay { get; }

    /// <summary>Why lab up failed, or null.</summary>
    public string? Error { get; }

    public string UpOutput { get; } = "";

    /// <summary>Every pid lab up recorded (workers, HTTP servers), for the last-resort cleanup.</summary>
    public IReadOnlyList<int> Pids { get; } = [];

    public string Socket(string node) => Path.Combine(Dir, node + ".sock");

    public string Ns(string pod) => Prefix + pod;

    public int WorkerPid(string node)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "lab.state")));
        return doc.RootElement.GetProperty("workers").EnumerateArray().First(w => w.GetProperty("name").GetString() == node).GetProperty("pid").GetInt32();
    }

    private List<int> ReadPids()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "lab.state")));
        return [.. doc.RootElement.GetProperty("workers").EnumerateArray().Concat(doc.RootElement.GetProperty("servers").EnumerateArray()).Select(p => p.GetProperty("pid").GetInt32())];
    }

    /// <summary>The logs of the workers, for failure messages.</summary>
    public string Logs()
    {
        var parts = new List<string>();
        foreach (var f in new[] { "worker1.log", "worker2.log" })
        {
            string path = Path.Combine(Dir, f);
            if (File.Exists(path))
                parts.Add($"--- {f}\n{string.Join('\n', File.ReadAllLines(path).TakeLast(20))}");
        }
        return string.Join('\n', parts);
    }

    public void Dispose()
    {
        if (LabEnvironment.SkipReason is not null)
            return;
        LabEnvironment.TearDown(Dir, Pids, Prefix);
        foreach (var tap in new[] { "fe", "b1", "b2" })
            LabEnvironment.Run("ip", "link", "del", "dev", Prefix + "tap-" + tap);
        if (Directory.Exists(Dir))
            Directory.Delete(Dir, recursive: true);
    }
}
