using Datapath.Packets;

namespace Datapath.Conntrack.Tests;

/// <summary>
/// The host stack's use, with kernel semantics: kube-proxy's DNAT of the service
/// 10.104.65.133:80 to 10.222.2.34:80 in PREROUTING, MASQUERADE to 10.10.0.1 in POSTROUTING.
/// </summary>
public class NetfilterApiTests
{
    private const ushort HostZone = 0;
    private static readonly Ipv4Address Vip = Ipv4Address.Parse("10.104.65.133");
    private static readonly Ipv4Address Endpoint = Ipv4Address.Parse("10.222.2.34");
    private static readonly Ipv4Address NodeIp = Ipv4Address.Parse("10.10.0.1");

    private static ConnectionTracker Host() => new(new ConntrackOptions { Seed = 1, ZonePolicies = { [HostZone] = TimeoutPolicy.KubeProxy } });

    [Fact]
    public void First_packet_is_new_and_unconfirmed_then_dnat_masquerade_and_confirm()
    {
        var t = Host();
        var syn = Pkt.Tcp("10.222.1.48", 56670, Vip.ToString(), 80, TcpFlags.Syn, 100);
        var ct = t.NfLookup(ref syn.Key, syn.Frame, HostZone, 0);
        Assert.Equal(NfCtState.New, ct.State);
        Assert.False(ct.IsConfirmed);
        Assert.Equal(Vip, ct.Original.Dst4); // --ctorigdst
        Assert.Equal(0, t.Count);

        Assert.True(t.NfSetupNat(ct, NatSpec.Dnat(Endpoint, 80), 0));            // nat PREROUTING -j DNAT
        t.NfApplyNat(ct, ref syn.Key, syn.Frame, NatManip.Destination);
        Assert.Equal(Endpoint.Value, syn.Key.NwDst);
        Assert.True(t.NfSetupNat(ct, NatSpec.Snat(NodeIp), 0));                  // nat POSTROUTING -j MASQUERADE
        t.NfApplyNat(ct, ref syn.Key, syn.Frame, NatManip.Source);
        Assert.Equal(NodeIp.Value, syn.Key.NwSrc);
        ConnectionTracker.NfSetMark(ct, 0x4000, 0x4000);
        Assert.True(t.NfConfirm(ct, 0, out ct));
        Assert.True(ct.IsConfirmed);
        Assert.Equal(CtStateFlags.SrcNat | CtStateFlags.DstNat, ct.NatStatus);
        Assert.Equal(
            "tcp,orig=(src=10.222.1.48,dst=10.104.65.133,sport=56670,dport=80),reply=(src=10.222.2.34,dst=10.10.0.1,sport=80,dport=56670),mark=16384,protoinfo=(state=SYN_SENT)",
            Assert.Single(t.Dump()));

        // The reply: ESTABLISHED, un-SNAT before routing, un-DNAT after.
        var synAck = Pkt.Tcp(Endpoint.ToString(), 80, NodeIp.ToString(), 56670, TcpFlags.Syn | TcpFlags.Ack, 7, 101);
        var rct = t.NfLookup(ref synAck.Key, synAck.Frame, HostZone, 1);
        Assert.Equal(NfCtState.Established, rct.State);
        Assert.True(rct.IsReply);
        Assert.Equal(0x4000u, rct.Mark);
        t.NfApplyNat(rct, ref synAck.Key, synAck.Frame, NatManip.Destination);
        Assert.Equal(Ipv4Address.Parse("10.222.1.48").Value, synAck.Key.NwDst);
        t.NfApplyNat(rct, ref synAck.Key, synAck.Frame, NatManip.Source);
        Assert.Equal(Vip.Value, synAck.Key.NwSrc);
        Assert.Equal(TcpState.SynRecv, rct.TcpState);

        // The client's ACK: ESTABLISHED and translated like the SYN.
        var ack = Pkt.Tcp("10.222.1.48", 56670, Vip.ToString(), 80, TcpFlags.Ack, 101, 8);
        var act = t.NfLookup(ref ack.Key, ack.Frame, HostZone, 2);
        Assert.Equal(NfCtState.Established, act.State);
        t.NfApplyNat(act, ref ack.Key, ack.Frame, NatManip.Destination);
        t.NfApplyNat(act, ref ack.Key, ack.Frame, NatManip.Source);
        Assert.Equal((Endpoint.Value, NodeIp.Value), (ack.Key.NwDst, ack.Key.NwSrc));
        Assert.Equal(TcpState.Established, act.TcpState);
        Assert.Equal(2 + 86_400_000L, t.Entries().Single().ExpirationMs); // kube-proxy's 24 h
    }

