using Datapath.Packets;

namespace Datapath.Netfilter.Tests;

public sealed class TargetTests
{
    private static (NetfilterVerdict, List<string>, NetfilterEngine) Forward(ushort dport, NetfilterEngine? engine = null)
    {
        engine ??= Harness.Engine(RuleFixtures.Targets);
        var key = Packets.Tcp("10.0.0.1", 1000, "10.0.0.2", dport);
        var (v, trace) = Harness.Run(engine, NetfilterHook.Forward, ref key);
        return (v, trace, engine);
    }

    [Fact]
    public void Goto_returns_past_the_calling_chain()
    {
        var (v, trace, engine) = Forward(3);
        Assert.Equal(NetfilterVerdict.Accept, v);
        Assert.Equal(
        [
            "filter:FORWARD:rule:4:GOTO:CHECK",
            "filter:CHECK:rule:1:JUMP:DEEPER",
            "filter:DEEPER:rule:1:RETURN",
            "filter:CHECK:return",
            "filter:FORWARD:policy:ACCEPT",
        ], trace);
        Assert.Equal(0, engine.Rules.Filter!.GetChain("FORWARD").Rules[4].Packets);
    }

    [Fact]
    public void Jump_returns_to_the_next_rule_and_log_is_counted()
    {
        var (v, trace, engine) = Forward(4);
        Assert.Equal(NetfilterVerdict.Drop, v);
        Assert.Equal(
        [
            "filter:FORWARD:rule:6:JUMP:CHECK",
            "filter:CHECK:rule:1:JUMP:DEEPER",
            "filter:DEEPER:rule:2:LOG",
            "filter:DEEPER:return",
            "filter:CHECK:return",
            "filter:FORWARD:rule:7:DROP",
        ], trace);
        Assert.Equal(1, engine.LogCount);
    }

    [Theory]
    [InlineData(1, RejectWith.IcmpAdminProhibited)]
    [InlineData(2, RejectWith.IcmpPortUnreachable)]
    public void Reject_reports_its_type(ushort dport, RejectWith expected)
    {
        var engine = Harness.Engine(RuleFixtures.Targets);
        var key = Packets.Tcp("10.0.0.1", 1000, "10.0.0.2", dport);
        var packet = new NetfilterPacket(ref key);
        Assert.Equal(NetfilterVerdict.Reject, engine.Run(NetfilterHook.Forward, ref packet));
        Assert.Equal(expected, packet.RejectWith);
    }

    [Fact]
    public void Trace_target_marks_the_packet_and_a_rule_without_target_only_counts()
    {
        var engine = Harness.Engine(RuleFixtures.Targets);
        var frame = Packets.TcpFrame("10.0.0.1", 1000, "10.0.0.2", 9999);
        var key = Packets.Key(frame);
        var packet = new NetfilterPacket(ref key, frame);
        engine.Run(NetfilterHook.Prerouting, ref packet);
        Assert.True(packet.TraceRequested);
        Assert.Equal(NetfilterVerdict.Accept, engine.Run(NetfilterHook.Forward, ref packet));
        Assert.Equal(1, packet.LogCount);
        var counting = engine.Rules.Filter!.GetChain("FORWARD").Rules[7];
        Assert.Equal(TargetKind.None, counting.Target.Kind);
        Assert.Equal(1, counting.Packets);
        Assert.Equal(40, counting.Bytes);
        Assert.Equal("trace me: ", engine.Rules.Filter.GetChain("FORWARD").Rules[0].Target.LogPrefix);
    }

    [Fact]
    public void Counters_from_the_file_are_kept_and_added_to()
    {
        const string doc = """
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            [5:300] -A FORWARD -p tcp -j ACCEPT
            COMMIT
            """;
        var engine = Harness.Engine(doc);
        var frame = Packets.TcpFrame("10.0.0.1", 1, "10.0.0.2", 2);
        var key = Packets.Key(frame);
        Harness.Run(engine, NetfilterHook.Forward, ref key, frame: frame);
        var rule = engine.Rules.Filter!.GetChain("FORWARD").Rules[0];
        Assert.Equal(6, rule.Packets);
        Assert.Equal(340, rule.Bytes);
    }

    [Fact]
    public void Dnat_with_address_and_port_ranges_picks_inside_them()
    {
        var engine = Harness.Engine(RuleFixtures.Nat);
        var key = Packets.Tcp("10.222.1.48", 40000, "10.1.0.1", 80);
        var (_, trace) = Harness.Run(engine, NetfilterHook.Prerouting, ref key);
        Assert.Equal("nat:PREROUTING:rule:1:DNAT:10.2.0.1-10.2.0.4:8080-8090", trace[0]);
        Assert.InRange(key.NwDst, Packets.Ip("10.2.0.1"), Packets.Ip("10.2.0.4"));
        Assert.Equal(8080, key.TpDst);
    }

