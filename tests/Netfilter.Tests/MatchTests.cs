using Datapath.Packets;

namespace Datapath.Netfilter.Tests;

/// <summary>One test per behaviour of each match module, on the documents of <see cref="RuleFixtures"/>.</summary>
public sealed class MatchTests
{
    private static string Forward(string doc, FlowKey key, string? inIf = null, string? outIf = null, NetfilterEngine? engine = null, long now = 0)
    {
        engine ??= Harness.Engine(doc);
        var (_, trace) = Harness.Run(engine, NetfilterHook.Forward, ref key, inIf, outIf, now);
        return Harness.Last(trace);
    }

    [Theory]
    [InlineData("10.0.0.1", 1500, "10.0.0.2", 80, TcpFlags.Syn, "filter:FORWARD:rule:1:DROP")]
    [InlineData("10.0.0.1", 999, "10.0.0.2", 8080, TcpFlags.Syn, "filter:FORWARD:rule:2:REJECT")]
    [InlineData("10.0.0.1", 3000, "10.0.0.2", 80, TcpFlags.Syn | TcpFlags.Ack, "filter:FORWARD:rule:5:DROP")]
    [InlineData("10.0.0.1", 3000, "10.0.0.2", 80, TcpFlags.Ack, "filter:FORWARD:rule:6:ACCEPT")]
    [InlineData("10.0.0.1", 999, "10.0.0.2", 80, TcpFlags.Syn, "filter:FORWARD:rule:7:REJECT")]
    [InlineData("10.0.0.1", 3000, "10.0.0.2", 80, TcpFlags.Syn, "filter:FORWARD:policy:ACCEPT")]
    public void Tcp_ports_ranges_inversion_and_flags(string src, ushort sport, string dst, ushort dport, TcpFlags flags, string expected)
        => Assert.Equal(expected, Forward(RuleFixtures.TcpUdp, Packets.Tcp(src, sport, dst, dport, flags)));

    [Theory]
    [InlineData(53, 4000, "filter:FORWARD:rule:3:DROP")]
    [InlineData(4000, 53, "filter:FORWARD:rule:4:ACCEPT")]
    [InlineData(4000, 54, "filter:FORWARD:policy:ACCEPT")]
    public void Udp_ports_and_the_implicit_protocol_module(ushort sport, ushort dport, string expected)
        => Assert.Equal(expected, Forward(RuleFixtures.TcpUdp, Packets.Udp("10.0.0.1", sport, "10.0.0.2", dport)));

    [Fact]
    public void Later_fragments_never_match_port_matches()
    {
        var key = Packets.Tcp("10.0.0.1", 1500, "10.0.0.2", 80);
        key.NwFrag = 3;
        Assert.Equal("filter:FORWARD:policy:ACCEPT", Forward(RuleFixtures.TcpUdp, key));
    }

    [Theory]
    [InlineData("10.222.1.5", "10.222.2.9", 6, null, null, "filter:FORWARD:rule:1:ACCEPT")]
    [InlineData("192.168.1.1", "10.222.2.9", 1, null, null, "filter:FORWARD:rule:2:ACCEPT")]
    [InlineData("10.1.1.1", "10.2.2.2", 17, "antrea-gw0", "eth1", "filter:FORWARD:rule:3:ACCEPT")]
    [InlineData("10.1.1.1", "10.2.2.2", 17, "eth0", "eth0", "filter:FORWARD:rule:4:ACCEPT")]
    [InlineData("10.1.1.1", "10.2.2.2", 6, "eth0", "eth1", "filter:FORWARD:rule:6:ACCEPT")]
    [InlineData("10.1.1.1", "10.2.2.2", 6, "eth0", "eth2", "filter:FORWARD:policy:DROP")]
    public void Addresses_masks_protocols_interfaces_and_wildcards(string src, string dst, byte proto, string? inIf, string? outIf, string expected)
    {
        var key = proto == 17 ? Packets.Udp(src, 1, dst, 2) : Packets.Tcp(src, 1, dst, 2);
        key.NwProto = proto;
        Assert.Equal(expected, Forward(RuleFixtures.Header, key, inIf, outIf));
    }

