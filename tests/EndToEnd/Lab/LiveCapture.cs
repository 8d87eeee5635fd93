using System.Diagnostics;
using System.Globalization;

namespace Datapath.EndToEnd.Tests.Lab;

/// <summary>
/// A live tcpdump capture in the lab, written to a pcap until <see cref="Stop"/>: on a pod's eth0 (the TAP its
/// node's datapath serves, moved into the pod's namespace), every frame both ways: what the pod's kernel sends
/// carries full checksums (a TAP has no checksum offload), what arrives is what our datapath wrote; or on the
/// loopback underlay, the GENEVE datagrams the workers exchange.
/// </summary>
internal sealed class LiveCapture : IDisposable
{
    private readonly Process _tcpdump;
    private readonly Task<string> _stderr;

    private LiveCapture(Process tcpdump, string path, Task<string> stderr)
    {
        _tcpdump = tcpdump;
        Path = path;
        _stderr = stderr;
    }

    /// <summary>The pcap tcpdump writes.</summary>
    public string Path { get; }

    /// <summary>Captures eth0 of namespace <paramref name="ns"/> to <paramref name="path"/>; returns once tcpdump listens.</summary>
    public static LiveCapture OnPod(string ns, string path)
        => Start("ip", ["netns", "exec", ns, ExternalTools.Require("tcpdump", "tcpdump"), "-i", "eth0", "--immediate-mode", "-U", "-n", "-w", path], path);

    /// <summary>Captures the GENEVE datagrams (UDP 6081) on the loopback underlay to <paramref name="path"/>.</summary>
    public static LiveCapture OnUnderlay(string path)
        => Start(ExternalTools.Require("tcpdump", "tcpdump"), ["-i", "lo", "--immediate-mode", "-U", "-n", "-w", path, "udp", "port", "6081"], path);

    private static LiveCapture Start(string file, string[] args, string path)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args)
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
        Assert.True(line is not null, $"tcpdump {string.Join(' ', args)} did not start");
        return new LiveCapture(process, path, process.StandardError.ReadToEndAsync());
    }

    /// <summary>
    /// Stops tcpdump (SIGINT, so it flushes the file) and waits for it. Both captures run with --immediate-mode:
    /// without it libpcap's TPACKET_V3 ring hands tcpdump a block only when it fills or its 1 s timeout retires it,
    /// and frames still in an unretired block when SIGINT comes never reach the file (the capture was empty
    /// whenever the curls finished within a second).
    /// </summary>
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