    [Fact]
    public void Original_direction_packets_stay_new_until_a_reply_is_seen()
    {
        var t = Host();
        var a = Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2);
        var ct = t.NfLookup(ref a.Key, a.Frame, HostZone, 0);
        Assert.True(t.NfConfirm(ct, 0, out _));
        var b = Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2);
        Assert.Equal(NfCtState.New, t.NfLookup(ref b.Key, b.Frame, HostZone, 1).State);
        var r = Pkt.Udp("10.0.0.2", 2, "10.0.0.1", 1);
        Assert.Equal(NfCtState.Established, t.NfLookup(ref r.Key, r.Frame, HostZone, 2).State);
        var c = Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2);
        Assert.Equal(NfCtState.Established, t.NfLookup(ref c.Key, c.Frame, HostZone, 3).State);
        Assert.Equal(3 + 120_000L, t.Entries().Single().ExpirationMs); // udp_timeout_stream
    }

    [Fact]
    public void Invalid_and_related_states()
    {
        var t = Host();
        var synAck = Pkt.Tcp("10.0.0.2", 80, "10.0.0.1", 1000, TcpFlags.Syn | TcpFlags.Ack, 5, 6);
        var inv = t.NfLookup(ref synAck.Key, synAck.Frame, HostZone, 0);
        Assert.Equal(NfCtState.Invalid, inv.State);
        Assert.False(inv.HasConnection);

        var udp = Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2);
        Assert.True(t.NfConfirm(t.NfLookup(ref udp.Key, udp.Frame, HostZone, 0), 0, out _));
        var quoted = udp.Frame.AsSpan(udp.Key.Layout.L3Offset).ToArray();
        var err = Pkt.Of(PacketBuilder.Icmp(Pkt.MacB, Pkt.MacA, Ipv4Address.Parse("10.0.0.2"), Ipv4Address.Parse("10.0.0.1"), 3, 3, 0, quoted));
        var rel = t.NfLookup(ref err.Key, err.Frame, HostZone, 1);
        Assert.Equal(NfCtState.Related, rel.State);
        Assert.Equal(Ipv4Address.Parse("10.0.0.2"), rel.Original.Dst4);
    }

    [Fact]
    public void Confirm_fails_when_another_connection_took_the_reply_tuple()
    {
        var t = Host();
        var first = Pkt.Udp("10.0.0.1", 1000, "10.96.0.10", 53);
        var ct1 = t.NfLookup(ref first.Key, first.Frame, HostZone, 0);
        t.NfSetupNat(ct1, NatSpec.Dnat(Ipv4Address.Parse("10.0.0.53"), 53), 0);
        // A second flow whose plain reply tuple equals the first one's (both unconfirmed so far).
        var second = Pkt.Udp("10.0.0.1", 1000, "10.0.0.53", 53);
        var ct2 = t.NfLookup(ref second.Key, second.Frame, HostZone, 0);
        Assert.True(t.NfConfirm(ct1, 0, out _));
        Assert.False(t.NfConfirm(ct2, 0, out _));
        Assert.Equal(1, t.Counters.InsertConflict);
    }

    [Fact]
    public void Zones_are_separate_tables()
    {
        var t = Host();
        var a = Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2);
        t.NfConfirm(t.NfLookup(ref a.Key, a.Frame, HostZone, 0), 0, out _);
        var b = Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2);
        Assert.Equal(Pkt.NewTrk, b.Ct(t, Pkt.Lookup(65520)));
    }
}