    [Fact]
    public void Fragment_flag_matches_later_fragments_only()
    {
        var key = Packets.Tcp("10.1.1.1", 1, "10.2.2.2", 2);
        key.NwFrag = 3;
        Assert.Equal("filter:FORWARD:rule:5:DROP", Forward(RuleFixtures.Header, key, "x", "y"));
    }

    [Fact]
    public void Policy_counters_count_and_start_from_the_file()
    {
        var engine = Harness.Engine(RuleFixtures.Header);
        var frame = Packets.TcpFrame("10.1.1.1", 1, "10.2.2.2", 2);
        var key = Packets.Key(frame);
        Harness.Run(engine, NetfilterHook.Forward, ref key, "eth0", "eth2", frame: frame);
        var fwd = engine.Rules.Filter!.GetChain("FORWARD");
        Assert.Equal(8, fwd.PolicyPackets);
        Assert.Equal(700 + 40, fwd.PolicyBytes);
    }

    [Theory]
    [InlineData(8, 0, "filter:FORWARD:rule:1:DROP")]
    [InlineData(3, 3, "filter:FORWARD:rule:2:REJECT")]
    [InlineData(3, 1, "filter:FORWARD:policy:ACCEPT")]
    public void Icmp_types_codes_and_names(byte type, byte code, string expected)
    {
        var frame = PacketBuilder.Icmp(Packets.FrontendMac, Packets.GatewayMac, Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), type, code, 0);
        Assert.Equal(expected, Forward(RuleFixtures.Icmp, Packets.Key(frame)));
    }

    [Theory]
    [InlineData(6, 5000, 443, "filter:FORWARD:rule:1:DROP")]
    [InlineData(6, 5000, 8001, "filter:FORWARD:rule:1:DROP")]
    [InlineData(17, 123, 9999, "filter:FORWARD:rule:2:DROP")]
    [InlineData(6, 5000, 5001, "filter:FORWARD:rule:3:REJECT")]
    [InlineData(6, 5000, 22, "filter:FORWARD:policy:ACCEPT")]
    public void Multiport_lists_ranges_and_either_direction(byte proto, ushort sport, ushort dport, string expected)
    {
        var key = proto == 6 ? Packets.Tcp("10.0.0.1", sport, "10.0.0.2", dport) : Packets.Udp("10.0.0.1", sport, "10.0.0.2", dport);
        Assert.Equal(expected, Forward(RuleFixtures.Multiport, key));
    }

    [Fact]
    public void Statistic_nth_counts_per_rule_as_the_kernel()
    {
        // --every 3 --packet 1: packets 2, 5, 8 ... (1-based); the kernel starts the counter at every-1-packet.
        var engine = Harness.Engine(RuleFixtures.Statistic);
        var hits = new List<string>();
        for (int i = 0; i < 7; i++)
        {
            var key = Packets.Tcp("10.9.9.9", (ushort)(1000 + i), "10.8.8.8", 1);
            Harness.Run(engine, NetfilterHook.Prerouting, ref key);
            hits.Add(new Ipv4Address(key.NwDst).ToString());
        }
        // Rule 1 takes packets 2 and 5; rule 2 (! --every 2 --packet 0) sees packets 1, 3, 4, 6, 7 and its
        // counter matches (so the inverted rule does not) on the 1st, 3rd and 5th of them.
        Assert.Equal(["10.8.8.8", "10.0.0.1", "10.0.0.2", "10.8.8.8", "10.0.0.1", "10.0.0.2", "10.8.8.8"], hits);
    }

    [Fact]
    public void Matches_run_in_written_order_so_a_random_draw_before_a_failing_port_match_is_still_taken()
    {
        // Rule 1 draws before its tcp match fails (dport 81); rule 2 draws after its tcp match passes; rule 3's
        // tcp match fails first, so it never draws. The compiled rules fold tcp and statistic into the rule
        // struct: the draws must still happen exactly where the kernel makes them.
        const string rules = """
            *mangle
            :PREROUTING ACCEPT [0:0]
            -A PREROUTING -p tcp -m statistic --mode random --probability 0.5 -m tcp --dport 80 -j MARK --set-xmark 0x1/0x1
            -A PREROUTING -p tcp -m tcp --dport 81 -m statistic --mode random --probability 0.5 -j MARK --set-xmark 0x2/0x2
            -A PREROUTING -p tcp -m tcp --dport 82 -m statistic --mode random --probability 0.5 -j MARK --set-xmark 0x4/0x4
            COMMIT
            """;
        var engine = Harness.Engine(rules, seed: 7);
        var reference = new NetfilterRandom(7);
        int marked = 0;
        for (int i = 0; i < 200; i++)
        {
            reference.NextUInt32(); // rule 1's draw
            bool expect = (reference.NextUInt32() & 0x7FFFFFFF) < 0x40000000u;
            var key = Packets.Tcp("10.9.9.9", (ushort)(1000 + i), "10.8.8.8", 81);
            Harness.Run(engine, NetfilterHook.Prerouting, ref key);
            Assert.Equal(expect ? 2u : 0u, key.PktMark);
            marked += expect ? 1 : 0;
        }
        Assert.InRange(marked, 60, 140);
        var pre = engine.Rules.Mangle!.GetChain("PREROUTING");
        Assert.Equal(0, pre.Rules[0].Packets);
        Assert.Equal(marked, pre.Rules[1].Packets);
        Assert.Equal(0, pre.Rules[2].Packets);
    }

    [Fact]
    public void Statistic_random_compares_31_bits_against_probability_times_2_pow_31()
    {
        var engine = Harness.Engine(RuleFixtures.Statistic, seed: 99);
        var reference = new NetfilterRandom(99);
        int n = 2000, third = 0;
        for (int i = 0; i < n; i++)
        {
            uint draw = reference.NextUInt32();
            bool expectFirst = (draw & 0x7FFFFFFF) < 0x20000000u;
            if (!expectFirst)
                reference.NextUInt32(); // rule 2 (! --probability 1) draws and never matches, rule 3 draws too
            if (!expectFirst)
                reference.NextUInt32();
            var key = Packets.Tcp("10.9.9.9", (ushort)(1000 + i), "10.8.8.8", 2);
            Harness.Run(engine, NetfilterHook.Prerouting, ref key);
            Assert.Equal(expectFirst ? Packets.Ip("10.0.0.3") : Packets.Ip("10.8.8.8"), key.NwDst);
            if (expectFirst)
                third++;
        }
        Assert.InRange(third, 400, 600);
        var rnd = engine.Rules.Nat!.GetChain("RND");
        Assert.Equal(0, rnd.Rules[1].Packets);
        Assert.Equal(0, rnd.Rules[2].Packets);
    }

    [Theory]
    [InlineData(1, 0x0u, 0x80004001u)]
    [InlineData(2, 0x1234u, 0x80001202u)]
    [InlineData(3, 0x1234u, 0x80000007u)]
    [InlineData(4, 0x1234u, 0x80000034u)]
    [InlineData(5, 0x0u, 0x80000100u)]
    [InlineData(6, 0x5u, 0x80000006u)]
    [InlineData(7, 0x0u, 0x0u)]
    public void Mark_target_variants_and_mark_match(ushort dport, uint before, uint after)
    {
        var engine = Harness.Engine(RuleFixtures.Mark);
        var key = Packets.Tcp("10.0.0.1", 1, "10.0.0.2", dport);
        key.PktMark = before;
        Harness.Run(engine, NetfilterHook.Prerouting, ref key);
        Assert.Equal(after, key.PktMark);
    }

    [Theory]
    [InlineData("10.0.0.9", "10.79.1.201", "eth1", "nat:LOCALDST:return")]
    [InlineData("10.79.1.201", "10.0.0.9", "eth1", "nat:PREROUTING:policy:ACCEPT")]
    [InlineData("10.0.0.8", "10.0.0.9", "eth1", "nat:NOTLOCALSRC:return")]
    [InlineData("10.0.0.255", "10.0.0.9", "eth1", "nat:PREROUTING:policy:ACCEPT")]
    public void Addrtype_local_broadcast_and_inversion(string src, string dst, string inIf, string expected)
    {
        var host = new StaticNetfilterHost().AddAddress("eth1", Packets.Ip("10.79.1.201"), 24).AddAddress("eth0", Packets.Ip("10.0.0.1"), 24);
        var engine = Harness.Engine(RuleFixtures.AddrType, host: host);
        var key = Packets.Tcp(src, 1, dst, 2);
        var (_, trace) = Harness.Run(engine, NetfilterHook.Prerouting, ref key, inIf);
        Assert.Contains(expected, trace);
    }

    [Fact]
    public void Addrtype_classifies_0_slash_8_as_broadcast_as_the_kernel_does()
    {
        // __inet_dev_addr_type: zeronet and 255.255.255.255 are RTN_BROADCAST, so a DHCP client's 0.0.0.0 is BROADCAST
        // and `! --src-type LOCAL,BROADCAST` does not take it.
        var engine = Harness.Engine(RuleFixtures.AddrType, host: new StaticNetfilterHost().AddAddress("eth1", Packets.Ip("10.79.1.201"), 24));
        var key = Packets.Udp("0.0.0.0", 68, "255.255.255.255", 67);
        var (_, trace) = Harness.Run(engine, NetfilterHook.Prerouting, ref key, "eth1");
        Assert.DoesNotContain("nat:PREROUTING:rule:2:JUMP:NOTLOCALSRC", trace);
        key = Packets.Udp("10.0.0.8", 68, "255.255.255.255", 67);
        (_, trace) = Harness.Run(engine, NetfilterHook.Prerouting, ref key, "eth1");
        Assert.Contains("nat:PREROUTING:rule:2:JUMP:NOTLOCALSRC", trace);
    }

    [Fact]
    public void Addrtype_limit_iface_in_classifies_through_the_input_interface()
    {
        var host = new StaticNetfilterHost().AddAddress("eth1", Packets.Ip("10.79.1.201"), 24);
        var engine = Harness.Engine(RuleFixtures.AddrType, host: host);
        var key = Packets.Tcp("10.0.0.9", 1, "10.79.1.201", 2);
        var (_, viaEth1) = Harness.Run(engine, NetfilterHook.Prerouting, ref key, "eth1");
        Assert.Contains("nat:PREROUTING:rule:3:JUMP:VIAETH1", viaEth1);
        var (_, viaEth0) = Harness.Run(engine, NetfilterHook.Prerouting, ref key, "eth0");
        Assert.DoesNotContain("nat:PREROUTING:rule:3:JUMP:VIAETH1", viaEth0);
    }

    [Theory]
    [InlineData(CtStateFlags.None, "filter:FORWARD:rule:1:DROP")]
    [InlineData(CtStateFlags.Tracked | CtStateFlags.Invalid, "filter:FORWARD:rule:1:DROP")]
    [InlineData(CtStateFlags.Tracked | CtStateFlags.Established, "filter:FORWARD:rule:3:ACCEPT")]
    [InlineData(CtStateFlags.Tracked | CtStateFlags.Related, "filter:FORWARD:rule:3:ACCEPT")]
    [InlineData(CtStateFlags.Tracked | CtStateFlags.New, "filter:FORWARD:rule:6:ACCEPT")]
    public void Conntrack_states(CtStateFlags state, string expected)
    {
        var key = Packets.Tcp("10.1.0.1", 1, "10.2.0.1", 2);
        key.CtState = (uint)state;
        Assert.Equal(expected, Forward(RuleFixtures.Conntrack, key));
    }

    [Fact]
    public void Conntrack_dnat_state_with_original_destination_and_port()
    {
        var key = Packets.Tcp("10.222.1.48", 43210, "10.222.2.34", 80);
        key.CtState = (uint)(CtStateFlags.Tracked | CtStateFlags.New | CtStateFlags.DstNat);
        key.CtNwSrc = key.NwSrc;
        key.CtNwDst = Packets.Ip("10.104.65.133");
        key.CtTpSrc = 43210;
        key.CtTpDst = 80;
        key.CtNwProto = 6;
        Assert.Equal("filter:FORWARD:rule:2:ACCEPT", Forward(RuleFixtures.Conntrack, key));
        key.CtTpDst = 81;
        Assert.Equal("filter:FORWARD:rule:5:REJECT", Forward(RuleFixtures.Conntrack, key));
    }

    [Fact]
    public void Conntrack_protocol_direction_status_and_original_source()
    {
        var reply = Packets.Udp("10.2.0.1", 53, "10.1.0.1", 3000);
        reply.CtState = (uint)(CtStateFlags.Tracked | CtStateFlags.New | CtStateFlags.Reply);
        reply.CtNwProto = 17;
        Assert.Equal("filter:FORWARD:rule:4:ACCEPT", Forward(RuleFixtures.Conntrack, reply));

        var engine = Harness.Engine(RuleFixtures.Conntrack);
        var key = Packets.Tcp("10.222.1.48", 1, "10.9.9.9", 2);
        key.CtState = (uint)(CtStateFlags.Tracked | CtStateFlags.New);
        key.CtNwSrc = key.NwSrc;
        var (_, trace) = Harness.Run(engine, NetfilterHook.Forward, ref key);
        Assert.Equal("filter:FORWARD:rule:5:REJECT", trace[^1]);
        var packet = new NetfilterPacket(ref key) { CtStatus = CtStatusFlags.Assured | CtStatusFlags.Confirmed, Trace = [] };
        engine.Run(NetfilterHook.Forward, ref packet);
        Assert.Equal("filter:FORWARD:rule:6:ACCEPT", packet.Trace![^1].ToString());
    }

    [Theory]
    [InlineData("10.0.0.5", "10.9.9.9", 6, 1, "filter:FORWARD:rule:1:DROP")]
    [InlineData("10.0.1.2", "10.9.9.9", 6, 1, "filter:FORWARD:rule:1:DROP")]
    [InlineData("10.222.1.48", "10.96.0.10", 17, 53, "filter:FORWARD:rule:2:ACCEPT")]
    [InlineData("10.222.1.48", "10.96.0.1", 6, 443, "filter:FORWARD:rule:2:ACCEPT")]
    [InlineData("10.222.1.48", "10.96.0.1", 17, 443, "filter:FORWARD:rule:4:DROP")]
    [InlineData("10.222.1.48", "192.168.1.1", 6, 1, "filter:FORWARD:rule:3:REJECT")]
    [InlineData("10.222.1.48", "192.168.7.1", 6, 1, "filter:FORWARD:rule:4:DROP")]
    [InlineData("10.222.1.48", "172.16.0.6", 6, 1, "filter:FORWARD:rule:3:REJECT")]
    [InlineData("10.222.1.48", "172.16.0.7", 6, 1, "filter:FORWARD:rule:4:DROP")]
    [InlineData("10.222.1.48", "10.222.2.34", 6, 1, "filter:FORWARD:policy:ACCEPT")]
    public void Set_match_hash_ip_hash_ip_port_and_hash_net_with_nomatch(string src, string dst, byte proto, ushort dport, string expected)
    {
        var key = proto == 17 ? Packets.Udp(src, 1000, dst, dport) : Packets.Tcp(src, 1000, dst, dport);
        Assert.Equal(expected, Forward(RuleFixtures.Set, key));
    }

    [Fact]
    public void Recent_gives_client_ip_session_affinity()
    {
        // Without affinity state the first connection draws at random; every later one from the same client
        // follows the recent list to the same endpoint, within --seconds.
        for (ulong seed = 1; seed <= 6; seed++)
        {
            var engine = Harness.Engine(RuleFixtures.Recent, seed);
            var first = Packets.Tcp("10.222.1.48", 40000, "10.100.0.1", 80);
            Harness.Run(engine, NetfilterHook.Prerouting, ref first, nowMs: 1000);
            for (int i = 1; i < 5; i++)
            {
                var key = Packets.Tcp("10.222.1.48", (ushort)(40000 + i), "10.100.0.1", 80);
                var (_, trace) = Harness.Run(engine, NetfilterHook.Prerouting, ref key, nowMs: 1000 + i * 60_000);
                Assert.Equal(first.NwDst, key.NwDst);
                Assert.DoesNotContain(trace, s => s.Contains("KUBE-SVC-AFFINITY:rule:3", StringComparison.Ordinal));
            }
            // After 3 hours without the client, the entry is stale and the choice is random again.
            var late = Packets.Tcp("10.222.1.48", 50000, "10.100.0.1", 80);
            var (_, lateTrace) = Harness.Run(engine, NetfilterHook.Prerouting, ref late, nowMs: 1000 + 4 * 60_000 + 10_800_001);
            Assert.Contains(lateTrace, s => s.StartsWith("nat:KUBE-SVC-AFFINITY:rule:3", StringComparison.Ordinal)
                || s.StartsWith("nat:KUBE-SVC-AFFINITY:rule:4", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Recent_update_hitcount_remove_and_rdest()
    {
        var engine = Harness.Engine(RuleFixtures.Recent2);
        string Ssh(ushort dport, long now)
        {
            var key = Packets.Tcp("10.0.0.1", 1000, "10.0.0.2", dport);
            return Harness.Last(Harness.Run(engine, NetfilterHook.Forward, ref key, nowMs: now).Trace);
        }
        Assert.Equal("filter:FORWARD:rule:2:ACCEPT", Ssh(22, 0));
        Assert.Equal("filter:FORWARD:rule:2:ACCEPT", Ssh(22, 1000));
        Assert.Equal("filter:FORWARD:rule:2:ACCEPT", Ssh(22, 2000));
        Assert.Equal("filter:FORWARD:rule:1:DROP", Ssh(22, 3000));   // 3 hits within 60 s
        Assert.Equal("filter:FORWARD:rule:1:DROP", Ssh(22, 4000));
        Assert.Equal("filter:FORWARD:rule:2:ACCEPT", Ssh(22, 64_500)); // the stamps left the 60 s window
        Assert.Equal("filter:FORWARD:rule:3:ACCEPT", Ssh(23, 64_000));
        Assert.Equal("filter:FORWARD:rule:2:ACCEPT", Ssh(22, 65_000)); // removed
        Assert.Equal("filter:FORWARD:rule:5:ACCEPT", Ssh(24, 0));
        Assert.Equal("filter:FORWARD:rule:4:DROP", Ssh(24, 1));
        Assert.True(engine.Rules.Recent.GetOrAdd("DST").Contains(Packets.Ip("10.0.0.2")));
    }

    [Fact]
    public void Comment_is_kept_on_the_rule_and_costs_no_match()
    {
        var rules = IptablesSaveParser.ParseFile(RepoPaths.Scenario("worker1.iptables"));
        var rule = rules.Nat!.GetChain("PREROUTING").Rules[0];
        Assert.Equal("kubernetes service portals", rule.Comment);
        Assert.Empty(rule.MatchModules);
    }
}
