using System.Buffers.Binary;
using Datapath.Antrea;
using Datapath.Engine.Tracing;
using Datapath.Packets;

namespace Datapath.Engine.Tests.Seed;

/// <summary>
/// The packet walk of the seed articles on the embedded scenario, asserted table by table from the
/// trace, against what Open vSwitch 3.1 did with the same flows (tests/Data/ovs-3.1/trace-*.txt and
/// the scenario README).
/// </summary>
public sealed class SeedPhaseTests : IDisposable
{
    private readonly AntreaScenario _scenario = AntreaScenario.LoadEmbedded();
    private Node Worker1 => _scenario.GetNode("worker1");
    private Node Worker2 => _scenario.GetNode("worker2");

    public void Dispose()
    {
        foreach (var n in _scenario.Cluster.Nodes)
            n.Dispose();
    }

    private static uint Reg(in FlowKey k, int n) => k.Regs[n];

    [Fact]
    public void Phase1_frontend_syn_goes_to_the_gateway_unchanged()
    {
        var frame = SeedFrames.Phase1Syn();
        var trace = new Trace();
        var v = Worker1.Process(49, frame, null, 1000, trace);

        Assert.Equal([0, 10, 30, 31, 40, 105, 110], trace.TablesVisited("worker1"));
        var k = trace.FinalFlows["worker1"];
        Assert.Equal(2u, Reg(k, 0) & 0xffff);
        Assert.Equal(1u, (Reg(k, 0) >> 16) & 1);
        Assert.Equal(2u, Reg(k, 1));
        Assert.Equal(1, v.Outputs);
        var o = Assert.Single(trace.Outputs);
        Assert.Equal(("antrea-gw0", 2u), (o.Port, o.OfPort));
        Assert.Equal(frame, o.Frame);
        Assert.Equal(1, Worker1.Conntrack.CountInZone(65520));
    }

    [Fact]
    public void Phase1_matches_ovs_rules_table_by_table()
    {
        var trace = new Trace();
        Worker1.Process(49, SeedFrames.Phase1Syn(), null, 1000, trace);
        var rules = trace.TableSteps("worker1").Select(s => s.RuleSummary).ToList();
        // The rule lines of tests/Data/ovs-3.1/trace-worker1-phase1.txt (names instead of numbers).
        Assert.StartsWith("in_port=", rules[0]);
        Assert.EndsWith("priority 190, cookie 0x1030000000000", rules[0]);
        Assert.Equal("ip, priority 200, cookie 0x1000000000000", rules[2]);
        Assert.Equal("priority 0, cookie 0x1000000000000", rules[3]);
        Assert.Equal("ip,nw_dst=10.96.0.0/12, priority 200, cookie 0x1040000000000", rules[4]);
        Assert.Equal("ct_state=+new+trk,ip, priority 190, cookie 0x1000000000000", rules[5]);
        Assert.Equal("ip,reg0=0x10000/0x10000, priority 200, cookie 0x1000000000000", rules[6]);
    }

