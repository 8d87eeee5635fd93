using System.Diagnostics;
using Datapath.Engine.Host;
using Datapath.EndToEnd.Tests.Cli;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.EndToEnd.Tests;

/// <summary>
/// Linux as the judge of the host stack's neighbour resolution: in a private network namespace (unshare -n) a veth
/// end with 10.9.0.1/24 pings 10.9.0.99, which nobody answers; tcpdump on the peer end captures the kernel's ARP
/// requests, and `ip neigh` shows the entry. The host stack, given the same device, route and MAC, must send the same
/// frames at the same pace and come to the same state.
/// </summary>
public sealed class KernelNeighborJudgeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dp-kneigh-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Script = """
        set -e
        ip link add v0 type veth peer name v1
        ip link set lo up; ip link set v0 up; ip link set v1 up
        ip addr add 10.9.0.1/24 dev v0
        ip -br link show v0 > "$2"
        tcpdump -i v1 -w "$1" -U --immediate-mode arp 2>/dev/null &
        T=$!
        sleep 0.5
        ping -c 1 -W 5 10.9.0.99 >> "$2" 2>&1 || true
        sleep 0.3
        ip neigh show 10.9.0.99 dev v0 >> "$2"
        kill -INT $T; wait $T || true
        """;

    [RootFact]
    public void The_kernels_requests_for_an_absent_neighbour_are_the_host_stacks()
    {
        ExternalTools.Require("tcpdump", "tcpdump");
        ExternalTools.Require("ping", "iputils-ping");
        string pcap = Path.Combine(_dir, "kernel.pcap"), log = Path.Combine(_dir, "kernel.txt"), script = Path.Combine(_dir, "judge.sh");
        File.WriteAllText(script, Script);
        var psi = new ProcessStartInfo("unshare", ["-n", "sh", script, pcap, log]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using (var p = Process.Start(psi)!)
        {
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"the judge's namespace failed: {err}");
        }
        string[] lines = File.ReadAllLines(log);
        // `v0@v1  UP  b2:60:86:35:81:af <BROADCAST,...>`: the MAC the kernel gave the device.
        var mac = MacAddress.Parse(lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]);
        Assert.Contains(lines, l => l.Contains("From 10.9.0.1 icmp_seq=1 Destination Host Unreachable", StringComparison.Ordinal));
        Assert.Equal("10.9.0.99 FAILED", lines[^1].Trim());
        var kernel = new List<(byte[] Frame, long Ns)>();
        using (var r = PacketFileReader.Open(pcap))
        {
            while (r.TryReadNext(out var f))
                kernel.Add((f.Span.ToArray(), (long)f.TimestampNanoseconds));
        }
        Assert.Equal(3, kernel.Count); // mcast_solicit 3

        // The host stack: the same device and route; its own ping (ip_local_out) to 10.9.0.99 at 0 s.
        using var host = new HostStack("judge", [new HostInterface("v0", mac, Ipv4Address.Parse("10.9.0.1"), 24)],
            [RouteParser.Parse("10.9.0.0/24 dev v0 proto kernel scope link src 10.9.0.1", "routes", 1)], []);
        var sink = new Capture();
        var ping = PacketBuilder.IcmpEcho(MacAddress.Zero, MacAddress.Zero, Ipv4Address.Parse("0.0.0.0"), Ipv4Address.Parse("10.9.0.99"), reply: false, id: 1, seq: 1);
        Assert.True(host.SendLocal(ping, sink, 0).Queued);
        for (long t = 100; t <= 4000; t += 100)
        {
            sink.Now = t;
            host.RunTimers(sink, t);
        }
        Assert.Equal(kernel.Select(k => k.Frame), sink.Frames.Select(f => f.Frame));
        // The pace: requests a retrans_time apart, as the kernel's (its timers run late by a few jiffies).
        for (int i = 1; i < 3; i++)
        {
            long kernelGap = (kernel[i].Ns - kernel[i - 1].Ns) / 1_000_000;
            long ourGap = sink.Frames[i].At - sink.Frames[i - 1].At;
            Assert.Equal(1000, ourGap);
            Assert.InRange(kernelGap, 1000, 1200);
        }
        Assert.True(host.Neighbors.TryGetEntry("v0", Ipv4Address.Parse("10.9.0.99"), out var entry));
        Assert.Equal("10.9.0.99 dev v0 FAILED", entry.IpNeigh);
        // ping's "Destination Host Unreachable": the host's own ICMP error, delivered to it.
        Assert.Equal(1, host.IcmpErrors);
        Assert.Equal(1, host.GetDrops(Engine.DropReason.NoNeighbor));
    }

    private sealed class Capture : IHostSink
    {
        public long Now { get; set; }

        public List<(byte[] Frame, long At)> Frames { get; } = [];

        public void Transmit(HostStack host, HostInterface device, ReadOnlySpan<byte> frame) => Frames.Add((frame.ToArray(), Now));
    }
}
