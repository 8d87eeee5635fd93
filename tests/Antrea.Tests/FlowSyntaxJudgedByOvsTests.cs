using System.Buffers.Binary;
using Datapath.Classifier;
using Datapath.Engine;
using Datapath.Packets;

namespace Datapath.Antrea.Tests;

// Open vSwitch 3.1 (headless, dummy datapath) judges the flow syntax of issue 15.4 and the semantics of 15.5
// twice over. Printing: our dump of a flow is loaded into OVS (add-flow, as ovs-ofctl negotiates it with the
// switch) and OVS's own dump of it, in the OpenFlow version the case names, must be the very same text.
// Frames: the same flows load into both switches, the same frame enters port p1 (netdev-dummy/receive), and
// every port transmits the same bytes in OVS (its tx_pcap) as in our bridge.
public sealed class FlowSyntaxJudgedByOvsTests
{
    private static readonly MacAddress Client = MacAddress.Parse("02:00:00:00:00:01"), Server = MacAddress.Parse("02:00:00:00:00:02");
    internal static readonly (uint OfPort, string Name)[] s_ports = [(1u, "p1"), (2u, "p2"), (3u, "p3"), (4u, "p4")];

    /// <summary>
    /// A flow and the OpenFlow version of the dump it prints as: "nxm" for ovs-ofctl's default (OpenFlow 1.0 with
    /// NXM, which prints mod_vlan_vid, strip_vlan, load:), "of15" for OpenFlow 1.5 (Antrea's: set_field, pop_vlan,
    /// and the instructions OpenFlow 1.0 cannot carry: write_actions, clear_actions, push_vlan).
    /// </summary>
    public static TheoryData<string, string> Printed => new()
    {
        { "dl_vlan=5,actions=strip_vlan", "nxm" },
        { "dl_vlan=5,dl_vlan_pcp=3,actions=output:2", "nxm" },
        { "vlan_tci=0x2005/0xefff,actions=output:2", "nxm" },
        { "vlan_tci=0x0000/0x1fff,actions=mod_vlan_vid:7,mod_vlan_pcp:2,output:2", "nxm" },
        { "dl_vlan=5,actions=pop_vlan", "of15" },
        { "dl_vlan=5,actions=set_vlan_vid:9,set_vlan_pcp:1", "nxm" },
        { "icmp6,icmp_type=135,nd_target=fe80::1,actions=drop", "nxm" },
        { "icmp6,icmp_type=136,icmp_code=0,nd_tll=00:11:22:33:44:55,actions=drop", "nxm" },
        { "tcp6,ipv6_src=2001:db8::/32,ipv6_dst=fd00::1,tp_dst=443,actions=drop", "nxm" },
        { "reg0=0xab05/0xff0f,actions=drop", "nxm" },
        { "actions=write_actions(output:1)", "of15" },
        { "actions=controller(max_len=100,reason=no_match,id=5)", "nxm" },
        { "actions=controller(reason=invalid_ttl,userdata=01.02,pause,meter_id=3)", "nxm" },
        { "actions=controller,controller:128,controller(max_len=64)", "nxm" },
        { "ct_state=+trk-inv,ip,actions=resubmit(,1,ct)", "nxm" },
        { "ip,actions=dec_ttl(1,2),output(port=2,max_len=64)", "nxm" },
        { "actions=output(port=IN_PORT,max_len=14),output(port=LOCAL,max_len=100)", "nxm" },
        { "actions=push:NXM_NX_REG0[],push:NXM_NX_REG1[0..7],pop:NXM_NX_REG2[0..15],pop:NXM_OF_IN_PORT[]", "nxm" },
        { "actions=move:NXM_OF_IN_PORT[]->NXM_NX_REG0[0..15]", "nxm" },
        { "ip,actions=output:1,clear_actions,write_actions(set_field:0x1->reg0,output:2),write_metadata:0x1/0x1,goto_table:3", "of15" },
        { "actions=write_metadata:0x5", "nxm" },
        { "ip,actions=ct(commit,nat(src=10.0.0.1-10.0.0.9:1000-2000,persistent,hash))", "nxm" },
        { "ip,actions=ct(commit,nat(dst=10.0.0.1,persistent,random))", "nxm" },
        { "actions=set_queue:3,output:2,pop_queue,output:3", "nxm" },
        { "actions=set_queue:4294967295", "of15" },
        { "actions=exit", "nxm" },
        { "actions=clone(load:0x1->NXM_NX_REG0[],resubmit(,1)),output:2", "nxm" },
    };

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(Printed))]
    public void Our_dump_of_a_flow_is_what_ovs_dumps_for_it(string flow, string version) => AssertOvsDumpsOurPrintBack(flow, version);

    /// <summary>Our dump of <paramref name="flow"/>, loaded into OVS, dumps back (in <paramref name="version"/>) as the same text.</summary>
    internal static void AssertOvsDumpsOurPrintBack(string flow, string version)
    {
        var br = OurBridge();
        br.AddFlow(flow);
        string ours = br.DumpFlows(withStats: false, names: NamesShown.None).Single();
        using var ovs = StartOvs();
        ovs.Ofctl("del-flows", ovs.Bridge);
        AddFlowAsOfctlNegotiates(ovs, ours);
        Assert.Equal(OvsDump(ovs, version), ours);
    }

    /// <summary>What OVS refuses, refused with its reason, located: the flow, then the column and words of our error.</summary>
    public static TheoryData<string, string> Refused => new()
    {
        { "tun_tos=1,actions=drop", "1:1: tun_tos: no OpenFlow version can match this field" },
        { "tun_ttl=1,actions=drop", "1:1: tun_ttl: no OpenFlow version can match this field" },
        { "actions=controller(reason=foo)", "1:20: unknown reason \"foo\"" },
        { "actions=controller(max_len=x)", "1:20: invalid max_len \"x\"" },
        { "actions=controller(userdata=zz)", "1:20: bad hex digit in `controller' action `userdata'" },
        { "actions=controller(bogus)", "1:20: unknown key \"bogus\" parsing controller action" },
        { "actions=set_field:1->ct_mark", "1:9: cannot set CT fields outside of ct action" },
        { "actions=output:2,move:NXM_NX_REG0[]->NXM_NX_CT_LABEL[0..31]", "1:18: cannot set CT fields outside of ct action" },
        { "actions=goto_table:1,goto_table:2", "1:22: duplicate goto_table instruction not allowed" },
        { "actions=goto_table:1,output:2", "1:22: invalid instruction ordering: apply_actions must appear before goto_table" },
        { "actions=drop,output:1", "1:9: \"drop\" must not be accompanied by any other action or instruction" },
        { "ip,actions=resubmit(,1,ct)", "1:12: resubmit(,1,ct): actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT)" },
        { "ct_state=+trk,ip,actions=resubmit(,1,ct)", "1:26: resubmit(,1,ct): actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT)" },
        { "actions=output(port=NORMAL,max_len=100)", "1:16: output to unsupported truncate port: NORMAL" },
        { "actions=output(port=1,max_len=13)", "1:31: max_len 13 is less than the minimum value 14" },
        { "reg0[0..3]=0x15,actions=drop", "1:12: reg0[0..3]: value 0x15 does not fit into 4 bits" },
        { "ip,actions=group:7", "1:12: group 7 does not exist (OFPBAC_BAD_OUT_GROUP)" },
        { "tun_metadata0=0x1,actions=drop", "1:1: tun_metadata0 has no TLV mapping (NXFMFC_INVALID_TLV_FIELD)" },
        { "actions=set_field:0x1->tun_metadata0", "1:9: tun_metadata0 has no TLV mapping (NXFMFC_INVALID_TLV_FIELD)" },
        { "actions=move:NXM_NX_TUN_METADATA1[0..7]->NXM_NX_REG0[0..7]", "1:9: tun_metadata1 has no TLV mapping (NXFMFC_INVALID_TLV_FIELD)" },
    };

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(Refused))]
    public void What_ovs_refuses_we_refuse_with_its_reason(string flow, string error) => AssertOvsAndWeRefuse(flow, error);

    /// <summary>OVS refuses <paramref name="flow"/> in OpenFlow 1.0 and 1.5; we refuse it with <paramref name="error"/> (LINE:COL: words).</summary>
    internal static void AssertOvsAndWeRefuse(string flow, string error)
    {
        using var ovs = StartOvs();
        var (v10, _, _) = ovs.TryOfctl("add-flow", ovs.Bridge, flow);
        var (v15, _, _) = ovs.TryOfctl("-O", "OpenFlow15", "add-flow", ovs.Bridge, flow);
        Assert.True(v10 != 0 && v15 != 0, $"OVS 3.1 accepts [{flow}]");
        var e = Assert.Throws<InputException>(() => OurBridge().AddFlow(flow, "case.flows"));
        Assert.Contains("case.flows:" + error, e.Message, StringComparison.Ordinal);
    }

    /// <summary>Flows, then the frame that enters p1 (a name of <see cref="Frame"/>).</summary>
    public static TheoryData<string, string> Frames => new()
    {
        // The 802.1Q tag: matched, rewritten, pushed onto an untagged packet by mod_vlan_* (OpenFlow 1.0), left
        // off by set_vlan_* (OpenFlow 1.1), stripped, pushed by push_vlan.
        { "dl_vlan=5,actions=mod_vlan_vid:9,output:2\ndl_vlan=6,actions=strip_vlan,output:3", "tagged5" },
        { "dl_vlan=5,actions=mod_vlan_vid:9,output:2\ndl_vlan=6,actions=strip_vlan,output:3", "tagged6" },
        { "dl_vlan_pcp=3,actions=mod_vlan_pcp:6,output:2\nactions=output:4", "tagged5pcp3" },
        { "vlan_tci=0x0000,actions=mod_vlan_vid:7,output:2", "udp" },
        { "vlan_tci=0x0000,actions=mod_vlan_pcp:5,output:2", "udp" },
        { "vlan_tci=0x0000,actions=set_vlan_vid:7,output:2", "udp" }, // as ovs-ofctl sends it: OpenFlow 1.0's mod_vlan_vid
        { "actions=push_vlan:0x8100,mod_vlan_vid:12,output:3", "udp" },
        { "actions=pop_vlan,output:3", "tagged5" },
        // ICMPv6 neighbour discovery by type and target.
        { "icmp6,icmp_type=135,nd_target=fd00::2,actions=output:2\nactions=output:3", "ns" },
        // A subfield match after a load.
        { "actions=load:0x5->NXM_NX_REG0[0..3],resubmit(,1)\ntable=1,reg0[0..3]=5,actions=output:2\ntable=1,actions=output:3", "udp" },
        // resubmit(port) looks up with that in_port and restores the packet's own for the actions (ovs-actions(7)).
        { "in_port=1,actions=resubmit(2)\nin_port=2,actions=resubmit(,1)\ntable=1,in_port=1,actions=output:3\ntable=1,in_port=2,actions=output:4", "udp" },
        // The action set runs at the end of the pipeline: its set_fields, then its one final action (output);
        // clear_actions empties it; exit ends every list and, in OVS 3.1, the action set too; write_metadata is masked.
        { "actions=output:2,write_actions(output:3)", "udp" },
        { "actions=write_actions(output:3),goto_table:1\ntable=1,actions=clear_actions,write_actions(mod_vlan_vid:4,output:2)", "udp" },
        { "actions=write_actions(mod_dl_dst:02:00:00:00:00:99,output:4,output:2),goto_table:1\ntable=1,actions=exit,output:3", "udp" },
        { "actions=resubmit(,1),output:3\ntable=1,actions=output:2,exit", "udp" },
        { "actions=write_actions(dec_ttl,output:2)", "udp" },
        { "actions=write_metadata:0x5/0xff,goto_table:1\ntable=1,metadata=0x5,actions=output:2\ntable=1,actions=output:3", "udp" },
        // clone: the packet and its metadata are restored after it.
        { "actions=clone(mod_dl_dst:02:00:00:00:00:77,output:2),output:3", "udp" },
        // set_queue/pop_queue pick a QoS queue of the output port: the frames are those of a plain output.
        { "actions=set_queue:3,output:2,pop_queue,output:3", "udp" },
        { "actions=clone(load:0x1->NXM_NX_REG0[],resubmit(,1)),resubmit(,1)\ntable=1,reg0=1,actions=output:2\ntable=1,actions=output:3", "udp" },
        // output(port=,max_len=) sends the first max_len bytes.
        { "actions=output(port=2,max_len=20),output:3", "udp" },
        // push/pop: a stack per pass, last in first out, pop keeping the low bits; the stack survives resubmits.
        { "actions=load:0x2->NXM_NX_REG0[],load:0x3->NXM_NX_REG1[],push:NXM_NX_REG0[],push:NXM_NX_REG1[],resubmit(,1)\ntable=1,actions=pop:NXM_NX_REG2[],pop:NXM_NX_REG3[0..7],output:NXM_NX_REG2[]", "udp" },
        { "actions=push:NXM_OF_IN_PORT[],load:0x4->NXM_NX_REG0[],push:NXM_NX_REG0[],pop:NXM_NX_REG1[],pop:NXM_NX_REG2[],output:NXM_NX_REG1[],resubmit(,1)\ntable=1,reg2=1,actions=output:3", "udp" },
        // dec_ttl at TTL 1: a packet-in (no controller here), nothing sent.
        { "ip,actions=dec_ttl,output:2", "udpTtl1" },
        { "ip,actions=dec_ttl,output:2", "udp" },
        { "ip,actions=dec_ttl(1,2),output:2", "udpTtl1" },
    };

    [Fact]
    public void Dec_ttl_at_ttl_1_is_one_counted_punt_per_controller_id()
    {
        foreach (var (actions, punts) in new[] { ("dec_ttl", 1L), ("dec_ttl(1,2)", 2L) })
        {
            var br = OurBridge();
            br.AddFlow($"ip,actions={actions},output:2");
            using var node = new Node("n", br, Ipv4Address.Parse("192.0.2.1"), Client);
            node.Process(1, Frame("udpTtl1"), null, 0);
            Assert.Equal(punts, br.Punts);
            Assert.Equal(1, br.Drops.Get(DropReason.TtlExpired));
        }
    }

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(Frames))]
    public void Every_port_sends_what_ovs_sends(string flows, string frame) => AssertEveryPortSendsWhatOvsSends(flows, Frame(frame));

    /// <summary>Loads <paramref name="flows"/> into OVS and into our bridge, sends <paramref name="f"/> into p1 of both, and compares what every port transmits.</summary>
    internal static void AssertEveryPortSendsWhatOvsSends(string flows, byte[] f) => AssertEveryPortSendsWhatOvsSends(flows, (1u, f));

    /// <summary>
    /// As above for a walk of several frames, each entering the port it names, in order (a request, then its reply):
    /// OVS gets the next frame only once it has transmitted what we transmitted for the ones before.
    /// </summary>
    internal static void AssertEveryPortSendsWhatOvsSends(string flows, params (uint Port, byte[] Frame)[] walk)
    {
        var (ours, theirs) = SendThroughBoth(flows, walk);
        Assert.Equal(theirs, ours);
    }

    /// <summary>What every port transmits, as PORT:HEX sorted, in our bridge and in OVS, after <paramref name="walk"/>.</summary>
    internal static (string[] Ours, string[] Theirs) SendThroughBoth(string flows, params (uint Port, byte[] Frame)[] walk)
    {
        using var ovs = StartOvs();
        string dir = Directory.CreateTempSubdirectory("fx").FullName;
        try
        {
            foreach (var (p, name) in s_ports)
                ovs.SetInterfaceOptions(name, $"tx_pcap={dir}/{name}.pcap");
            var br = LoadInBoth(ovs, flows);
            using var node = new Node("n", br, Ipv4Address.Parse("192.0.2.1"), Client);
            var ours = new List<string>();
            string[] theirs = [];
            foreach (var (port, f) in walk)
            {
                var trace = new Engine.Tracing.Trace();
                node.Process(port, (byte[])f.Clone(), null, 0, trace);
                ours.AddRange(trace.Outputs.Select(o => $"{o.Port}:{Convert.ToHexString(o.Frame)}"));
                ovs.Appctl("netdev-dummy/receive", s_ports.Single(p => p.Item1 == port).Item2, Convert.ToHexString(f));
                theirs = Transmitted(dir, ours.Count);
            }
            return ([.. ours.Order(StringComparer.Ordinal)], theirs);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    internal static byte[] Frame(string name)
    {
        var udp = PacketBuilder.Udp(Client, Server, Ipv4Address.Parse("10.10.0.1"), Ipv4Address.Parse("10.10.0.2"), 4000, 53, new byte[18]);
        return name switch
        {
            "udp" => udp,
            "udpTtl1" => WithTtl(udp, 1),
            "tagged5" => PacketBuilder.WithVlan(udp, 5),
            "tagged6" => PacketBuilder.WithVlan(udp, 6),
            "tagged5pcp3" => PacketBuilder.WithVlan(udp, (3 << 13) | 5),
            "ns" => PacketBuilder.NeighborDiscovery(Client, MacAddress.Parse("33:33:ff:00:00:02"), Ipv6Address.Parse("fd00::1"), Ipv6Address.Parse("ff02::1:ff00:2"), advertisement: false, Ipv6Address.Parse("fd00::2"), Client),
            _ => throw new ArgumentException($"no frame {name}", nameof(name)),
        };
    }

    private static byte[] WithTtl(byte[] frame, byte ttl)
    {
        var f = (byte[])frame.Clone();
        f[14 + 8] = ttl;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(14 + 10), 0);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(14 + 10), Checksum.Ipv4Header(f.AsSpan(14, 20)));
        return f;
    }

    /// <summary>Loads <paramref name="flows"/> (one a line) into OVS, in place of its flows, and into a new bridge of ours, which it returns.</summary>
    internal static Bridge LoadInBoth(OvsSwitchJudge ovs, string flows)
    {
        ovs.Ofctl("del-flows", ovs.Bridge);
        foreach (string line in flows.Split('\n'))
            AddFlowAsOfctlNegotiates(ovs, line);
        var br = OurBridge();
        using (var r = new StringReader(flows))
            br.LoadFlows(r, "judged.flows");
        return br;
    }

    internal static Bridge OurBridge()
    {
        var br = new Bridge("br0");
        foreach (var (p, name) in s_ports)
            br.AddPort(p, name, MacAddress.Parse($"02:00:00:00:01:0{p}"), PortKind.Pod);
        return br;
    }

    internal static OvsSwitchJudge StartOvs() => OvsSwitchJudge.TryStart("br0", s_ports, [], out string? why) ?? throw new InvalidOperationException(why);

    /// <summary>
    /// add-flow in OpenFlow 1.5, as Antrea installs flows, or, for what only OpenFlow 1.0 with NXM can carry
    /// (strip_vlan, dec_ttl with ids, set_vlan_vid), in ovs-ofctl's default. Not the default first: OpenFlow 1.0
    /// silently drops the instructions it cannot carry (write_actions, clear_actions).
    /// </summary>
    internal static void AddFlowAsOfctlNegotiates(OvsSwitchJudge ovs, string flow)
    {
        var (code, _, _) = ovs.TryOfctl("-O", "OpenFlow15", "add-flow", ovs.Bridge, flow);
        if (code != 0)
            ovs.Ofctl("add-flow", ovs.Bridge, flow);
    }

    internal static string OvsDump(OvsSwitchJudge ovs, string version)
    {
        string[] args = version == "of15" ? ["-O", "OpenFlow15", "--no-stats", "--no-names", "dump-flows", ovs.Bridge] : ["--no-stats", "--no-names", "dump-flows", ovs.Bridge];
        return ovs.Ofctl(args).Trim().Replace("reset_counts ", "", StringComparison.Ordinal);
    }

    // What the dummy ports transmitted (their tx_pcap files, classic pcap), as PORT:HEX sorted; waits for the
    // frames we sent, and (linger) a little longer so that one OVS sends and we do not is seen.
    internal static string[] Transmitted(string dir, int expected, bool linger = true)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var frames = new List<string>();
            foreach (var (p, name) in s_ports)
            {
                foreach (var frame in DummyPortPcap.Read(Path.Combine(dir, name + ".pcap")))
                    frames.Add($"{name}:{Convert.ToHexString(frame)}");
            }
            if ((frames.Count >= expected && (!linger || sw.Elapsed > TimeSpan.FromMilliseconds(400))) || sw.Elapsed > TimeSpan.FromSeconds(10))
                return [.. frames.Order(StringComparer.Ordinal)];
            Thread.Sleep(50);
        }
    }
}
