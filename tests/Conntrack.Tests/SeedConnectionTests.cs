using Datapath.Packets;

namespace Datapath.Conntrack.Tests;

/// <summary>
/// The connections of the seed walk (seeds 001/002, src/Antrea/Scenario): the frontend pod
/// 10.222.1.48:56670 opens TCP to the service 10.104.65.133:80, whose endpoint is 10.222.2.34:80.
/// Antrea's table 30 runs ct(table=31,zone=65520) (lookup), table 105 ct(commit,zone=65520,
/// exec(load:0x20->NXM_NX_CT_MARK[])), and table 31 matches ct_mark=0x20 on replies.
/// </summary>
public class SeedConnectionTests
{
    private const ushort AntreaZone = 65520;

    private static Pkt Syn() => Pkt.Of(PacketBuilder.Tcp(Pkt.MacA, Pkt.MacB,
        Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.104.65.133"), 56670, 80, TcpFlags.Syn,
        seq: 569506855, window: 64860, options: PacketBuilder.LinuxSynOptions(1410, 3688671724, 0, 7)));

    private static Pkt SynAckFromService() => Pkt.Of(PacketBuilder.Tcp(Pkt.MacB, Pkt.MacA,
        Ipv4Address.Parse("10.104.65.133"), Ipv4Address.Parse("10.222.1.48"), 80, 56670, TcpFlags.Syn | TcpFlags.Ack,
        seq: 1000, ack: 569506856, window: 65160, options: PacketBuilder.LinuxSynOptions(1410, 1, 3688671724, 7)));

    private static CtCommand CommitWithMark() => new(AntreaZone, commit: true) { Mark = 0x20, MarkMask = 0xffffffff };

    [Fact]
    public void Frontend_syn_lookup_is_new_and_tracked_and_stores_nothing()
    {
        var t = Trackers.Ovs();
        var syn = Syn();
        Assert.Equal(Pkt.NewTrk, syn.Ct(t, Pkt.Lookup(AntreaZone)));
        Assert.Equal(AntreaZone, syn.Key.CtZone);
        Assert.Equal(0u, syn.Key.CtMark);
        Assert.Equal(0, t.Count);
    }

    [Fact]
    public void Frontend_syn_commit_is_new_and_tracked_and_stored_in_zone_65520()
    {
        var t = Trackers.Ovs();
        var syn = Syn();
        syn.Ct(t, Pkt.Lookup(AntreaZone));
        Assert.Equal(Pkt.NewTrk, syn.Ct(t, CommitWithMark()));
        Assert.Equal(1, t.Count);
        Assert.Equal(1, t.CountInZone(AntreaZone));
        Assert.Equal(0x20u, syn.Key.CtMark);
        Assert.Equal(Ipv4Address.Parse("10.222.1.48").Value, syn.Key.CtNwSrc);
        Assert.Equal(Ipv4Address.Parse("10.104.65.133").Value, syn.Key.CtNwDst);
        Assert.Equal((ushort)56670, syn.Key.CtTpSrc);
        Assert.Equal((ushort)80, syn.Key.CtTpDst);
        Assert.Equal(IpProtocols.Tcp, syn.Key.CtNwProto);
        Assert.Equal(
            "tcp,orig=(src=10.222.1.48,dst=10.104.65.133,sport=56670,dport=80),reply=(src=10.104.65.133,dst=10.222.1.48,sport=80,dport=56670),zone=65520,mark=32,protoinfo=(state=SYN_SENT)",
            Assert.Single(t.Dump()));
    }

    [Fact]
    public void Syn_ack_reply_is_established_reply_tracked_and_carries_the_mark_set_at_commit()
    {
        var t = Trackers.Ovs();
        Syn().Ct(t, CommitWithMark());
        var synAck = SynAckFromService();
        // Table 30 on the way back: ct(table=31,zone=65520); table 31 matches ct_state=-new+trk,ct_mark=0x20.
        Assert.Equal(Pkt.EstRplTrk, synAck.Ct(t, Pkt.Lookup(AntreaZone)));
        Assert.Equal(0x20u, synAck.Key.CtMark);
        Assert.Equal(Ipv4Address.Parse("10.222.1.48").Value, synAck.Key.CtNwSrc); // original direction
        Assert.Equal(1, t.Count);
    }

    [Fact]
    public void Second_commit_of_an_established_connection_keeps_it_and_sets_the_mark_under_the_mask()
    {
        var t = Trackers.Ovs();
        Syn().Ct(t, Pkt.Commit(AntreaZone));
        var again = Syn();
        var cmd = new CtCommand(AntreaZone, commit: true) { Mark = 0x2f, MarkMask = 0x0f, Label = 0x1234, LabelMask = 0xff00 };
        Assert.Equal(Pkt.NewTrk, again.Ct(t, cmd)); // OVS userspace: a SYN again before any reply is still +new (CT_UPDATE_VALID_NEW)
        Assert.Equal(0x0fu, again.Key.CtMark);
        Assert.Equal((UInt128)0x1200, again.Key.CtLabel);
        Assert.Equal(1, t.Count);
    }
}
