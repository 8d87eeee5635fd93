using Datapath.Packets;

namespace Datapath.Engine.Host;

public sealed partial class HostStack
{
    /// <summary>
    /// arp_process's proxy ARP (net.ipv4.conf.DEV.proxy_arp=1, proxy_delay 0, as Calico sets on each cali veth):
    /// a request received on <paramref name="iface"/> for an address the host routes out of another device
    /// (arp_fwd_proxy: a unicast route whose device is not the one asked on, forwarding on) is answered with
    /// <paramref name="iface"/>'s own MAC, and the sender is learnt. This is how a Calico pod's gateway
    /// 169.254.1.1, which no host has, answers: it is routed out of the uplink (the default route).
    /// </summary>
    private bool TryProxyArp(HostContext ctx, HostInterface iface, Ipv4Address spa, MacAddress sha, Ipv4Address tpa, out HostVerdict verdict)
    {
        verdict = default;
        if (!iface.ProxyArp || !Options.IpForward || tpa.Value == 0 || (tpa.Value & 0xF000_0000) == 0xE000_0000 || tpa.Value == uint.MaxValue
            || !TryRouteCore(tpa.Value, out var route, out var outIf) || route.Type != RouteType.Unicast || outIf == iface)
            return false;
        LearnFromArp(ctx, iface, spa, sha, reply: false, forUs: true); // neigh_event_ns: the asker is learnt (STALE)
        var reply = PacketBuilder.Arp(ArpPacket.OpReply, iface.Mac, tpa, sha, spa, iface.Mac, sha);
        TraceArp(ctx, iface, $"ARP who-has {tpa} tell {spa}: proxy ARP on {iface.Name} ({tpa} is routed out of {outIf.Name}): reply {tpa} is-at {iface.Mac} to {sha}");
        Interlocked.Increment(ref _arpReplies);
        Interlocked.Increment(ref _delivered);
        Transmit(ctx, iface, reply);
        verdict = new HostVerdict(0, true, null);
        return true;
    }
}
