using System.Text;
using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Engine.Cache;

/// <summary>
/// The wildcards of one pass as the datapath keys on them (ofproto-dpif-xlate's xlate_wc_init and
/// its finish): the bits the slow path consulted, plus what OVS always matches — in_port,
/// recirc_id, dl_type, nw_frag for IP, and for a packet that came through a tunnel its outer
/// header (tun_id, tun_src/dst or tun_ipv6_src/dst, tun_tos, tun_flags) — minus the frozen state a
/// recirc_id stands for (metadata and registers: the datapath does not carry them).
/// </summary>
internal static class Megaflow
{
    private static readonly FieldInfo[] s_always =
    [
        FieldRegistry.Get(FieldId.InPort), FieldRegistry.Get(FieldId.RecircId), FieldRegistry.Get(FieldId.EthType),
    ];

    private static readonly FieldInfo[] s_tunnel4 =
    [
        FieldRegistry.Get(FieldId.TunId), FieldRegistry.Get(FieldId.TunSrc), FieldRegistry.Get(FieldId.TunDst),
        FieldRegistry.Get(FieldId.TunTos),
    ];

    private static readonly FieldInfo[] s_tunnel6 =
    [
        FieldRegistry.Get(FieldId.TunId), FieldRegistry.Get(FieldId.TunIpv6Src), FieldRegistry.Get(FieldId.TunIpv6Dst),
        FieldRegistry.Get(FieldId.TunTos),
    ];

    /// <summary>The tunnel flags OVS always matches on a tunnelled packet (tnl_wc_init): df, csum, key.</summary>
    private const ushort TunnelFlagsMask = Geneve.GeneveTunnelFlags.DontFragment | Geneve.GeneveTunnelFlags.Csum | Geneve.GeneveTunnelFlags.Key;

    /// <summary>The first word of the frozen state (metadata) and the word after it (reg0..reg15 end).</summary>
    private const int FrozenFirst = 15, FrozenEnd = 24;

    /// <summary>Metadata and registers: words a recirc_id implies, so a megaflow need not match them.</summary>
    public static bool IsFrozenWord(int word) => word is >= FrozenFirst and < FrozenEnd;

    /// <summary>The megaflow mask of a pass that started from <paramref name="key"/> and consulted <paramref name="consulted"/>.</summary>
    public static void Mask(in FlowKey consulted, in FlowKey key, out FlowKey mask)
    {
        mask = consulted;
        foreach (var f in s_always)
            FieldRegistry.Write(ref mask, f, f.FullMask);
        if (key.IsIp)
            mask.NwFrag |= 0x3;
        if (key.TunDst != 0 || key.TunSrc != 0)
        {
            foreach (var f in s_tunnel4)
                FieldRegistry.Write(ref mask, f, f.FullMask);
            mask.TunFlags |= TunnelFlagsMask;
        }
        else if (key.HasTunIpv6)
        {
            foreach (var f in s_tunnel6)
                FieldRegistry.Write(ref mask, f, f.FullMask);
            mask.TunFlags |= TunnelFlagsMask;
        }
        // Fields whose prerequisites the (always matched) dl_type rules out are zero in every packet of
        // the megaflow: a classifier probe that consulted them tells nothing (OVS's staged lookup never
        // reaches them). ARP's sha/tha share storage with IPv6 ND's sll/tll.
        if (!key.IsArp)
        {
            mask.ArpOp = 0;
            if (!key.IsIpv6)
                mask.ArpSha = mask.ArpTha = 0;
        }
        // conj_id is the classifier's own (zero in every key a pass starts from).
        mask.ConjId = 0;
        Span<ulong> m = mask.Words;
        for (int w = FrozenFirst; w < FrozenEnd; w++)
            m[w] = 0;
        m[FlowKey.WordCount - 1] = 0;
    }

    /// <summary>
    /// The megaflow as <c>ovs-appctl ofproto/trace</c> prints it after a pass
    /// (<c>recirc_id=0x1,ct_state=+new-inv+trk,ct_mark=0,eth,ip,in_port=49,nw_dst=10.96.0.0/12,nw_frag=no</c>):
    /// recirc_id first, <c>eth</c> (the packet type) before the protocol, ports by number,
    /// <c>tun_flags=-df-csum-key</c>, and <c>tun_metadataN=NP</c> for an option the packet does not carry.
    /// </summary>
    public static string Format(in FlowKey consulted, in FlowKey key, IPortMap? ports)
    {
        _ = ports; // ofproto/trace prints datapath-side numbers, not names
        Mask(in consulted, in key, out var mask);
        // An untagged packet's datapath key has no 802.1Q header, which is all a consulted vlan_tci says of it: OVS
        // prints no vlan_tci in its megaflow then.
        if ((key.VlanTci & VlanTag.Cfi) == 0)
            mask.VlanTci = mask.VlanTci2 = 0;
        ushort tunFlagsMask = mask.TunFlags;
        mask.TunFlags = 0;
        var match = new Match(in key, in mask);
        var sb = new StringBuilder();
        sb.Append("recirc_id=").Append(key.RecircId == 0 ? "0" : "0x" + key.RecircId.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        bool eth = false;
        foreach (string part in match.Format(null).Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("recirc_id=", StringComparison.Ordinal))
                continue;
            if (!eth && !part.StartsWith("ct_", StringComparison.Ordinal))
            {
                sb.Append(",eth");
                eth = true;
            }
            if (part.StartsWith("tun_metadata", StringComparison.Ordinal) && int.TryParse(part.AsSpan(12, 1), out int n)
                && (key.TunMetadataPresent & (1u << n)) == 0)
            {
                sb.Append(",tun_metadata").Append(n).Append("=NP");
                continue;
            }
            sb.Append(',').Append(part);
            if (tunFlagsMask != 0 && part.StartsWith("tun_tos=", StringComparison.Ordinal))
                sb.Append(",tun_flags=").Append(FormatTunnelFlags(key.TunFlags, tunFlagsMask));
        }
        if (!eth)
            sb.Append(",eth");
        return sb.ToString();
    }

    /// <summary><c>-df-csum-key</c>: each matched flag with + (set) or - (clear), in OVS's order.</summary>
    private static string FormatTunnelFlags(ushort value, ushort mask)
    {
        var sb = new StringBuilder();
        foreach (var (name, bit) in new (string, ushort)[] { ("df", Geneve.GeneveTunnelFlags.DontFragment), ("csum", Geneve.GeneveTunnelFlags.Csum), ("key", Geneve.GeneveTunnelFlags.Key), ("oam", Geneve.GeneveTunnelFlags.Oam) })
        {
            if ((mask & bit) != 0)
                sb.Append((value & bit) != 0 ? '+' : '-').Append(name);
        }
        return sb.ToString();
    }
}
