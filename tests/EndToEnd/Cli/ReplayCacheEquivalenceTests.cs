using System.Text.Json;
using System.Text.RegularExpressions;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>
/// `datapath replay --cluster` of random seed-lab traffic with the flow cache and with --no-cache: the
/// frontend's connections to backendsvc through antrea-gw0 and kube-proxy's DNAT to both backends,
/// backend2's replies over GENEVE, the gateway's DNATed SYNs, ARP, pings to both gateways, DNS over UDP,
/// a fragment, spoofed and truncated frames. Every port's pcap must be byte-identical, and the summary,
/// the conntrack tables and dump-flows' statistics equal.
/// </summary>
public sealed partial class ReplayCacheEquivalenceTests : IDisposable
{
    private static readonly MacAddress FrontendMac = MacAddress.Parse("be:2c:bf:e4:ec:c5");
    private static readonly MacAddress Gw1Mac = MacAddress.Parse("4e:99:08:c1:53:be");
    private static readonly MacAddress Gw2Mac = MacAddress.Parse("02:d8:4e:3f:92:1d");
    private static readonly MacAddress Backend2Mac = MacAddress.Parse("c6:f4:b5:76:10:38");
    private static readonly MacAddress VirtualMac = MacAddress.Parse("aa:bb:cc:dd:ee:ff");
    private static readonly Ipv4Address Frontend = Ipv4Address.Parse("10.222.1.48");
    private static readonly Ipv4Address Backend2 = Ipv4Address.Parse("10.222.2.34");
    private static readonly Ipv4Address Service = Ipv4Address.Parse("10.104.65.133");
    private readonly string _dir = Directory.CreateTempSubdirectory("dp-cache-eq-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Replays_with_and_without_the_flow_cache_write_identical_pcaps_and_stats()
    {
        string input = Path.Combine(_dir, "in.pcapng");
        WriteTraffic(input, seed: 5, frames: 4000);

        var cached = Replay(input, "cached");
        var uncached = Replay(input, "uncached", "--no-cache");

        Assert.True(cached.Doc.GetProperty("flow_cache").GetProperty("hits").GetInt64() > 4000, "the cache was hardly used: the test proves nothing");
        Assert.Equal(0, uncached.Doc.GetProperty("flow_cache").GetProperty("hits").GetInt64());
        foreach (var key in new[] { "frames_in", "outputs", "drops", "tunnel_transits", "balanced" })
            Assert.Equal(uncached.Doc.GetProperty(key).GetRawText(), cached.Doc.GetProperty(key).GetRawText());
        var files = Directory.GetFiles(Path.Combine(_dir, "uncached"), "*.pcap", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Path.Combine(_dir, "uncached"), f)).Order().ToList();
        Assert.Equal(files, Directory.GetFiles(Path.Combine(_dir, "cached"), "*.pcap", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Path.Combine(_dir, "cached"), f)).Order().ToList());
        Assert.Contains(Path.Combine("worker2", "backend2-202ff6.pcap"), files);
        foreach (var f in files)
            Assert.True(File.ReadAllBytes(Path.Combine(_dir, "uncached", f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_dir, "cached", f))), $"{f} differs");
        Assert.Equal(uncached.Text, cached.Text);
    }

    private (JsonElement Doc, string Text) Replay(string input, string outDir, params string[] extra)
    {
        var (code, json, err) = CliRunner.Run(["replay", "--cluster", input, "--out", Path.Combine(_dir, outDir), "--json", .. extra]);
        Assert.True(code == 0, err);
        var (code2, text, err2) = CliRunner.Run(["replay", "--cluster", input, "--out", Path.Combine(_dir, outDir + "-text"), "--dump-flows", "--dump-conntrack", .. extra]);
        Assert.True(code2 == 0, err2);
        // Wall-clock parts: the replay's duration line and dump-flows' duration=.
        text = Duration().Replace(text, "");
        text = string.Join('\n', text.Split('\n').Where(l => !l.Contains("frames/s", StringComparison.Ordinal) && !l.StartsWith("flow cache:", StringComparison.Ordinal) && !l.StartsWith("pcaps written to", StringComparison.Ordinal)));
        return (JsonDocument.Parse(json).RootElement.Clone(), text);
    }

    [GeneratedRegex(@"duration=[0-9.]+s, ")]
    private static partial Regex Duration();

    private static void WriteTraffic(string path, int seed, int frames)
    {
        var r = new Random(seed);
        using var w = PcapngWriter.Create(path);
        int frontend = w.AddInterface("worker1/frontend-a3ba2f");
        int gw1 = w.AddInterface("worker1/antrea-gw0");
        int backend2 = w.AddInterface("worker2/backend2-202ff6");
        for (int i = 0; i < frames; i++)
        {
            ushort sport = (ushort)(30000 + r.Next(60));
            var flags = r.Next(4) switch { 0 => TcpFlags.Syn, 1 => TcpFlags.Ack, 2 => TcpFlags.Psh | TcpFlags.Ack, _ => TcpFlags.Fin | TcpFlags.Ack };
            byte[] payload = new byte[r.Next(3) * 30];
            r.NextBytes(payload);
            long t = 1_000_000_000L + i * 1_000_000L;
            switch (r.Next(10))
            {
                case 0 or 1 or 2:
                    w.WriteFrame(frontend, PacketBuilder.Tcp(FrontendMac, Gw1Mac, Frontend, Service, sport, 80, flags, seq: (uint)r.Next(), payload: payload), t);
                    break;
                case 3:
                    w.WriteFrame(frontend, PacketBuilder.Tcp(FrontendMac, Gw1Mac, Frontend, Backend2, sport, 80, flags, seq: (uint)r.Next(), payload: payload), t);
                    break;
                case 4 or 5:
                    w.WriteFrame(backend2, PacketBuilder.Tcp(Backend2Mac, Gw2Mac, Backend2, Frontend, 80, sport, flags | TcpFlags.Ack, seq: (uint)r.Next(), payload: payload), t);
                    break;
                case 6:
                    w.WriteFrame(gw1, PacketBuilder.Tcp(Gw1Mac, VirtualMac, Frontend, Backend2, sport, 80, flags, ttl: 63, payload: payload), t);
                    break;
                case 7:
                    w.WriteFrame(frontend, PacketBuilder.Arp(1, FrontendMac, Frontend, MacAddress.Zero, Ipv4Address.Parse(r.Next(2) == 0 ? "10.222.1.1" : "10.222.1.47"), FrontendMac, MacAddress.Broadcast), t);
                    break;
                case 8:
                    w.WriteFrame(frontend, PacketBuilder.IcmpEcho(FrontendMac, Gw1Mac, Frontend, Ipv4Address.Parse(r.Next(2) == 0 ? "10.222.1.1" : "10.222.2.1"), reply: false, 7, (ushort)i, payload), t);
                    break;
                default:
                    {
                        var f = PacketBuilder.Udp(FrontendMac, Gw1Mac, r.Next(4) == 0 ? Ipv4Address.Parse("10.222.1.99") : Frontend, Ipv4Address.Parse("10.96.0.10"), sport, 53, payload);
                        w.WriteFrame(frontend, r.Next(5) == 0 ? f[..r.Next(14, f.Length)] : f, t);
                        break;
                    }
            }
        }
    }
}
