using System.Globalization;
using Datapath.Classifier;
using Datapath.Engine;
using Datapath.Packets;

namespace Datapath.Antrea.Tests;

// Open vSwitch 3.1 (headless, dummy datapath) judges learn and meters by running them: the same flows and meters
// load into both switches, the same frames enter (OVS: ovs-appctl netdev-dummy/receive, which, unlike
// ofproto/trace, executes learn), and OVS's dump-flows of the learned tables, dump-meters and meter-stats must
// equal ours. OVS's clock is stopped and warped (time/stop, time/warp) so its meters see the frames' times.
public sealed class LearnAndMetersJudgedByOvsTests
{
    private static readonly MacAddress Mac1 = MacAddress.Parse("02:00:00:00:00:01"), Mac2 = MacAddress.Parse("02:00:00:00:00:02");
    private static readonly (uint, string)[] s_ports = [(1u, "p1"), (2u, "p2"), (3u, "p3")];
    private static readonly KeyValuePair<byte, string>[] s_tables = [new(41, "SessionAffinity"), new(42, "ServiceLB")];

    // Antrea 2.x's session affinity learn (docs/design/ovs-pipeline.md, ServiceLB flow 7) with the endpoint loaded
    // by the flow before it, a MAC-learning learn with idle and fin timeouts, and a subfield/immediate mix.
    private const string Flows = """
        priority=300,tcp,nw_dst=10.96.76.15,tp_dst=80 actions=set_field:0xa0a0005->reg3,set_field:0x30050/0x7ffff->reg4,resubmit(,ServiceLB),output:2
        table=ServiceLB, priority=190,tcp,reg4=0x30000/0x70000,nw_dst=10.96.76.15,tp_dst=80 actions=learn(table=SessionAffinity,hard_timeout=300,priority=200,delete_learned,cookie=0x203000000000a,eth_type=0x800,nw_proto=6,NXM_OF_TCP_DST[],NXM_OF_IP_DST[],NXM_OF_IP_SRC[],load:NXM_NX_REG4[0..15]->NXM_NX_REG4[0..15],load:NXM_NX_REG4[26]->NXM_NX_REG4[26],load:NXM_NX_REG3[]->NXM_NX_REG3[],load:0x2->NXM_NX_REG4[16..18],load:0x1->NXM_NX_REG0[9])
        priority=100,udp actions=learn(table=10,idle_timeout=60,fin_idle_timeout=5,fin_hard_timeout=10,priority=5,cookie=0x99,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],NXM_NX_REG1[0..7]=0x2a,eth_type=0x800,NXM_OF_IP_DST[0..15]=NXM_OF_IP_SRC[16..31],nw_proto=17,NXM_OF_UDP_SRC[]=NXM_OF_UDP_DST[],output:NXM_OF_IN_PORT[],load:0xab->NXM_NX_REG2[8..15]),output:3
        """;

    private static byte[] Tcp(string src, ushort sport) => PacketBuilder.Tcp(Mac1, Mac2, Ipv4Address.Parse(src), Ipv4Address.Parse("10.96.76.15"), sport, 80, TcpFlags.Syn);

    private static byte[] Udp(string src, ushort dport) => PacketBuilder.Udp(Mac1, Mac2, Ipv4Address.Parse(src), Ipv4Address.Parse("10.0.0.9"), 5353, dport, new byte[18]);

    private static Bridge OurBridge()
    {
        var br = new Bridge { TableNames = new TableNameMap(s_tables) };
        foreach (var (p, name) in s_ports)
            br.AddPort(p, name, MacAddress.Parse($"02:00:00:00:01:0{p}"), PortKind.Pod);
        return br;
    }

    private static OvsSwitchJudge StartOvs() => OvsSwitchJudge.TryStart("br0", s_ports, s_tables, out string? why) ?? throw new InvalidOperationException(why);

    private static void Receive(OvsSwitchJudge ovs, string port, byte[] frame) => ovs.Appctl("netdev-dummy/receive", port, Convert.ToHexString(frame).ToLowerInvariant());