    [Fact]
    public void Phase2_dnated_syn_leaves_worker1_as_geneve_to_worker2()
    {
        var trace = new Trace();
        var v = Worker1.Process(2, SeedFrames.Phase2Syn(), null, 1000, trace);

        Assert.Equal([0, 10, 30, 31, 40, 50, 70, 105, 110], trace.TablesVisited("worker1"));
        var t50 = trace.TableSteps("worker1").Single(s => s.Table == 50);
        Assert.StartsWith("conj_id=1,ip", t50.RuleSummary);
        var k = trace.FinalFlows["worker1"];
        Assert.Equal(1u, Reg(k, 5));
        Assert.Equal(0x20u, k.CtMark);
        Assert.Equal(Ipv4Address.Parse("10.79.1.202").Value, k.TunDst);
        Assert.Equal(62, k.NwTtl);
        Assert.Equal(1, v.Outputs);

        var o = Assert.Single(trace.Outputs);
        Assert.Equal(("antrea-tun0", 1u), (o.Port, o.OfPort));
        var f = o.Frame;
        Assert.Equal(124, f.Length);
        Assert.Equal("00:50:56:8f:1c:f6", MacAddress.Read(f).ToString());
        Assert.Equal("00:50:56:8f:4e:82", MacAddress.Read(f.AsSpan(6)).ToString());
        Assert.Equal(0x0800, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(18)));           // IP id 0
        Assert.Equal(0x4000, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(20)));      // DF
        Assert.Equal(64, f[22]);                                                        // outer TTL
        Assert.Equal(17, f[23]);
        Assert.Equal("10.79.1.201", Ipv4Address.Read(f.AsSpan(26)).ToString());
        Assert.Equal("10.79.1.202", Ipv4Address.Read(f.AsSpan(30)).ToString());
        Assert.Equal(6081, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(36)));
        Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(40)));         // csum=true
        Assert.Equal(0, f[42] >> 6);                                                    // GENEVE version 0
        Assert.Equal(0, f[42] & 0x3f);                                                  // no options
        Assert.Equal(0x6558, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(44)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(f.AsSpan(46)) >> 8);      // VNI 0
        var inner = f.AsSpan(50);
        Assert.Equal("aa:bb:cc:dd:ee:ff", MacAddress.Read(inner).ToString());
        Assert.Equal("4e:99:08:c1:53:be", MacAddress.Read(inner[6..]).ToString());
        Assert.Equal(62, inner[22]);                                                    // inner TTL decremented
        Assert.Equal(0, Checksum.Fold(Checksum.Add(inner.Slice(14, 20))));                // inner IPv4 checksum still valid
        Assert.Equal(1, Worker1.Conntrack.CountInZone(65520));
    }

    [Fact]
    public void Phase2_on_worker2_from_the_tunnel_reaches_backend2()
    {
        using var journey = new Journey(_scenario.Cluster, [], JourneyScope.Cluster);
        var trace = new Trace();
        var result = journey.Run(journey.GetNode("worker1"), 2, SeedFrames.Phase2Syn(), null, 1000, trace);

        Assert.Equal(2, result.Hops);                                                   // worker1's bridge, then worker2's
        Assert.Equal(1, result.Transits);
        Assert.Equal([0, 30, 31, 40, 50, 60, 70, 80, 90, 105, 110], trace.TablesVisited("worker2"));
        var k = trace.FinalFlows["worker2"];
        Assert.Equal(0x23u, Reg(k, 1));
        Assert.Equal(3u, Reg(k, 6));
        var o = trace.Outputs.Single(x => x.Node == "worker2");
        Assert.Equal(("backend2-202ff6", 35u), (o.Port, o.OfPort));
        Assert.Equal("c6:f4:b5:76:10:38", MacAddress.Read(o.Frame).ToString());
        Assert.Equal("02:d8:4e:3f:92:1d", MacAddress.Read(o.Frame.AsSpan(6)).ToString());
        Assert.Equal(61, o.Frame[22]);
        Assert.Equal(74, o.Frame.Length);
        FlowKey.Extract(o.Frame, 35, out var key);
        Assert.Equal(SeedFrames.Backend2.Value, key.NwDst);
        Assert.Equal(ParseFlags.None, key.Layout.Flags & (ParseFlags.Truncated | ParseFlags.Malformed));
    }

    [Fact]
    public void Phase3_reply_from_backend2_returns_through_table31_to_the_gateway()
    {
        using var journey = new Journey(_scenario.Cluster, [], JourneyScope.Cluster);
        journey.Run(journey.GetNode("worker1"), 2, SeedFrames.Phase2Syn(), null, 1000);
        var trace = new Trace();
        journey.Run(journey.GetNode("worker2"), 35, SeedFrames.Phase3SynAck(), null, 1001, trace);

        Assert.Equal([0, 10, 30, 31, 40, 50, 70, 105, 110], trace.TablesVisited("worker2"));
        Assert.Equal([0, 30, 31, 40, 50, 70, 80, 90, 105, 110], trace.TablesVisited("worker1"));
        var t31 = trace.TableSteps("worker1").Single(s => s.Table == 31);
        Assert.Equal("ct_state=-new+trk,ct_mark=0x20,ip, priority 200, cookie 0x1000000000000", t31.RuleSummary);
        var o = trace.Outputs.Single(x => x.Node == "worker1");
        Assert.Equal("antrea-gw0", o.Port);
        Assert.Equal("4e:99:08:c1:53:be", MacAddress.Read(o.Frame).ToString());
        Assert.Contains(Worker1.DumpConntrack(65520), l => l.Contains("ESTABLISHED", StringComparison.Ordinal));
    }

    [Fact]
    public void Spoofed_source_is_dropped_in_table_10()
    {
        var trace = new Trace();
        var v = Worker1.Process(49, SeedFrames.Phase1Syn(source: Ipv4Address.Parse("10.222.1.99")), null, 1000, trace);
        Assert.Equal([0, 10], trace.TablesVisited("worker1"));
        Assert.True(v.Dropped);
        Assert.Equal((DropReason?)DropReason.ExplicitDrop, v.DropReason);
        Assert.Equal(10, v.DropTable);
        var d = Assert.Single(trace.Drops);
        Assert.Equal(10, d.Table);
        Assert.Equal(1, Worker1.Bridge.Drops.Get(10, DropReason.ExplicitDrop));
    }

    [Fact]
    public void Arp_request_from_frontend_is_flooded_by_normal_to_the_other_local_ports()
    {
        var arp = PacketBuilder.Arp(1, SeedFrames.FrontendMac, SeedFrames.Frontend, MacAddress.Zero, Ipv4Address.Parse("10.222.1.1"), SeedFrames.FrontendMac, MacAddress.Broadcast);
        var trace = new Trace();
        var v = Worker1.Process(49, arp, null, 1000, trace);
        Assert.Equal([0, 10, 20], trace.TablesVisited("worker1"));
        Assert.Equal(["antrea-gw0", "coredns--3e3abf", "antrea-o-830766", "backend1-bab86f"], trace.Outputs.Select(o => o.Port));
        Assert.All(trace.Outputs, o => Assert.Equal(arp, o.Frame));
        Assert.Equal(4, v.Outputs);
    }

    [Fact]
    public void Host_arp_for_the_peer_gateway_is_answered_out_of_in_port()
    {
        var arp = PacketBuilder.Arp(1, SeedFrames.Gw1Mac, Ipv4Address.Parse("10.222.1.1"), MacAddress.Zero, Ipv4Address.Parse("10.222.2.1"), SeedFrames.Gw1Mac, MacAddress.Broadcast);
        var trace = new Trace();
        Worker1.Process(2, arp, null, 1000, trace);
        Assert.Equal([0, 10, 20], trace.TablesVisited("worker1"));
        var o = Assert.Single(trace.Outputs);
        Assert.Equal("antrea-gw0", o.Port);
        FlowKey.Extract(o.Frame, 2, out var k);
        Assert.Equal("4e:99:08:c1:53:be", k.DlDst.ToString());
        Assert.Equal("aa:bb:cc:dd:ee:ff", k.DlSrc.ToString());
        Assert.Equal(2, k.ArpOp);
        Assert.Equal("aa:bb:cc:dd:ee:ff", new MacAddress(k.ArpSha).ToString());
        Assert.Equal("10.222.2.1", new Ipv4Address(k.NwSrc).ToString());       // 10.222.2.1 is-at aa:bb:cc:dd:ee:ff
        Assert.Equal("4e:99:08:c1:53:be", new MacAddress(k.ArpTha).ToString());
        Assert.Equal("10.222.1.1", new Ipv4Address(k.NwDst).ToString());
    }

    [Fact]
    public void Syn_fin_is_invalid_and_dropped_in_table_31()
    {
        var trace = new Trace();
        var v = Worker1.Process(49, SeedFrames.Phase1Syn(TcpFlags.Syn | TcpFlags.Fin), null, 1000, trace);
        Assert.Equal([0, 10, 30, 31], trace.TablesVisited("worker1"));
        Assert.Equal("ct_state=+inv+trk,ip, priority 190, cookie 0x1000000000000", trace.TableSteps("worker1").Last().RuleSummary);
        Assert.True(v.Dropped);
        Assert.Equal(31, v.DropTable);
        Assert.Equal(0, Worker1.Conntrack.CountInZone(65520));
    }

    [Fact]
    public void Flow_text_trace_matches_ovs_phase1()
    {
        var trace = new Trace();
        var v = Worker1.ProcessFlow("in_port=49,tcp,vlan_tci=0x0000,dl_src=be:2c:bf:e4:ec:c5,dl_dst=4e:99:08:c1:53:be,nw_src=10.222.1.48,nw_dst=10.104.65.133,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=56670,tp_dst=80,tcp_flags=syn",
            null, 1000, trace, out var frame);
        Assert.Equal([0, 10, 30, 31, 40, 105, 110], trace.TablesVisited("worker1"));
        Assert.Equal(frame, Assert.Single(trace.Outputs).Frame);
        Assert.Equal(1, v.Outputs);
    }

    [Fact]
    public void Flow_text_on_the_tunnel_port_takes_tun_fields_as_decapsulated()
    {
        var trace = new Trace();
        Worker2.ProcessFlow("in_port=1,tun_id=0x0,tun_src=10.79.1.201,tun_dst=10.79.1.202,tcp,dl_src=4e:99:08:c1:53:be,dl_dst=aa:bb:cc:dd:ee:ff,nw_src=10.222.1.48,nw_dst=10.222.2.34,nw_ttl=62,tp_src=56670,tp_dst=80,tcp_flags=syn",
            null, 1000, trace, out _);
        Assert.Equal([0, 30, 31, 40, 50, 60, 70, 80, 90, 105, 110], trace.TablesVisited("worker2"));
        Assert.Equal("backend2-202ff6", Assert.Single(trace.Outputs).Port);
    }

    [Fact]
    public void Trace_renders_as_text_and_json()
    {
        var trace = new Trace();
        Worker1.Process(49, SeedFrames.Phase1Syn(), null, 1000, trace);
        string text = TraceTextRenderer.Render(trace);
        Assert.Contains(" 0. in_port=", text, StringComparison.Ordinal);
        Assert.Contains("    load:0x2->NXM_NX_REG0[0..15]", text, StringComparison.Ordinal);
        Assert.Contains("     -> reg0: 0 -> 0x2", text, StringComparison.Ordinal);
        Assert.Contains("output on worker1 port 2(antrea-gw0), 74 bytes", text, StringComparison.Ordinal);
        using var doc = System.Text.Json.JsonDocument.Parse(TraceJsonWriter.Write(trace));
        var steps = doc.RootElement.GetProperty("steps");
        var first = steps.EnumerateArray().First(s => s.GetProperty("kind").GetString() == "openflow");
        Assert.Equal(0, first.GetProperty("table").GetInt32());
        Assert.Equal("cookie=0x1030000000000, priority=190,in_port=\"frontend-a3ba2f\" actions=load:0x2->NXM_NX_REG0[0..15],resubmit(,10)", first.GetProperty("rule").GetString());
        var output = doc.RootElement.GetProperty("verdict").GetProperty("outputs")[0];
        Assert.Equal("antrea-gw0", output.GetProperty("port").GetString());
        Assert.Equal(2, output.GetProperty("ofport").GetInt32());
        Assert.Equal(Convert.ToHexStringLower(SeedFrames.Phase1Syn()), output.GetProperty("frame").GetString());
        Assert.Equal(0, doc.RootElement.GetProperty("verdict").GetProperty("drops").GetArrayLength());
    }
}