    [Fact]
    public void Dnat_port_only_keeps_the_address_and_address_only_keeps_the_port()
    {
        var engine = Harness.Engine(RuleFixtures.Nat);
        var udp = Packets.Udp("10.222.1.48", 40000, "10.1.0.2", 53);
        Harness.Run(engine, NetfilterHook.Prerouting, ref udp);
        Assert.Equal(Packets.Ip("10.1.0.2"), udp.NwDst);
        Assert.Equal(5353, udp.TpDst);
        var tcp = Packets.Tcp("10.222.1.48", 40000, "10.1.0.3", 443);
        Harness.Run(engine, NetfilterHook.Prerouting, ref tcp);
        Assert.Equal(Packets.Ip("10.2.0.9"), tcp.NwDst);
        Assert.Equal(443, tcp.TpDst);
    }

    [Fact]
    public void Snat_to_source_with_a_port_range_rewrites_source_and_frame()
    {
        var engine = Harness.Engine(RuleFixtures.Nat);
        var frame = Packets.TcpFrame("10.222.1.48", 40000, "203.0.113.9", 443);
        var key = Packets.Key(frame);
        var (_, trace) = Harness.Run(engine, NetfilterHook.Postrouting, ref key, outInterface: "eth1", frame: frame);
        Assert.Equal("nat:POSTROUTING:rule:1:SNAT:192.0.2.1:20000-30000", trace[0]);
        Assert.Equal(Packets.Ip("192.0.2.1"), key.NwSrc);
        Assert.Equal(20000, key.TpSrc);
        FlowKey.Extract(frame, 2, out var again);
        Assert.Equal(key.NwSrc, again.NwSrc);
        Assert.Equal(key.TpSrc, again.TpSrc);
        Assert.True(Checksums.Valid(frame));
    }

    [Fact]
    public void Masquerade_uses_the_egress_interface_address_and_to_ports()
    {
        var host = new StaticNetfilterHost().AddAddress("eth0", Packets.Ip("198.51.100.7"), 24);
        var engine = Harness.Engine(RuleFixtures.Nat, host: host);
        var tcp = Packets.Tcp("10.222.1.48", 40000, "8.8.8.8", 443);
        Harness.Run(engine, NetfilterHook.Postrouting, ref tcp, outInterface: "eth0");
        Assert.Equal(Packets.Ip("198.51.100.7"), tcp.NwSrc);
        Assert.Equal(1024, tcp.TpSrc);
        var udp = Packets.Udp("10.222.1.48", 40000, "8.8.8.8", 53);
        var (_, trace) = Harness.Run(engine, NetfilterHook.Postrouting, ref udp, outInterface: "eth0");
        Assert.Equal("nat:POSTROUTING:rule:3:MASQUERADE", trace[0]);
        Assert.Equal(Packets.Ip("198.51.100.7"), udp.NwSrc);
        Assert.Equal(40000, udp.TpSrc);
    }

    [Fact]
    public void Masquerade_without_an_interface_address_drops_and_counts()
    {
        var engine = Harness.Engine(RuleFixtures.Nat, host: new StaticNetfilterHost());
        var key = Packets.Udp("10.222.1.48", 40000, "8.8.8.8", 53);
        var (v, _) = Harness.Run(engine, NetfilterHook.Postrouting, ref key, outInterface: "eth0");
        Assert.Equal(NetfilterVerdict.Drop, v);
        Assert.Equal(1, engine.MasqueradeNoAddressDrops);
    }

    [Fact]
    public void Nat_range_flags_are_parsed()
    {
        var rules = IptablesSaveParser.ParseText(RuleFixtures.Nat, "fixture");
        var pre = rules.Nat!.GetChain("PREROUTING").Rules;
        Assert.Equal(NatRangeFlags.MapIps | NatRangeFlags.ProtoSpecified | NatRangeFlags.ProtoRandom | NatRangeFlags.Persistent, pre[0].Target.NatRange.Flags);
        var post = rules.Nat.GetChain("POSTROUTING").Rules;
        Assert.Equal(NatRangeFlags.MapIps | NatRangeFlags.ProtoSpecified | NatRangeFlags.ProtoRandomFully, post[0].Target.NatRange.Flags);
        Assert.Equal(NatRangeFlags.ProtoSpecified | NatRangeFlags.ProtoRandomFully | NatRangeFlags.Masquerade, post[1].Target.NatRange.Flags);
        Assert.Equal(NatRangeFlags.ProtoRandom | NatRangeFlags.Masquerade, post[2].Target.NatRange.Flags);
    }
}
