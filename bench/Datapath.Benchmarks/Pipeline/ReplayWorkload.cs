using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.Benchmarks.Pipeline;

/// <summary>
/// Writes the captures `scripts/bench-replay.sh` replays end to end (bench/README.md, "replay"):
/// TCP data frames of 118 bytes round-robin over a number of connections, each connection opened by
/// its SYN first. <c>gw0</c>: what worker1's antrea-gw0 sends after kube-proxy's DNAT (the articles'
/// phase 2: 10.222.1.48 → backend2 10.222.2.34:80, to the global virtual MAC) — the bridge sends it
/// out of the tunnel. <c>service</c>: what the frontend pod sends to backendsvc (10.104.65.133:80) —
/// the bridge sends it to antrea-gw0, the host DNATs it to backend2, and it comes back into the bridge
/// and out of the tunnel.
/// Run: <c>dotnet run -c Release --project bench/Datapath.Benchmarks -- --write-replay-workload gw0|service FRAMES CONNECTIONS FILE</c>.
/// </summary>
public static class ReplayWorkload
{
    public static void Write(string kind, int frames, int connections, string path)
    {
        var frontend = Ipv4Address.Parse("10.222.1.48");
        var (src, dst, dip) = kind switch
        {
            "gw0" => (MacAddress.Parse("4e:99:08:c1:53:be"), MacAddress.Parse("aa:bb:cc:dd:ee:ff"), Ipv4Address.Parse("10.222.2.34")),
            "service" => (MacAddress.Parse("be:2c:bf:e4:ec:c5"), MacAddress.Parse("4e:99:08:c1:53:be"), Ipv4Address.Parse("10.104.65.133")),
            _ => throw new ArgumentException($"workload '{kind}': gw0 or service", nameof(kind)),
        };
        byte ttl = kind == "gw0" ? (byte)63 : (byte)64;
        byte[] payload = new byte[64];
        using var writer = PcapWriter.Create(path);
        long t = 1_700_000_000_000_000_000;
        for (int i = 0; i < frames; i++)
        {
            int c = i % connections;
            ushort sport = (ushort)(20000 + c);
            bool syn = i < connections;
            uint seq = 1000 + (uint)(i / connections) * 64;
            var frame = syn
                ? PacketBuilder.Tcp(src, dst, frontend, dip, sport, 80, TcpFlags.Syn, seq: 999, payload: payload, ttl: ttl)
                : PacketBuilder.Tcp(src, dst, frontend, dip, sport, 80, TcpFlags.Psh | TcpFlags.Ack, seq: seq, ack: 1, payload: payload, ttl: ttl);
            writer.WriteFrame(frame, t + i * 1000L);
        }
    }
}
