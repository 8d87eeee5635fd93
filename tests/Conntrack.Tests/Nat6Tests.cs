using System.Buffers.Binary;
using Datapath.Packets;

namespace Datapath.Conntrack.Tests;

/// <summary>
/// ct(nat) on IPv6, walked as AntreaProxy's IPv6 Service path: a client pod sends to the ClusterIP, EndpointDNAT
/// commits with nat(dst=[endpoint]:port) in zone 65520, the endpoint's answer is un-NATed by ct(nat); SNAT (the
/// ServiceMark / masquerade case) by nat(src=...). Every checksum is recomputed from scratch against what the
/// incremental rewrite left (the IPv6 pseudo-header covers TCP, UDP and ICMPv6).
/// </summary>
public class Nat6Tests
{
    private const ushort Zone = 65520;
    private static readonly Ipv6Address Client = Ipv6Address.Parse("fd00:10:222:1::48");
    private static readonly Ipv6Address ClusterIp = Ipv6Address.Parse("fd00:10:96::a");
    private static readonly Ipv6Address Endpoint = Ipv6Address.Parse("fd00:10:222:2::34");
    private static readonly Ipv6Address NodeIp = Ipv6Address.Parse("fd00:192:168:77::100");
    private static readonly Ipv6Address Router = Ipv6Address.Parse("fd00:192:168:77::1");
    private static readonly Ipv6Address Internet = Ipv6Address.Parse("2001:db8::8");

    private static CtCommand CommitNat(NatSpec nat) => new(Zone, commit: true) { Nat = nat };

    private static CtCommand ApplyNat() => new(Zone) { Nat = NatSpec.ApplyExisting };

    private static Pkt Tcp6(Ipv6Address src, ushort sport, Ipv6Address dst, ushort dport, TcpFlags flags, uint seq = 0, uint ack = 0)
        => Pkt.Of(PacketBuilder.Tcp6(Pkt.MacA, Pkt.MacB, src, dst, sport, dport, flags, seq, ack, payload: new byte[6]));

    private static Pkt Udp6(Ipv6Address src, ushort sport, Ipv6Address dst, ushort dport)
        => Pkt.Of(PacketBuilder.Udp6(Pkt.MacA, Pkt.MacB, src, dst, sport, dport, new byte[10]));

    private static Pkt Echo6(Ipv6Address src, Ipv6Address dst, bool reply, ushort id)
        => Pkt.Of(PacketBuilder.Icmpv6Echo(Pkt.MacA, Pkt.MacB, src, dst, reply, id, 1, new byte[8]));

    /// <summary>An ICMPv6 error (type, code, the 32-bit word after the checksum) from <paramref name="src"/> quoting <paramref name="quoted"/>'s IPv6 packet.</summary>
    private static Pkt Error6(Ipv6Address src, Ipv6Address dst, byte type, byte code, uint word, Pkt quoted)
    {
        var inner = quoted.Frame.AsSpan(quoted.Key.Layout.L3Offset);
        var l4 = new byte[8 + inner.Length];
        l4[0] = type;
        l4[1] = code;
        BinaryPrimitives.WriteUInt32BigEndian(l4.AsSpan(4), word);
        inner.CopyTo(l4.AsSpan(8));
        return Pkt.Of(PacketBuilder.Ipv6(Pkt.MacB, Pkt.MacA, src, dst, IpProtocols.Icmpv6, l4));
    }

    private static UInt128 Addr(ReadOnlySpan<byte> frame, int at) => BinaryPrimitives.ReadUInt128BigEndian(frame[at..]);

