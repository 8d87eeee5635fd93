using System.Text.RegularExpressions;
using Datapath.Classifier;
using Datapath.Engine;
using Datapath.Packets;

namespace Datapath.Antrea.Tests;

/// <summary>
/// <c>show</c>, <c>dump-tables</c> and <c>dump-group-stats</c> print what ovs-ofctl prints against Open vSwitch 3.1
/// holding the same bridge: the seed's worker1 with its ports, MACs, flows and Antrea's table names, and a select
/// group that has run frames.
/// </summary>
public sealed partial class OfctlRepliesTests
{
    private static readonly AntreaScenario s_seed = AntreaScenario.LoadEmbedded();

    private static OvsSwitchJudge SeedJudge(Bridge seed)
    {
        var ovs = OvsSwitchJudge.TryStart("br-int", seed.Ports.Select(p => (p.OfPort, p.Name)), seed.TableNames!.Entries.Select(e => new KeyValuePair<byte, string>(e.Table, e.Name)), out string? why)
            ?? throw new InvalidOperationException(why);
        string file = Path.GetTempFileName();
        File.WriteAllLines(file, seed.DumpFlows(withStats: false, names: NamesShown.PortsAndTables));
        ovs.Ofctl("add-tlv-map", ovs.Bridge, AntreaFields.TlvMap);
        ovs.Ofctl("del-flows", ovs.Bridge);
        ovs.Ofctl("-O", "OpenFlow15", "--names", "add-flows", ovs.Bridge, file);
        File.Delete(file);
        return ovs;
    }

    private static string[] Reply(string text) => [.. text.TrimEnd('\n').Split('\n').Skip(1)];

    [JudgedFact(nameof(OvsSwitchJudge))]
    public void Dump_tables_of_the_seed_bridge_is_what_ovs_3_1_prints()
    {
        Bridge seed = s_seed.GetNode("worker1").Bridge;
        using var ovs = SeedJudge(seed);
        Assert.Equal(Reply(ovs.Ofctl("dump-tables", ovs.Bridge)), OfctlReplies.DumpTables(seed).ToArray());
    }

    [JudgedFact(nameof(OvsSwitchJudge))]
    public void Show_of_the_seed_bridge_is_what_ovs_3_1_prints_for_the_same_ports_and_macs()
    {
        Bridge seed = s_seed.GetNode("worker1").Bridge;
        using var ovs = SeedJudge(seed);
        var local = OfctlReplies.DefaultLocalMac("worker1", seed.Name);
        // Internal ports take the MAC they are given (dummy ones pick their own); the bridge takes ours.
        foreach (var p in seed.Ports)
            ovs.SetInterface(p.Name, "type=internal", $"mac=\"{p.Mac}\"");
        ovs.SetBridge($"other_config:hwaddr=\"{local}\"");
        string[] theirs = [];
        for (int i = 0; i < 50 && !theirs.Contains($"OFPT_FEATURES_REPLY (xid=0x2): dpid:0000{local.Value:x12}"); i++, Thread.Sleep(100))
            theirs = ovs.Ofctl("show", ovs.Bridge).TrimEnd('\n').Split('\n');
        Assert.Equal(theirs, OfctlReplies.Show(seed, local).ToArray());
    }

    [JudgedFact(nameof(OvsSwitchJudge))]
    public void Dump_group_stats_after_frames_is_what_ovs_3_1_counts()
    {
        (uint, string)[] ports = [(1, "p1"), (2, "p2"), (3, "p3")];
        string[] groups =
        [
            "group_id=1,type=select,bucket=output:2,bucket=output:3",
            "group_id=2,type=all,bucket=output:2,bucket=output:3",
            "group_id=3,type=ff,bucket=watch_port:7,actions=output:2,bucket=watch_port:3,actions=output:3",
        ];
        string[] flows = ["in_port=1,tcp,actions=group:1", "in_port=1,udp,actions=group:2", "in_port=1,icmp,actions=group:3", "in_port=1,udp,tp_dst=7,actions=group:2,group:1"];
        using var ovs = OvsSwitchJudge.TryStart("br0", ports, [], out string? why) ?? throw new InvalidOperationException(why);
        ovs.Ofctl("del-flows", ovs.Bridge);
        foreach (var g in groups)
            ovs.Ofctl("-O", "OpenFlow15", "add-group", ovs.Bridge, g);
        foreach (var f in flows)
            ovs.Ofctl("add-flow", ovs.Bridge, f);

        var bridge = new Bridge("br0");
        foreach (var (ofport, name) in ports)
            bridge.AddPort(ofport, name, MacAddress.Parse($"02:00:00:00:01:0{ofport}"), PortKind.Pod);
        foreach (var g in groups)
            bridge.AddGroup(g);
        using (var r = new StringReader(string.Join('\n', flows)))
            bridge.LoadFlows(r, "test.flows");
        using var node = new Node("n", bridge, Ipv4Address.Parse("192.0.2.1"), MacAddress.Parse("02:00:00:00:00:fe"));

        var a = MacAddress.Parse("02:00:00:00:00:01");
        var b = MacAddress.Parse("02:00:00:00:00:fe");
        var frames = new List<byte[]>();
        for (int i = 0; i < 30; i++)
        {
            var src = new Ipv4Address(0x0ade0102u + (uint)i);
            var dst = Ipv4Address.Parse("10.96.0.10");
            frames.Add(PacketBuilder.Tcp(a, b, src, dst, (ushort)(40000 + i), 80, TcpFlags.Syn));
            if (i % 2 == 0)
                frames.Add(PacketBuilder.Udp(a, b, src, dst, (ushort)(40000 + i), (ushort)(i % 4 == 0 ? 7 : 53), [1, 2, 3]));
            if (i % 5 == 0)
                frames.Add(PacketBuilder.IcmpEcho(a, b, src, dst, false, (ushort)i, 1));
        }
        ovs.Appctl(["netdev-dummy/receive", "p1", .. frames.Select(f => Convert.ToHexString(f))]);
        foreach (var f in frames)
            node.Process(1, f, null, 0);
        ovs.Appctl("revalidator/purge"); // push the datapath flows' statistics to the rules and groups

        string[] theirs = [.. Reply(ovs.Ofctl("-O", "OpenFlow13", "dump-group-stats", ovs.Bridge)).Select(NoDuration).Order(StringComparer.Ordinal)];
        string[] ours = [.. OfctlReplies.DumpGroupStats(bridge).Select(l => NoDuration(Bridge.FlowDumpIndent + l))];
        Assert.Equal(theirs, ours);
        Assert.Contains(ours, l => l.Contains("packet_count=30", StringComparison.Ordinal));
    }

    // OVS's groups have lived a few hundred milliseconds; ours, in a bridge whose clock never ran, none.
    private static string NoDuration(string line) => DurationPattern().Replace(line, "duration=?");

    [GeneratedRegex(@"duration=[0-9.]+s")]
    private static partial Regex DurationPattern();
}
