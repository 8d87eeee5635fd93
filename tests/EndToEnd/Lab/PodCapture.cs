using System.Diagnostics;
using System.Globalization;

namespace Datapath.EndToEnd.Tests.Lab;

/// <summary>
/// A live capture on a pod's eth0 (the TAP its node's datapath serves, moved into the pod's namespace): tcpdump
/// in the namespace writes every frame both ways to a pcap until <see cref="Stop"/>. What the pod's kernel sends
/// carries full checksums (a TAP has no checksum offload), what arrives is what our datapath wrote.
/// </summary>
internal sealed class PodCapture : IDisposable
{
    private readonly Process _tcpdump;
    private readonly Task<string> _stderr;

    private PodCapture(Process tcpdump, string path, Task<string> stderr)
    {
        _tcpdump = tcpdump;
        Path = path;
        _stderr = stderr;
    }

    /// <summary>The pcap tcpdump writes.</summary>
    public string Path { get; }

    /// <summary>Starts tcpdump on eth0 of namespace <paramref name="ns"/> writing <paramref name="path"/>; returns once it listens.</summary>
    public static PodCapture Start(string ns, string path)
    {
        string tcpdump = ExternalTools.Require("tcpdump", "tcpdump");
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", ns, tcpdump, "-i", "eth0", "-U", "-n", "-w", path })
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        // tcpdump says "listening on eth0" on stderr once its socket is bound; what follows is read at the end.
        var sw = Stopwatch.StartNew();
        string? line;
        while ((line = process.StandardError.ReadLine()) is not null && !line.Contains("listening on", StringComparison.Ordinal))
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(10))
                break;
        }
        Assert.True(line is not null, $"tcpdump in {ns} did not start");
        return new PodCapture(process, path, process.StandardError.ReadToEndAsync());
    }

    /// <summary>Stops tcpdump (SIGINT, so it flushes the file) and waits for it.</summary>
    public void Stop()
    {
        if (_tcpdump.HasExited)
            return;
        LabEnvironment.Run("kill", "-INT", _tcpdump.Id.ToString(CultureInfo.InvariantCulture));
        if (!_tcpdump.WaitForExit(TimeSpan.FromSeconds(10)))
            _tcpdump.Kill();
        _tcpdump.WaitForExit();
        _ = _stderr.Result;
    }

    public void Dispose()
    {
        Stop();
        _tcpdump.Dispose();
    }
}