    /// <summary>The transport checksum of the IPv6 packet at <paramref name="l3"/> (no extension headers) is right.</summary>
    private static void AssertTransportChecksumValid(ReadOnlySpan<byte> frame, int l3)
    {
        byte proto = frame[l3 + 6];
        int length = BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + 4)..]);
        var segment = frame.Slice(l3 + 40, length);
        int at = Checksum.ChecksumOffset(proto);
        Assert.Equal(Checksum.TransportV6(segment, new Ipv6Address(Addr(frame, l3 + 8)), new Ipv6Address(Addr(frame, l3 + 24)), proto),
            BinaryPrimitives.ReadUInt16BigEndian(segment[at..]));
    }

    private static void AssertRewrittenKeyIsTheFrames(Pkt p)
    {
        FlowKey.Extract(p.Frame, 1, out var reparsed);
        Assert.Equal((reparsed.Ipv6Src, reparsed.Ipv6Dst, reparsed.TpSrc, reparsed.TpDst), (p.Key.Ipv6Src, p.Key.Ipv6Dst, p.Key.TpSrc, p.Key.TpDst));
        AssertTransportChecksumValid(p.Frame, p.Key.Layout.L3Offset);
    }

    [Fact]
    public void EndpointDNAT_of_a_tcp6_syn_to_the_cluster_ip_and_the_syn_ack_restored()
    {
        var t = Trackers.Ovs();
        var syn = Tcp6(Client, 40000, ClusterIp, 80, TcpFlags.Syn, seq: 1000);
        Assert.Equal(Pkt.NewTrk | CtStateFlags.DstNat, syn.Ct(t, CommitNat(NatSpec.Dnat(Endpoint, 8080))));
        Assert.Equal((Client, Endpoint, (ushort)40000, (ushort)8080), (syn.Key.Ipv6Src, syn.Key.Ipv6Dst, syn.Key.TpSrc, syn.Key.TpDst));
        AssertRewrittenKeyIsTheFrames(syn);

        var synAck = Tcp6(Endpoint, 8080, Client, 40000, TcpFlags.Syn | TcpFlags.Ack, seq: 7, ack: 1001);
        Assert.Equal(Pkt.EstRplTrk | CtStateFlags.SrcNat, synAck.Ct(t, ApplyNat()));
        Assert.Equal((ClusterIp, Client, (ushort)80, (ushort)40000), (synAck.Key.Ipv6Src, synAck.Key.Ipv6Dst, synAck.Key.TpSrc, synAck.Key.TpDst));
        AssertRewrittenKeyIsTheFrames(synAck);
        Assert.Equal(
            "tcp,orig=(src=fd00:10:222:1::48,dst=fd00:10:96::a,sport=40000,dport=80),reply=(src=fd00:10:222:2::34,dst=fd00:10:222:1::48,sport=8080,dport=40000),zone=65520,protoinfo=(state=ESTABLISHED)",
            Assert.Single(t.Dump()));
    }

    [Fact]
    public void Udp6_snat_to_a_port_range_and_the_reply_un_natted()
    {
        var t = Trackers.Ovs();
        var query = Udp6(Client, 5353, Internet, 53);
        var snat = new NatSpec(NatKind.Snat, NodeIp, NodeIp, 1500, 1500);
        Assert.Equal(Pkt.NewTrk | CtStateFlags.SrcNat, query.Ct(t, CommitNat(snat)));
        Assert.Equal((NodeIp, (ushort)1500, Internet, (ushort)53), (query.Key.Ipv6Src, query.Key.TpSrc, query.Key.Ipv6Dst, query.Key.TpDst));
        AssertRewrittenKeyIsTheFrames(query);

        var answer = Udp6(Internet, 53, NodeIp, 1500);
        Assert.Equal(Pkt.EstRplTrk | CtStateFlags.DstNat, answer.Ct(t, ApplyNat()));
        Assert.Equal((Internet, Client, (ushort)5353), (answer.Key.Ipv6Src, answer.Key.Ipv6Dst, answer.Key.TpDst));
        AssertRewrittenKeyIsTheFrames(answer);

        // The port range holds one port: a second client's query finds no free tuple and is not committed.
        var other = Udp6(Ipv6Address.Parse("fd00:10:222:1::49"), 5353, Internet, 53);
        Assert.Equal(Pkt.NewTrk, other.Ct(t, CommitNat(snat)));
        Assert.Equal(1, t.Count);
    }

    [Fact]
    public void Icmpv6_echo_snatted_keeps_its_identifier_and_the_reply_is_restored()
    {
        var t = Trackers.Ovs();
        var ping = Echo6(Client, Internet, reply: false, id: 77);
        Assert.Equal(Pkt.NewTrk | CtStateFlags.SrcNat, ping.Ct(t, CommitNat(NatSpec.Snat(NodeIp))));
        Assert.Equal(NodeIp, ping.Key.Ipv6Src);
        Assert.Equal(77, BinaryPrimitives.ReadUInt16BigEndian(ping.Frame.AsSpan(ping.Key.Layout.L4Offset + 4)));
        AssertTransportChecksumValid(ping.Frame, ping.Key.Layout.L3Offset);

        var pong = Echo6(Internet, NodeIp, reply: true, id: 77);
        Assert.Equal(Pkt.EstRplTrk | CtStateFlags.DstNat, pong.Ct(t, ApplyNat()));
        Assert.Equal(Client, pong.Key.Ipv6Dst);
        AssertTransportChecksumValid(pong.Frame, pong.Key.Layout.L3Offset);
    }

    [Fact]
    public void Port_unreachable_from_the_endpoint_is_related_and_quotes_the_cluster_ip_again()
    {
        var t = Trackers.Ovs();
        var query = Udp6(Client, 5000, ClusterIp, 53);
        query.Ct(t, CommitNat(NatSpec.Dnat(Endpoint, 5353)));
        // The endpoint answers "port unreachable" (type 1 code 4) quoting the datagram it received: to the endpoint's port.
        var error = Error6(Endpoint, Client, 1, 4, 0, query);
        Assert.Equal(CtStateFlags.Related | CtStateFlags.Reply | CtStateFlags.Tracked | CtStateFlags.SrcNat, error.Ct(t, ApplyNat()));
        Assert.Equal((ClusterIp, Client), (error.Key.Ipv6Src, error.Key.Ipv6Dst));
        int inner = error.Key.Layout.L4Offset + 8;
        Assert.Equal((Client.Value, ClusterIp.Value), (Addr(error.Frame, inner + 8), Addr(error.Frame, inner + 24)));
        Assert.Equal((5000, 53), (BinaryPrimitives.ReadUInt16BigEndian(error.Frame.AsSpan(inner + 40)), BinaryPrimitives.ReadUInt16BigEndian(error.Frame.AsSpan(inner + 42))));
        AssertTransportChecksumValid(error.Frame, inner);                       // the quoted datagram's UDP checksum
        AssertTransportChecksumValid(error.Frame, error.Key.Layout.L3Offset);   // the ICMPv6 checksum over all of it
    }

    [Fact]
    public void Packet_too_big_about_a_dnatted_tcp6_segment_keeps_its_mtu_and_quotes_the_cluster_ip()
    {
        var t = Trackers.Ovs();
        var syn = Tcp6(Client, 40000, ClusterIp, 80, TcpFlags.Syn, seq: 1000);
        syn.Ct(t, CommitNat(NatSpec.Dnat(Endpoint, 8080)));
        var synAck = Tcp6(Endpoint, 8080, Client, 40000, TcpFlags.Syn | TcpFlags.Ack, seq: 7, ack: 1001);
        synAck.Ct(t, ApplyNat());
        var error = Error6(Endpoint, Client, 2, 0, 1280, syn);
        Assert.Equal(CtStateFlags.Related | CtStateFlags.Reply | CtStateFlags.Tracked | CtStateFlags.SrcNat, error.Ct(t, ApplyNat()));
        int icmp = error.Key.Layout.L4Offset, inner = icmp + 8;
        Assert.Equal(1280u, BinaryPrimitives.ReadUInt32BigEndian(error.Frame.AsSpan(icmp + 4)));
        Assert.Equal((Client.Value, ClusterIp.Value), (Addr(error.Frame, inner + 8), Addr(error.Frame, inner + 24)));
        Assert.Equal(80, BinaryPrimitives.ReadUInt16BigEndian(error.Frame.AsSpan(inner + 42)));
        AssertTransportChecksumValid(error.Frame, inner);
        AssertTransportChecksumValid(error.Frame, error.Key.Layout.L3Offset);
        Assert.Equal(ClusterIp, error.Key.Ipv6Src);
    }

    [Fact]
    public void Time_exceeded_from_a_router_about_a_snatted_echo_goes_back_to_the_pod_and_keeps_the_router_as_source()
    {
        var t = Trackers.Ovs();
        var ping = Echo6(Client, Internet, reply: false, id: 9);
        ping.Ct(t, CommitNat(NatSpec.Snat(NodeIp)));
        var error = Error6(Router, NodeIp, 3, 0, 0, ping);
        Assert.Equal(CtStateFlags.Related | CtStateFlags.Reply | CtStateFlags.Tracked | CtStateFlags.DstNat, error.Ct(t, ApplyNat()));
        Assert.Equal((Router, Client), (error.Key.Ipv6Src, error.Key.Ipv6Dst));
        int inner = error.Key.Layout.L4Offset + 8;
        Assert.Equal((Client.Value, Internet.Value), (Addr(error.Frame, inner + 8), Addr(error.Frame, inner + 24)));
        AssertTransportChecksumValid(error.Frame, inner);                       // the quoted echo's checksum covers its pseudo-header
        AssertTransportChecksumValid(error.Frame, error.Key.Layout.L3Offset);
    }

    [Fact]
    public void An_ipv6_range_chooses_among_its_addresses_and_an_ipv4_range_binds_no_ipv6_connection()
    {
        var t = Trackers.Ovs();
        var range = new NatSpec(NatKind.Dnat, Ipv6Address.Parse("fd00:10:222:2::1"), Ipv6Address.Parse("fd00:10:222:2::4"), 80, 80);
        var chosen = new HashSet<Ipv6Address>();
        for (ushort port = 1000; port < 1040; port++)
        {
            var syn = Tcp6(Client, port, ClusterIp, 80, TcpFlags.Syn);
            Assert.Equal(Pkt.NewTrk | CtStateFlags.DstNat, syn.Ct(t, CommitNat(range)));
            Assert.InRange(syn.Key.Ipv6Dst.Value, range.Ipv6Min.Value, range.Ipv6Max.Value);
            chosen.Add(syn.Key.Ipv6Dst);
        }
        Assert.True(chosen.Count > 1);

        var v4 = Tcp6(Client, 2000, ClusterIp, 80, TcpFlags.Syn);
        Assert.Equal(Pkt.NewTrk, v4.Ct(t, CommitNat(NatSpec.Dnat(Ipv4Address.Parse("10.222.2.34"), 80))));
        Assert.Equal(ClusterIp, v4.Key.Ipv6Dst);
    }

    [Fact]
    public void Natted_ipv6_packets_allocate_nothing()
    {
        var t = Trackers.Ovs();
        var syn = Tcp6(Client, 40000, ClusterIp, 80, TcpFlags.Syn, seq: 1000);
        syn.Ct(t, CommitNat(NatSpec.Dnat(Endpoint, 8080)));
        var synAck = Tcp6(Endpoint, 8080, Client, 40000, TcpFlags.Syn | TcpFlags.Ack, seq: 7, ack: 1001);
        var ack = Tcp6(Client, 40000, ClusterIp, 80, TcpFlags.Ack, seq: 1001, ack: 8);
        var error = Error6(Endpoint, Client, 2, 0, 1280, Tcp6(Client, 40000, Endpoint, 8080, TcpFlags.Ack, seq: 1001, ack: 8));
        byte[][] templates = [(byte[])synAck.Frame.Clone(), (byte[])ack.Frame.Clone(), (byte[])error.Frame.Clone()];
        Pkt[] packets = [synAck, ack, error];
        var cmd = new CtCommand(Zone, commit: true) { Nat = NatSpec.ApplyExisting };
        long best = long.MaxValue;
        for (int round = 0; round < 4 && best != 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 300; i++)
            {
                for (int p = 0; p < packets.Length; p++)
                {
                    templates[p].CopyTo(packets[p].Frame, 0);
                    FlowKey.Extract(packets[p].Frame, 1, out packets[p].Key);
                    t.Execute(ref packets[p].Key, packets[p].Frame, cmd, i);
                }
            }
            // The first round tiers methods up (the runtime may allocate then); a steady state allocates nothing.
            if (round > 0)
                best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, best);
        Assert.Equal(Endpoint, ack.Key.Ipv6Dst);
        Assert.Equal(ClusterIp, synAck.Key.Ipv6Src);
        Assert.Equal(ClusterIp, Ipv6Address.Read(error.Frame.AsSpan(error.Key.Layout.L4Offset + 8 + 24)));
    }

    [Theory]
    [InlineData("src=fd00::1", "nat(src=fd00::1)")]
    [InlineData("src=[fd00::1]", "nat(src=fd00::1)")]
    [InlineData("dst=[fd00::1]:80", "nat(dst=[fd00::1]:80)")]
    [InlineData("dst=fd00::1:80", "nat(dst=fd00::1:80)")] // one address: a port after an IPv6 address needs brackets
    [InlineData("src=[fd00::1]-[fd00::5]:1000-2000", "nat(src=[fd00::1]-[fd00::5]:1000-2000)")]
    [InlineData("src=fd00::1-[fd00::5]:80", "nat(src=[fd00::1]-[fd00::5]:80)")]
    [InlineData("src=fd00::1-fd00::5", "nat(src=fd00::1-fd00::5)")]
    [InlineData("src=fd00::1-fd00::1", "nat(src=fd00::1)")]
    [InlineData("src=FD00:0:0:0::A,hash", "nat(src=fd00::a,hash)")]
    [InlineData("src=[fd00::1]:80-90,random,persistent", "nat(src=[fd00::1]:80-90,persistent,random)")]
    [InlineData("src=[fd00::1]:0", "nat(src=fd00::1)")]
    [InlineData("dst=10.0.0.1:0", "nat(dst=10.0.0.1)")]
    [InlineData("src=::", "nat(src)")]
    [InlineData("dst=0.0.0.0", "nat(dst)")]
    [InlineData("src=fd00::1:", "nat(src)")] // OVS's scan consumes it, inet_pton refuses it: no address
    public void Ipv6_nat_ranges_parse_and_print_as_ovs_ofctl(string text, string printed)
    {
        Assert.True(NatSpec.TryParse(text, out var spec, out var error), error);
        Assert.Equal(printed, spec!.ToString());
    }

    [Theory]
    [InlineData("src=fd00::1-fd00::5:1000-2000", "nat: garbage (-2000) after nat range \"fd00::1-fd00::5:1000-2000\" (pos: 20)")]
    [InlineData("src=fd00::5-fd00::1", "nat: invalid nat range \"fd00::5-fd00::1\"")]
    [InlineData("src=[fd00::1", "nat: garbage ([fd00::1) after nat range \"[fd00::1\" (pos: 0)")]
    [InlineData("src=[fd00::1]:", "nat: invalid nat range \"[fd00::1]:\"")]
    [InlineData("src=[fd00::1]-", "nat: invalid nat range \"[fd00::1]-\"")]
    [InlineData("src=fd00::gg", "nat: garbage (gg) after nat range \"fd00::gg\" (pos: 6)")]
    [InlineData("src=[::]:80", "nat: a port range needs an address (OFPBAC_BAD_ARGUMENT)")]
    public void Bad_ipv6_nat_ranges_are_refused_in_ovs_ofctl_words(string text, string error)
    {
        Assert.False(NatSpec.TryParse(text, out _, out var e));
        Assert.Equal(error, e);
    }
}
