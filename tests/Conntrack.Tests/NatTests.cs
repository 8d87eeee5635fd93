using System.Buffers.Binary;
using Datapath.Packets;

namespace Datapath.Conntrack.Tests;

public class NatTests
{
    private const ushort Zone = 65520;
    private static readonly NatSpec ToEndpoint = NatSpec.Dnat(Ipv4Address.Parse("10.222.2.34"), 80);

    private static CtCommand CommitNat(NatSpec nat) => new(Zone, commit: true) { Nat = nat };

    private static CtCommand ApplyNat() => new(Zone) { Nat = NatSpec.ApplyExisting };

    /// <summary>Recomputes the IPv4 header and transport checksums from scratch (Packets' Checksum).</summary>
    private static void AssertChecksumsValid(Pkt p)
    {
        FlowKey.Extract(p.Frame, 1, out var k);
        int l3 = k.Layout.L3Offset, l4 = k.Layout.L4Offset;
        int ihl = (p.Frame[l3] & 0x0f) * 4;
        Assert.Equal(0, Checksum.Fold(Checksum.Add(p.Frame.AsSpan(l3, ihl))));
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(p.Frame.AsSpan(l3 + 2));
        var segment = p.Frame.AsSpan(l4, l3 + totalLength - l4);
        uint sum = Checksum.PseudoHeaderV4(k.NwSrc, k.NwDst, k.NwProto, (ushort)segment.Length);
        if (k.NwProto == IpProtocols.Icmp)
            sum = 0;
        Assert.Equal(0, Checksum.Fold(Checksum.Add(segment, sum)));
    }

    [Fact]
    public void Dnat_to_the_endpoint_rewrites_the_syn_and_reverse_translates_the_syn_ack()
    {
        var t = Trackers.Ovs();
        var syn = Pkt.Tcp("10.222.1.48", 56670, "10.104.65.133", 80, TcpFlags.Syn, seq: 569506855);
        Assert.Equal(Pkt.NewTrk | CtStateFlags.DstNat, syn.Ct(t, CommitNat(ToEndpoint)));
        Assert.Equal(Ipv4Address.Parse("10.222.2.34").Value, syn.Key.NwDst);
        Assert.Equal(Ipv4Address.Parse("10.104.65.133").Value, syn.Key.CtNwDst); // ct_nw_dst: before NAT
        FlowKey.Extract(syn.Frame, 1, out var reparsed);
        Assert.Equal(syn.Key.NwDst, reparsed.NwDst);
        AssertChecksumsValid(syn);

        var synAck = Pkt.Tcp("10.222.2.34", 80, "10.222.1.48", 56670, TcpFlags.Syn | TcpFlags.Ack, seq: 7, ack: 569506856);
        Assert.Equal(Pkt.EstRplTrk | CtStateFlags.SrcNat, synAck.Ct(t, ApplyNat()));
        Assert.Equal(Ipv4Address.Parse("10.104.65.133").Value, synAck.Key.NwSrc);
        AssertChecksumsValid(synAck);
        Assert.Equal(
            "tcp,orig=(src=10.222.1.48,dst=10.104.65.133,sport=56670,dport=80),reply=(src=10.222.2.34,dst=10.222.1.48,sport=80,dport=56670),zone=65520,protoinfo=(state=ESTABLISHED)",
            Assert.Single(t.Dump()));
    }

    [Fact]
    public void A_second_commit_in_the_zone_tracks_the_translated_packet_as_its_own_connection()
    {
        // Antrea 2.x: EndpointDNAT commits with nat(dst=...), then IngressRule, SNATMark and ConntrackCommit commit the
        // translated packet again in zone 65520. OVS (conntrack.c initial_conn_lookup) finds the connection by the
        // translated packet's reverse key and keeps the packet's ct_state in the zone: one connection, still +dnat,
        // and the second commit's exec() lands on it.
        var t = Trackers.Ovs();
        var syn = Pkt.Tcp("10.222.1.48", 56670, "10.104.65.133", 80, TcpFlags.Syn, seq: 569506855);
        Assert.Equal(Pkt.NewTrk | CtStateFlags.DstNat, syn.Ct(t, CommitNat(ToEndpoint)));
        Assert.Equal(Pkt.NewTrk | CtStateFlags.DstNat, syn.Ct(t, new CtCommand(Zone, commit: true) { Label = 0x3, LabelMask = 0xffffffff }));
        Assert.Equal(1, t.Count);
        Assert.Equal((UInt128)0x3, syn.Key.CtLabel);
        Assert.Equal(Ipv4Address.Parse("10.104.65.133").Value, syn.Key.CtNwDst);

        // The endpoint's answer, and the translated packet's second ct() in the zone, see the one connection too.
        var synAck = Pkt.Tcp("10.222.2.34", 80, "10.222.1.48", 56670, TcpFlags.Syn | TcpFlags.Ack, seq: 7, ack: 569506856);
        Assert.Equal(Pkt.EstRplTrk | CtStateFlags.SrcNat, synAck.Ct(t, ApplyNat()));
        Assert.Equal(Pkt.EstRplTrk | CtStateFlags.SrcNat, synAck.Ct(t, Pkt.Commit(Zone)));
        Assert.Equal((UInt128)0x3, synAck.Key.CtLabel);
        Assert.Equal(1, t.Count);

        // In another zone the packet starts afresh: its translated tuple is a new connection there.
        Assert.Equal(Pkt.NewTrk, syn.Ct(t, Pkt.Commit(65521)));
        Assert.Equal(2, t.Count);
    }

