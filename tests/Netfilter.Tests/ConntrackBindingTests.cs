using Datapath.Conntrack;
using Datapath.Packets;

namespace Datapath.Netfilter.Tests;

/// <summary>The full DNAT / un-DNAT path of worker1's kube-proxy rules through Datapath.Conntrack (zone 0).</summary>
public sealed class ConntrackBindingTests
{
    private static (NetfilterEngine Engine, ConnectionTracker Tracker) Worker1(ulong seed, bool tcpLoose = true)
    {
        var tracker = new ConnectionTracker(new ConntrackOptions { DefaultPolicy = TimeoutPolicy.KubeProxy, TcpLoose = tcpLoose });
        var engine = new NetfilterEngine(IptablesSaveParser.ParseFile(RepoPaths.Scenario("worker1.iptables")), new NetfilterEngineOptions
        {
            Sets = Harness.Sets(),
            RandomSeed = seed,
            Conntrack = new ConntrackNatBinding(tracker),
            Host = new StaticNetfilterHost().AddAddress("antrea-gw0", Packets.Ip("10.222.1.1"), 24).AddAddress("ens160", Packets.Ip("10.79.1.201"), 24),
        });
        return (engine, tracker);
    }

    /// <summary>A forwarded packet: PREROUTING, FORWARD, POSTROUTING, as the host stack runs them.</summary>
    private static (NetfilterVerdict Verdict, List<string> Trace) Forward(NetfilterEngine engine, byte[] frame, string inIf, string outIf, long now)
    {
        FlowKey.Extract(frame, 2, out var key);
        var trace = new List<NetfilterTraceStep>();
        var packet = new NetfilterPacket(ref key, frame) { InInterface = inIf, NowMs = now, Trace = trace };
        var v = engine.Run(NetfilterHook.Prerouting, ref packet);
        if (v == NetfilterVerdict.Accept)
        {
            packet.OutInterface = outIf;
            v = engine.Run(NetfilterHook.Forward, ref packet);
        }
        if (v == NetfilterVerdict.Accept)
            v = engine.Run(NetfilterHook.Postrouting, ref packet);
        return (v, trace.ConvertAll(s => s.ToString()));
    }

    private static FlowKey KeyOf(byte[] frame)
    {
        FlowKey.Extract(frame, 2, out var key);
        return key;
    }

    [Fact]
    public void Syn_is_dnated_the_syn_ack_is_un_dnated_and_later_packets_skip_the_nat_table()
    {
        var (engine, tracker) = Worker1(seed: 5);

        var syn = Packets.TcpFrame("10.222.1.48", 43210, "10.104.65.133", 80, TcpFlags.Syn);
        var (v1, t1) = Forward(engine, syn, "antrea-gw0", "antrea-gw0", 1000);
        Assert.Equal(NetfilterVerdict.Accept, v1);
        Assert.Contains("nat:KUBE-SERVICES:rule:10:JUMP:KUBE-SVC-EKL7ZEFK3VFJKKGJ", t1);
        var synKey = KeyOf(syn);
        string backend = new Ipv4Address(synKey.NwDst).ToString();
        Assert.Contains(backend, new[] { "10.222.1.47", "10.222.2.34" });
        Assert.Equal(80, synKey.TpDst);
        Assert.True(Checksums.Valid(syn));
        Assert.Equal(1, tracker.Count);

        var synAck = Packets.TcpFrame(backend, 80, "10.222.1.48", 43210, TcpFlags.Syn | TcpFlags.Ack);
        var (v2, t2) = Forward(engine, synAck, "antrea-gw0", "antrea-gw0", 1001);
        Assert.Equal(NetfilterVerdict.Accept, v2);
        Assert.Equal("nat:PREROUTING:binding:APPLY", t2[0]);
        Assert.Contains("filter:KUBE-FORWARD:rule:3:ACCEPT", t2);
        var replyKey = KeyOf(synAck);
        Assert.Equal(Packets.Ip("10.104.65.133"), replyKey.NwSrc);
        Assert.Equal(80, replyKey.TpSrc);
        Assert.Equal(Packets.Ip("10.222.1.48"), replyKey.NwDst);
        Assert.True(Checksums.Valid(synAck));

        var ack = Packets.TcpFrame("10.222.1.48", 43210, "10.104.65.133", 80, TcpFlags.Ack);
        var (v3, t3) = Forward(engine, ack, "antrea-gw0", "antrea-gw0", 1002);
        Assert.Equal(NetfilterVerdict.Accept, v3);
        Assert.DoesNotContain(t3, s => s.Contains("KUBE-SERVICES", StringComparison.Ordinal));
        Assert.Equal(backend, new Ipv4Address(KeyOf(ack).NwDst).ToString());
        Assert.Equal(1, engine.Rules.Nat!.GetChain("KUBE-SERVICES").Rules[9].Packets);
        Assert.Equal(1, tracker.Count);
    }