    private static string[] OvsDump(OvsSwitchJudge ovs, string table)
        => [.. ovs.Ofctl("--no-names", "--no-stats", "dump-flows", ovs.Bridge, "table=" + table).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).Where(l => !l.StartsWith("NXST_FLOW", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    [JudgedFact(nameof(OvsSwitchJudge))]
    public void The_flows_ovs_learns_from_the_same_packets_are_ours()
    {
        using var ovs = StartOvs();
        foreach (var line in Flows.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            ovs.Ofctl("-O", "OpenFlow15", "--names", "add-flow", ovs.Bridge, line.Trim());
        var br = OurBridge();
        using (var r = new StringReader(Flows))
            br.LoadFlows(r, "judged.flows");
        using var node = new Node("n", br, Ipv4Address.Parse("192.0.2.1"), Mac1);
        var frames = new List<byte[]> { Tcp("10.10.0.1", 40000), Tcp("10.10.0.2", 40001), Tcp("10.10.0.1", 40002), Udp("10.1.2.3", 53), Udp("192.168.7.1", 8080) };
        foreach (var f in frames)
        {
            Receive(ovs, "p1", f);
            node.Process(1, f, null, 0);
        }
        foreach (var (table, number) in new[] { ("41", (byte)41), ("10", (byte)10) })
        {
            string[] ours = [.. br.DumpFlows(withStats: false, table: number, names: NamesShown.None).Order(StringComparer.Ordinal)];
            Assert.Equal(2, ours.Length);
            Assert.Equal(OvsDump(ovs, table), ours);
        }
        // delete_learned: deleting the learning flow takes its learned flows in both switches.
        ovs.Ofctl("--names", "del-flows", ovs.Bridge, "table=ServiceLB,tcp,reg4=0x30000/0x70000,nw_dst=10.96.76.15,tp_dst=80");
        br.Tables.Apply(FlowMod.FromParsed(FlowParser.ParseFilter("table=ServiceLB,tcp,reg4=0x30000/0x70000,nw_dst=10.96.76.15,tp_dst=80", br.InputNames), FlowModCommand.Delete));
        Assert.Empty(OvsDump(ovs, "41"));
        Assert.Empty(br.DumpFlows(withStats: false, table: 41));
    }

    private const string Meters = """
        meter=256,pktps,burst,stats,bands=type=drop,rate=100,burst_size=200
        meter=257,pktps,bands=type=drop,rate=5
        meter=1,kbps,burst,stats,bands=type=drop,rate=1000,burst_size=50,type=drop,rate=2000,burst_size=80
        """;

    [JudgedFact(nameof(OvsSwitchJudge))]
    public void Dump_meters_prints_as_ovs_prints_it()
    {
        using var ovs = StartOvs();
        var br = OurBridge();
        foreach (var line in Meters.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            ovs.Ofctl("-O", "OpenFlow13", "add-meter", ovs.Bridge, line.Trim());
            br.AddMeter(line.Trim());
        }
        // OVS's order is its hash map's; ours the ids'. Compare meter by meter.
        foreach (uint id in new uint[] { 1, 256, 257 })
        {
            string theirs = ovs.Ofctl("-O", "OpenFlow13", "dump-meters", ovs.Bridge, $"meter={id}");
            Assert.Equal(string.Join('\n', theirs.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)), string.Join('\n', br.DumpMeters(id)));
        }
        ovs.Ofctl("-O", "OpenFlow13", "mod-meter", ovs.Bridge, "meter=257,kbps,bands=type=drop,rate=7");
        br.ModifyMeter("meter=257,kbps,bands=type=drop,rate=7");
        Assert.Equal(string.Join('\n', ovs.Ofctl("-O", "OpenFlow13", "dump-meters", ovs.Bridge, "meter=257").Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)), string.Join('\n', br.DumpMeters(257)));
    }

    /// <summary>
    /// A pktps meter of 10 packets/s with a burst of 5 and a kbps meter of 64 kbit/s with a burst of 8 kbit, offered
    /// bursts of frames at set times: OVS 3.1's band counts (meter-stats) after each burst are ours.
    /// </summary>
    [JudgedFact(nameof(OvsSwitchJudge))]
    public void Meter_bands_drop_what_ovs_drops()
    {
        using var ovs = StartOvs();
        var br = OurBridge();
        const string meters = """
            meter=1,pktps,burst,stats,bands=type=drop,rate=10,burst_size=5
            meter=2,kbps,burst,stats,bands=type=drop,rate=64,burst_size=8
            """;
        const string flows = """
            priority=10,udp,tp_dst=1 actions=meter:1,output:2
            priority=10,udp,tp_dst=2 actions=meter:2,output:3
            """;
        ovs.Appctl("time/stop");
        foreach (var line in meters.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            ovs.Ofctl("-O", "OpenFlow13", "add-meter", ovs.Bridge, line.Trim());
            br.AddMeter(line.Trim());
        }
        foreach (var line in flows.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            ovs.Ofctl("-O", "OpenFlow13", "add-flow", ovs.Bridge, line.Trim());
        using (var r = new StringReader(flows))
            br.LoadFlows(r, "meters.flows");
        using var node = new Node("n", br, Ipv4Address.Parse("192.0.2.1"), Mac1);
        long now = 10_000;
        // (ms to warp before the burst, frames to udp port 1, frames to udp port 2 of 200 bytes)
        var bursts = new (int Warp, int Pkt, int Kb)[] { (0, 8, 8), (100, 4, 2), (350, 6, 6), (2000, 12, 12) };
        var payload = new byte[158]; // 200-byte frames: 1600 bits each
        foreach (var (warp, pkt, kb) in bursts)
        {
            if (warp > 0)
                ovs.Appctl("time/warp", warp.ToString(CultureInfo.InvariantCulture));
            now += warp;
            for (int i = 0; i < pkt; i++)
            {
                var f = PacketBuilder.Udp(Mac1, Mac2, Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), 1000, 1, payload);
                Receive(ovs, "p1", f);
                node.Process(1, f, null, now);
            }
            for (int i = 0; i < kb; i++)
            {
                var f = PacketBuilder.Udp(Mac1, Mac2, Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), 1000, 2, payload);
                Receive(ovs, "p1", f);
                node.Process(1, f, null, now);
            }
            foreach (uint id in new uint[] { 1, 2 })
            {
                string theirs = ovs.Ofctl("-O", "OpenFlow13", "meter-stats", ovs.Bridge, $"meter={id}");
                string ourBands = string.Join('\n', br.DumpMeterStats(id).Skip(1));
                string theirBands = string.Join('\n', theirs.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(2));
                Assert.True(theirBands == ourBands, $"after the burst at +{warp} ms, meter {id}: OVS {theirBands}, ours {ourBands}");
            }
        }
        Assert.True(br.Drops.Get(DropReason.Meter) > 0, "no frame was over a rate: the test proves nothing");
    }
}
