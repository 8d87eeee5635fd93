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
        FieldRegistry.Get(FieldId.TunTos), FieldRegistry.Get(FieldId.TunFlags),
    ];

    private static readonly FieldInfo[] s_tunnel6 =
    [
        FieldRegistry.Get(FieldId.TunId), FieldRegistry.Get(FieldId.TunIpv6Src), FieldRegistry.Get(FieldId.TunIpv6Dst),
        FieldRegistry.Get(FieldId.TunTos), FieldRegistry.Get(FieldId.TunFlags),
    ];

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
        }
        else if (key.HasTunIpv6)
        {
            foreach (var f in s_tunnel6)
                FieldRegistry.Write(ref mask, f, f.FullMask);
        }
        Span<ulong> m = mask.Words;
        for (int w = FrozenFirst; w < FrozenEnd; w++)
            m[w] = 0;
        m[FlowKey.WordCount - 1] = 0;
    }

    /// <summary>
    /// The megaflow as <c>ovs-appctl ofproto/trace</c> prints it after a pass
    /// (<c>recirc_id=0x1,ct_state=+new-inv+trk,eth,ip,in_port=49,nw_dst=10.96.0.0/12,nw_frag=no</c>).
    /// </summary>
    public static string Format(in FlowKey consulted, in FlowKey key, IPortMap? ports)
    {
        Mask(in consulted, in key, out var mask);
        var match = new Match(in key, in mask);
        string text = match.Format(ports);
        var sb = new StringBuilder();
        sb.Append("recirc_id=").Append(key.RecircId == 0 ? "0" : "0x" + key.RecircId.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("recirc_id=", StringComparison.Ordinal))
                continue;
            sb.Append(',').Append(part);
        }
        return sb.ToString();
    }
}