    [Fact]
    public void The_key_carries_ctstate_and_original_destination_for_conntrack_matches()
    {
        var (engine, _) = Worker1(seed: 5);
        var syn = Packets.TcpFrame("10.222.1.48", 43211, "10.104.65.133", 80, TcpFlags.Syn);
        var key = KeyOf(syn);
        var packet = new NetfilterPacket(ref key, syn) { InInterface = "antrea-gw0", NowMs = 5 };
        engine.Run(NetfilterHook.Prerouting, ref packet);
        Assert.Equal((uint)(CtStateFlags.Tracked | CtStateFlags.New), key.CtState & 0x3F);
        Assert.Equal(Packets.Ip("10.104.65.133"), key.CtNwDst);
        Assert.Equal(80, key.CtTpDst);
        Assert.Equal(Packets.Ip("10.222.1.48"), key.CtNwSrc);
    }

    [Fact]
    public void Masquerade_binds_snat_on_the_first_packet_and_reverses_it_on_replies()
    {
        var (engine, _) = Worker1(seed: 5);
        var syn = Packets.TcpFrame("10.222.1.48", 40000, "93.184.216.34", 443, TcpFlags.Syn);
        var (v, trace) = Forward(engine, syn, "antrea-gw0", "ens160", 10);
        Assert.Equal(NetfilterVerdict.Accept, v);
        Assert.Contains("nat:ANTREA-POSTROUTING:rule:1:MASQUERADE", trace);
        var out1 = KeyOf(syn);
        Assert.Equal(Packets.Ip("10.79.1.201"), out1.NwSrc);
        Assert.True(Checksums.Valid(syn));

        var synAck = Packets.TcpFrame("93.184.216.34", 443, "10.79.1.201", out1.TpSrc, TcpFlags.Syn | TcpFlags.Ack);
        var (v2, _) = Forward(engine, synAck, "ens160", "antrea-gw0", 11);
        Assert.Equal(NetfilterVerdict.Accept, v2);
        var back = KeyOf(synAck);
        Assert.Equal(Packets.Ip("10.222.1.48"), back.NwDst);
        Assert.Equal(40000, back.TpDst);
        Assert.True(Checksums.Valid(synAck));
    }

    [Fact]
    public void An_untrackable_packet_is_invalid_and_kube_forward_drops_it()
    {
        // A bare ACK of no known connection, with mid-stream pickup off (nf_conntrack_tcp_loose=0): INVALID.
        var (engine, _) = Worker1(seed: 5, tcpLoose: false);
        var ack = Packets.TcpFrame("10.222.1.48", 50000, "10.222.2.34", 80, TcpFlags.Ack);
        var (v, trace) = Forward(engine, ack, "antrea-gw0", "antrea-gw0", 1);
        Assert.Equal(NetfilterVerdict.Drop, v);
        Assert.Equal("filter:KUBE-FORWARD:rule:1:DROP", trace[^1]);
    }
}
