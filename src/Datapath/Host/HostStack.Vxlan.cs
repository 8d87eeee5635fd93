using Datapath.Geneve;
using Datapath.Packets;

namespace Datapath.Engine.Host;

public sealed partial class HostStack
{
    // VXLAN devices (vxlan.calico): the kernel's vxlan driver between the host's routing and its underlay.
    //   send     a frame routed out of the device (neighbour lookup done: eth_dst is the remote VTEP's MAC) takes
    //            its FDB entry's remote address; the outer IPv4/UDP/VXLAN headers are pushed (source = the device's
    //            `local`, UDP 4789, the device's VNI, source port from the inner flow's hash) and the outer packet
    //            leaves through ip_local_out like any the host sends (route to the remote node, OUTPUT,
    //            POSTROUTING, the underlay neighbour): udp_tunnel_xmit_skb.
    //   receive  a UDP datagram to the device's port on one of the host's addresses, after INPUT accepted it, is
    //            handed to the device's socket (encap_rcv): the header is checked, the VNI must be the device's,
    //            and the inner frame is received on the device, from the start (its own PREROUTING, routing...).
    // The outer packet is built in the thread's second buffer (HostContext.Encap) and copied into its first when
    // ip_local_out takes it; the inner frame moves within the first buffer when it is received. No allocation.

    private long _encapsulated, _decapsulated;

    /// <summary>Frames sent out of a VXLAN device (encapsulated towards a remote node).</summary>
    public long Encapsulated => Volatile.Read(ref _encapsulated);

    /// <summary>Frames received from a VXLAN device's socket (decapsulated).</summary>
    public long Decapsulated => Volatile.Read(ref _decapsulated);

    /// <summary><c>bridge fdb show</c> of every VXLAN device.</summary>
    public IEnumerable<string> DumpFdb() => _interfaces.Where(i => i.Vxlan is not null).SelectMany(i => i.Vxlan!.DumpFdb(i.Name));

    /// <summary>vxlan_xmit: the inner frame in <paramref name="inner"/> (addressed to the remote VTEP's MAC) leaves encapsulated.</summary>
    private HostVerdict TransmitVxlan(HostContext ctx, HostInterface dev, ReadOnlySpan<byte> inner)
    {
        var vxlan = dev.Vxlan!;
        if (ctx.InTunnel)
            return Drop(ctx, DropReason.TunnelEncap, $"{dev.Name}: the packet is already a tunnel's (VXLAN in VXLAN)");
        var dstMac = MacAddress.Read(inner);
        if (!vxlan.TryGetRemote(dstMac, out var remote))
            return Drop(ctx, DropReason.TunnelEncap, $"{dev.Name}: no fdb entry for {dstMac} (learning is off)");
        FlowKey tunnel = default;
        tunnel.TunSrc = vxlan.Local.Value;
        tunnel.TunDst = remote.Value;
        tunnel.TunId = vxlan.Vni;
        if (!VxlanEncapsulator.TryEncapsulate(inner, in tunnel, MacAddress.Zero, MacAddress.Zero, ctx.Encap, out int length))
            return Drop(ctx, DropReason.TunnelEncap, $"{dev.Name}: {inner.Length} bytes do not fit in one outer packet");
        Interlocked.Increment(ref _encapsulated);
        TraceVxlan(ctx, dev, $"vxlan {dev.Name}: encapsulate {dstMac} -> dst {remote} (fdb), vni {vxlan.Vni}, udp dport {vxlan.UdpPort}, src {vxlan.Local}", "encap", remote);
        ctx.InTunnel = true;
        var verdict = LocalOut(ctx, ctx.Encap.AsSpan(0, length));
        ctx.InTunnel = false;
        return verdict;
    }

    /// <summary>Whether a UDP datagram to <paramref name="port"/> goes to a VXLAN device's socket.</summary>
    private bool IsVxlanPort(ushort port)
    {
        var list = _interfaceArray;
        for (int i = 0; i < list.Length; i++)
        {
            if (list[i].Vxlan is { } v && v.UdpPort == port)
                return true;
        }
        return false;
    }

    /// <summary>vxlan_rcv: the datagram in <paramref name="buf"/> (a whole frame, INPUT done) is decapsulated and its inner frame received on the device of its VNI.</summary>
    private HostVerdict ReceiveVxlan(HostContext ctx, Span<byte> buf)
    {
        if (ctx.InTunnel)
            return Drop(ctx, DropReason.TunnelDecap, "vxlan: a tunnel's inner frame is VXLAN again");
        FlowKey tunnel = default;
        if (!VxlanDecapsulator.TryDecapsulate(buf, out int offset, out int length, ref tunnel, out var why))
            return Drop(ctx, DropReason.TunnelDecap, $"vxlan: {why}");
        HostInterface? dev = null;
        foreach (var i in _interfaceArray)
        {
            if (i.Vxlan is { } v && v.UdpPort == ctx.Key.TpDst && v.Vni == tunnel.TunId)
                dev = i;
        }
        if (dev is null)
            return Drop(ctx, DropReason.TunnelDecap, $"vxlan: no device with vni {tunnel.TunId} on port {ctx.Key.TpDst}");
        Interlocked.Increment(ref _decapsulated);
        TraceVxlan(ctx, dev, $"vxlan {dev.Name}: decapsulate from {new Ipv4Address(tunnel.TunSrc)}, vni {tunnel.TunId}: the inner frame is received on {dev.Name}", "decap", new Ipv4Address(tunnel.TunSrc));
        ctx.InTunnel = true;
        var verdict = ReceiveCore(ctx, dev, buf.Slice(offset, length));
        ctx.InTunnel = false;
        return verdict;
    }

    private void TraceVxlan(HostContext ctx, HostInterface dev, string summary, string op, Ipv4Address remote)
        => ctx.Trace?.Steps.Add(new Tracing.TraceStep(Name, Tracing.TraceKind.Tunnel, 0) { Summary = summary }
            .Add("op", op).Add("dev", dev.Name).Add("vni", dev.Vxlan!.Vni.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Add(op == "encap" ? "dst" : "src", remote.ToString()));
}