    [TsharkFact]
    public void Dnat_round_trip_checksums_are_good_according_to_tshark()
    {
        var tshark = TsharkJudge.Find()!;
        var t = Trackers.Ovs();
        var syn = Pkt.Tcp("10.222.1.48", 56670, "10.104.65.133", 80, TcpFlags.Syn, seq: 569506855, payload: 0,
            options: PacketBuilder.LinuxSynOptions(1410, 3688671724, 0, 7));
        syn.Ct(t, CommitNat(ToEndpoint));
        var synAck = Pkt.Tcp("10.222.2.34", 80, "10.222.1.48", 56670, TcpFlags.Syn | TcpFlags.Ack, seq: 7, ack: 569506856);
        synAck.Ct(t, ApplyNat());
        var ack = Pkt.Tcp("10.222.1.48", 56670, "10.104.65.133", 80, TcpFlags.Ack, seq: 569506856, ack: 8, payload: 33);
        Assert.Equal(Pkt.EstTrk | CtStateFlags.DstNat, ack.Ct(t, ApplyNat()));
        var udp = Pkt.Udp("10.222.1.48", 5353, "10.104.65.133", 53, payload: 9);
        udp.Ct(t, CommitNat(NatSpec.Dnat(Ipv4Address.Parse("10.222.2.35"), 5353)));

        string pcap = Path.Combine(Path.GetTempPath(), $"ct-dnat-{Environment.ProcessId}-{Guid.NewGuid():n}.pcap");
        try
        {
            TsharkJudge.WritePcap(pcap, [syn.Frame, synAck.Frame, ack.Frame, udp.Frame]);
            var lines = TsharkJudge.Fields(tshark, pcap, "ip.src", "ip.dst", "ip.checksum.status", "tcp.checksum.status", "udp.checksum.status", "udp.dstport");
            Assert.Equal(4, lines.Length);
            // checksum.status 1 = Good (Wireshark's PROTO_CHECKSUM_E_GOOD).
            Assert.Equal("10.222.1.48\t10.222.2.34\t1\t1\t\t", lines[0]);
            Assert.Equal("10.104.65.133\t10.222.1.48\t1\t1\t\t", lines[1]);
            Assert.Equal("10.222.1.48\t10.222.2.34\t1\t1\t\t", lines[2]);
            Assert.Equal("10.222.1.48\t10.222.2.35\t1\t\t1\t5353", lines[3]);
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    [Fact]
    public void Nat_without_arguments_on_a_connection_without_binding_changes_nothing()
    {
        var t = Trackers.Ovs();
        var syn = Pkt.Tcp("10.0.0.1", 1000, "10.0.0.2", 80, TcpFlags.Syn);
        Assert.Equal(Pkt.NewTrk, syn.Ct(t, new CtCommand(Zone, commit: true) { Nat = NatSpec.ApplyExisting }));
        Assert.Equal(Ipv4Address.Parse("10.0.0.2").Value, syn.Key.NwDst);
    }

    [Fact]
    public void Ct_without_nat_on_a_natted_connection_does_not_translate_nor_flag()
    {
        var t = Trackers.Ovs();
        Pkt.Tcp("10.222.1.48", 56670, "10.104.65.133", 80, TcpFlags.Syn, seq: 1).Ct(t, CommitNat(ToEndpoint));
        var synAck = Pkt.Tcp("10.222.2.34", 80, "10.222.1.48", 56670, TcpFlags.Syn | TcpFlags.Ack, seq: 7, ack: 2);
        Assert.Equal(Pkt.EstRplTrk, synAck.Ct(t, Pkt.Lookup(Zone)));
        Assert.Equal(Ipv4Address.Parse("10.222.2.34").Value, synAck.Key.NwSrc);
    }

    [Fact]
    public void Snat_keeps_the_source_port_when_free_and_moves_to_another_when_taken()
    {
        var t = Trackers.Ovs();
        var snat = NatSpec.Snat(Ipv4Address.Parse("192.168.1.1"));
        var a = Pkt.Udp("10.0.0.1", 4000, "8.8.8.8", 53);
        Assert.Equal(Pkt.NewTrk | CtStateFlags.SrcNat, a.Ct(t, CommitNat(snat)));
        Assert.Equal(Ipv4Address.Parse("192.168.1.1").Value, a.Key.NwSrc);
        Assert.Equal((ushort)4000, a.Key.TpSrc);
        var b = Pkt.Udp("10.0.0.2", 4000, "8.8.8.8", 53);
        b.Ct(t, CommitNat(snat));
        Assert.Equal(Ipv4Address.Parse("192.168.1.1").Value, b.Key.NwSrc);
        Assert.NotEqual((ushort)4000, b.Key.TpSrc);
        Assert.InRange(b.Key.TpSrc, (ushort)1024, (ushort)65535);
        AssertChecksumsValid(b);

        // The reply to b's translated port reaches 10.0.0.2:4000.
        var reply = Pkt.Udp("8.8.8.8", 53, "192.168.1.1", b.Key.TpSrc);
        Assert.Equal(Pkt.EstRplTrk | CtStateFlags.DstNat, reply.Ct(t, ApplyNat()));
        Assert.Equal(Ipv4Address.Parse("10.0.0.2").Value, reply.Key.NwDst);
        Assert.Equal((ushort)4000, reply.Key.TpDst);
        AssertChecksumsValid(reply);
    }

    [Fact]
    public void Nat_src_without_an_address_keeps_the_address_and_moves_the_port_only_when_the_tuple_is_taken()
    {
        // OVS conntrack.c find_addr: an all-zero range keeps the connection's own source; the port stays when free.
        var t = Trackers.Ovs();
        Assert.True(NatSpec.TryParse("src", out var keep, out _));
        var a = Pkt.Udp("10.0.0.1", 4000, "8.8.8.8", 53);
        Assert.Equal(Pkt.NewTrk | CtStateFlags.SrcNat, a.Ct(t, CommitNat(keep!)));
        Assert.Equal(Ipv4Address.Parse("10.0.0.1").Value, a.Key.NwSrc);
        Assert.Equal((ushort)4000, a.Key.TpSrc);

        // 10.0.0.2:4000 was SNATed to 10.0.0.1:4000 first: the reply tuple is taken, so nat(src) picks another port.
        var t2 = Trackers.Ovs();
        Pkt.Udp("10.0.0.2", 4000, "8.8.8.8", 53).Ct(t2, CommitNat(NatSpec.Snat(Ipv4Address.Parse("10.0.0.1"))));
        var b = Pkt.Udp("10.0.0.1", 4000, "8.8.8.8", 53);
        Assert.Equal(Pkt.NewTrk | CtStateFlags.SrcNat, b.Ct(t2, CommitNat(keep!)));
        Assert.Equal(Ipv4Address.Parse("10.0.0.1").Value, b.Key.NwSrc);
        Assert.NotEqual((ushort)4000, b.Key.TpSrc);
        AssertChecksumsValid(b);
        var reply = Pkt.Udp("8.8.8.8", 53, "10.0.0.1", b.Key.TpSrc);
        Assert.Equal(Pkt.EstRplTrk | CtStateFlags.DstNat, reply.Ct(t2, ApplyNat()));
        Assert.Equal((ushort)4000, reply.Key.TpDst);
    }

    [Fact]
    public void Port_range_is_used_and_exhaustion_refuses_the_commit_with_a_counter()
    {
        var t = Trackers.Ovs();
        var snat = new NatSpec(NatKind.Snat, Ipv4Address.Parse("192.168.1.1"), Ipv4Address.Parse("192.168.1.1"), 2000, 2001);
        var ports = new HashSet<ushort>();
        for (ushort i = 0; i < 2; i++)
        {
            var p = Pkt.Udp("10.0.0." + (i + 1), 5000, "8.8.8.8", 53);
            p.Ct(t, CommitNat(snat));
            ports.Add(p.Key.TpSrc);
        }
        Assert.Equal([2000, 2001], ports.Order().Select(x => (int)x));
        var third = Pkt.Udp("10.0.0.3", 5000, "8.8.8.8", 53);
        Assert.Equal(Pkt.NewTrk, third.Ct(t, CommitNat(snat)));
        Assert.Equal(2, t.Count);
        Assert.Equal(1, t.Counters.NatExhausted);
    }

    [Fact]
    public void A_second_service_to_the_same_endpoint_from_the_same_source_port_gets_the_next_source_port()
    {
        // The frontend's port 56670 first to the ClusterIP, then to a NodePort: both DNAT to backend2:80, so the second
        // connection's reply tuple (backend2:80 -> frontend:56670) is the first one's. OVS 3.1 (nat_get_unique_tuple)
        // falls back to the source port, from the packet's own upward in 1024-65535: 56671; still only +dnat.
        var t = Trackers.Ovs();
        var first = Pkt.Tcp("10.222.1.48", 56670, "10.104.65.133", 80, TcpFlags.Syn, seq: 1);
        Assert.Equal(Pkt.NewTrk | CtStateFlags.DstNat, first.Ct(t, CommitNat(ToEndpoint)));
        var second = Pkt.Tcp("10.222.1.48", 56670, "192.168.77.101", 30080, TcpFlags.Syn, seq: 2);
        Assert.Equal(Pkt.NewTrk | CtStateFlags.DstNat, second.Ct(t, CommitNat(ToEndpoint)));
        Assert.Equal((Ipv4Address.Parse("10.222.2.34").Value, (ushort)56671, (ushort)80), (second.Key.NwDst, second.Key.TpSrc, second.Key.TpDst));
        AssertChecksumsValid(second);
        Assert.Equal(2, t.Count);
        Assert.Equal(0, t.Counters.NatExhausted);

        // backend2's answer to the remapped port is the second connection's, translated back to the NodePort and 56670.
        var synAck = Pkt.Tcp("10.222.2.34", 80, "10.222.1.48", 56671, TcpFlags.Syn | TcpFlags.Ack, seq: 7, ack: 3);
        Assert.Equal(Pkt.EstRplTrk | CtStateFlags.SrcNat, synAck.Ct(t, ApplyNat()));
        Assert.Equal((Ipv4Address.Parse("192.168.77.101").Value, (ushort)30080, (ushort)56670), (synAck.Key.NwSrc, synAck.Key.TpSrc, synAck.Key.TpDst));

        // The source ports below 1024 keep to their class: 600-1023 for 1000, so 1001 next.
        var low1 = Pkt.Udp("10.222.1.48", 1000, "10.104.65.133", 80);
        low1.Ct(t, CommitNat(ToEndpoint));
        var low2 = Pkt.Udp("10.222.1.48", 1000, "192.168.77.101", 30080);
        low2.Ct(t, CommitNat(ToEndpoint));
        Assert.Equal((ushort)1001, low2.Key.TpSrc);
    }

    [Fact]
    public void Address_range_hash_selection_is_reproducible_and_persistent_ignores_ports()
    {
        var range = new NatSpec(NatKind.Dnat, Ipv4Address.Parse("10.1.0.1"), Ipv4Address.Parse("10.1.0.200"), 80, 80, NatFlags.Persistent);
        var t = Trackers.Ovs();
        var chosen = new HashSet<uint>();
        for (ushort sport = 1000; sport < 1020; sport++)
        {
            var p = Pkt.Tcp("10.0.0.9", sport, "10.96.0.1", 80, TcpFlags.Syn);
            p.Ct(t, CommitNat(range));
            chosen.Add(p.Key.NwDst);
        }
        Assert.Single(chosen); // one client, one backend

        var hashed = new NatSpec(NatKind.Dnat, Ipv4Address.Parse("10.1.0.1"), Ipv4Address.Parse("10.1.0.200"), 80, 80, NatFlags.Hash);
        uint First(ConnectionTracker tr)
        {
            var p = Pkt.Tcp("10.0.0.9", 1234, "10.96.0.1", 80, TcpFlags.Syn);
            p.Ct(tr, CommitNat(hashed));
            return p.Key.NwDst;
        }
        Assert.Equal(First(Trackers.Ovs()), First(Trackers.Ovs()));
    }

    [Fact]
    public void Random_selection_spreads_over_the_range()
    {
        var t = Trackers.Ovs();
        var random = new NatSpec(NatKind.Dnat, Ipv4Address.Parse("10.1.0.1"), Ipv4Address.Parse("10.1.0.4"), 80, 80, NatFlags.Random);
        var chosen = new HashSet<uint>();
        for (ushort sport = 1000; sport < 1100; sport++)
        {
            var p = Pkt.Tcp("10.0.0.9", sport, "10.96.0.1", 80, TcpFlags.Syn);
            p.Ct(t, CommitNat(random));
            chosen.Add(p.Key.NwDst);
        }
        Assert.True(chosen.Count > 1);
    }

    [Fact]
    public void Icmp_echo_is_snatted_and_the_reply_restored()
    {
        var t = Trackers.Ovs();
        var req = Pkt.Echo("10.0.0.1", "8.8.8.8", reply: false, id: 77);
        Assert.Equal(Pkt.NewTrk | CtStateFlags.SrcNat, req.Ct(t, CommitNat(NatSpec.Snat(Ipv4Address.Parse("192.168.1.1")))));
        Assert.Equal(Ipv4Address.Parse("192.168.1.1").Value, req.Key.NwSrc);
        AssertChecksumsValid(req);
        var rep = Pkt.Echo("8.8.8.8", "192.168.1.1", reply: true, id: 77);
        Assert.Equal(Pkt.EstRplTrk | CtStateFlags.DstNat, rep.Ct(t, ApplyNat()));
        Assert.Equal(Ipv4Address.Parse("10.0.0.1").Value, rep.Key.NwDst);
        AssertChecksumsValid(rep);
    }

    [Fact]
    public void Icmp_error_about_a_dnatted_connection_is_related_and_its_embedded_header_restored()
    {
        var t = Trackers.Ovs();
        var udp = Pkt.Udp("10.222.1.48", 5000, "10.104.65.133", 53, payload: 8);
        udp.Ct(t, CommitNat(NatSpec.Dnat(Ipv4Address.Parse("10.222.2.34"), 5353)));
        // The endpoint answers "port unreachable" quoting the translated datagram.
        var quoted = udp.Frame.AsSpan(udp.Key.Layout.L3Offset).ToArray();
        var err = Pkt.Of(PacketBuilder.Icmp(Pkt.MacB, Pkt.MacA, Ipv4Address.Parse("10.222.2.34"), Ipv4Address.Parse("10.222.1.48"),
            3, 3, 0, quoted));
        var state = err.Ct(t, ApplyNat());
        Assert.Equal(CtStateFlags.Related | CtStateFlags.Reply | CtStateFlags.Tracked | CtStateFlags.SrcNat, state);
        Assert.Equal(Ipv4Address.Parse("10.104.65.133").Value, err.Key.NwSrc);
        int inner = err.Key.Layout.L4Offset + 8;
        Assert.Equal(Ipv4Address.Parse("10.104.65.133").Value, BinaryPrimitives.ReadUInt32BigEndian(err.Frame.AsSpan(inner + 16)));
        Assert.Equal(53, BinaryPrimitives.ReadUInt16BigEndian(err.Frame.AsSpan(inner + 20 + 2)));
        AssertChecksumsValid(err);
        Assert.Equal(0, Checksum.Fold(Checksum.Add(err.Frame.AsSpan(inner, 20)))); // embedded IP header
    }

    [Theory]
    [InlineData("", "nat")]
    [InlineData("dst=10.222.2.34:80", "nat(dst=10.222.2.34:80)")]
    [InlineData("src=10.0.0.1-10.0.0.9:1000-2000,random", "nat(src=10.0.0.1-10.0.0.9:1000-2000,random)")]
    [InlineData("src=10.0.0.1,hash,persistent", "nat(src=10.0.0.1,persistent,hash)")]
    [InlineData("src", "nat(src)")]
    [InlineData("dst=", "nat(dst)")]
    [InlineData("src,random", "nat(src)")] // format_NAT prints the flags only after an address
    public void NatSpec_parses_and_prints_as_ovs_ofctl(string text, string printed)
    {
        Assert.True(NatSpec.TryParse(text, out var spec, out var error), error);
        Assert.Equal(printed, spec!.ToString());
    }

    [Theory]
    [InlineData("dst=10.0.0.300")]
    [InlineData("src=10.0.0.9-10.0.0.1")]
    [InlineData("dst=10.0.0.1,random,hash")]
    [InlineData("random")]
    [InlineData("src,dst")]
    [InlineData("src=10.0.0.1,dst=10.0.0.2")]
    public void NatSpec_rejects_bad_text_with_a_message(string text)
    {
        Assert.False(NatSpec.TryParse(text, out _, out var error));
        Assert.StartsWith("nat:", error);
    }
}
