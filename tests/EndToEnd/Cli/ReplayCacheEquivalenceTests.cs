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
        AssertSameReplay(uncached, "uncached", cached, "cached");
        Assert.Equal(uncached.Text, cached.Text);
    }

    [Fact]
    public void Replays_on_one_and_on_four_workers_write_identical_pcaps_and_stats()
    {
        // Long stretches of established connections (ARP, pings and DNS only every few hundred frames), so that
        // most frames run in parallel runs; the rest run alone between them.
        string input = Path.Combine(_dir, "in.pcapng");
        WriteTraffic(input, seed: 11, frames: 6000, rareEvery: 300);

        var one = Replay(input, "one", "--workers", "1");
        var four = Replay(input, "four", "--workers", "4");

        var workers = four.Doc.GetProperty("workers");
        Assert.Equal(4, workers.GetProperty("threads").GetInt32());
        Assert.True(workers.GetProperty("parallel_frames").GetInt64() > 3000, $"hardly any frame ran in parallel: the test proves nothing ({workers.GetRawText()})");
        Assert.True(workers.GetProperty("serial_frames").GetInt64() > 0, "no frame ran alone: ARP and new connections must");
        Assert.Equal(0, workers.GetProperty("order_hazards").GetInt64());
        Assert.Equal(0, one.Doc.GetProperty("workers").GetProperty("parallel_frames").GetInt64());
        AssertSameReplay(one, "one", four, "four");
    }

    [Fact]
    public void Replays_with_every_batch_prepared_ahead_write_identical_pcaps_and_stats()
    {
        // --prefetch-connections 0: every 32 frames are prepared (keys, first lookups, conntrack prefetch) before
        // they run, on one worker and on four; --prefetch-connections above any table: never.
        string input = Path.Combine(_dir, "in.pcapng");
        WriteTraffic(input, seed: 13, frames: 5000, rareEvery: 200);

        var never = Replay(input, "never", "--prefetch-connections", "1000000000");
        var always = Replay(input, "always", "--prefetch-connections", "0");
        var fourAlways = Replay(input, "four", "--prefetch-connections", "0", "--workers", "4");

        Assert.True(fourAlways.Doc.GetProperty("workers").GetProperty("parallel_frames").GetInt64() > 2000, "hardly any frame ran in parallel");
        Assert.Equal(0, never.Doc.GetProperty("flow_cache").GetProperty("prepared_frames").GetInt64());
        Assert.True(always.Doc.GetProperty("flow_cache").GetProperty("prepared_frames").GetInt64() > 4000, "hardly any frame was prepared: the test proves nothing");
        Assert.True(fourAlways.Doc.GetProperty("flow_cache").GetProperty("prepared_frames").GetInt64() > 4000, "the workers prepared hardly any frame");
        AssertSameReplay(never, "never", always, "always");
        Assert.Equal(never.Text, always.Text);
        AssertSameReplay(never, "never", fourAlways, "four");
    }

    private void AssertSameReplay((JsonElement Doc, string Text) a, string aDir, (JsonElement Doc, string Text) b, string bDir)
    {
        foreach (var key in new[] { "frames_in", "outputs", "drops", "tunnel_transits", "balanced" })
            Assert.Equal(a.Doc.GetProperty(key).GetRawText(), b.Doc.GetProperty(key).GetRawText());
        var files = Directory.GetFiles(Path.Combine(_dir, aDir), "*.pcap", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Path.Combine(_dir, aDir), f)).Order().ToList();
        Assert.Equal(files, Directory.GetFiles(Path.Combine(_dir, bDir), "*.pcap", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Path.Combine(_dir, bDir), f)).Order().ToList());
        Assert.Contains(Path.Combine("worker2", "backend2-202ff6.pcap"), files);
        foreach (var f in files)
            Assert.True(File.ReadAllBytes(Path.Combine(_dir, aDir, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_dir, bDir, f))), $"{f} differs");
        Assert.Equal(SortedConntrack(a.Text), SortedConntrack(b.Text));
    }

    /// <summary>The text report with the conntrack dump's lines sorted (the table's order depends on insertion order).</summary>
    private static string SortedConntrack(string text)
        => string.Join('\n', text.Split('\n').Where(l => !l.StartsWith("workers:", StringComparison.Ordinal)).Order(StringComparer.Ordinal));

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

    /// <param name="rareEvery">When above 1: ARP, pings, DNS and pod-to-pod frames (frames that run alone) only once in this many frames, SYNs and FINs a third as rarely.</param>
    private static void WriteTraffic(string path, int seed, int frames, int rareEvery = 1)
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
            // SYNs run alone too, and FINs close connections the host then picks up again as new (kube-proxy's
            // statistic draws for it: an order hazard): each one in about a hundred TCP frames.
            if ((flags & (TcpFlags.Syn | TcpFlags.Fin)) != 0 && rareEvery > 1 && r.Next(rareEvery / 3) != 0)
                flags = TcpFlags.Psh | TcpFlags.Ack;
            byte[] payload = new byte[r.Next(3) * 30];
            r.NextBytes(payload);
            long t = 1_000_000_000L + i * 1_000_000L;
            int kind = r.Next(10);
            // Rare too: frontend -> backend2 directly (3), which the host behind antrea-gw0 never tracks, so it
            // runs alone while the host tracks other connections.
            while ((kind >= 7 || kind == 3) && rareEvery > 1 && r.Next(rareEvery) != 0)
                kind = r.Next(7);
            switch (kind)
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
