using System.Buffers.Binary;
using Datapath.Packets;

namespace Datapath.Engine;

/// <summary>
/// OVS's <c>flow_hash_fields</c> and <c>flow_mask_hash_fields</c> (lib/flow.c): the hash bundle and multipath take
/// of a packet, built on <see cref="OvsHash"/>, and the key bits it reads (what the megaflow must match), and the
/// names ovs-ofctl reads and prints (<c>flow_hash_fields_to_str</c>).
/// </summary>
public static class FlowHashFields
{
    private static readonly (string Name, NxHashFields Fields)[] s_names =
    [
        ("eth_src", NxHashFields.EthSrc),
        ("symmetric_l4", NxHashFields.SymmetricL4),
        ("symmetric_l3l4", NxHashFields.SymmetricL3L4),
        ("symmetric_l3l4+udp", NxHashFields.SymmetricL3L4Udp),
        ("nw_src", NxHashFields.NwSrc),
        ("nw_dst", NxHashFields.NwDst),
        ("symmetric_l3", NxHashFields.SymmetricL3),
    ];

    /// <summary>Parses a name as bundle_parse and multipath_parse do (case-insensitive).</summary>
    public static bool TryParse(string text, out NxHashFields fields)
    {
        foreach (var (name, f) in s_names)
        {
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
            {
                fields = f;
                return true;
            }
        }
        fields = default;
        return false;
    }

    public static string Name(NxHashFields fields) => s_names[(int)fields].Name;

    /// <summary><c>flow_hash_fields(flow, fields, basis)</c>.</summary>
    public static uint Hash(in FlowKey key, NxHashFields fields, ushort basis)
    {
        Span<byte> b = stackalloc byte[16];
        switch (fields)
        {
            case NxHashFields.EthSrc:
                WriteMac(b, key.EthSrc);
                return OvsHash.JhashBytes(b[..6], basis);
            case NxHashFields.SymmetricL4:
                return OvsHash.SymmetricL4(in key, basis);
            case NxHashFields.SymmetricL3L4:
                return OvsHash.SymmetricL3L4(in key, basis);
            case NxHashFields.SymmetricL3L4Udp:
                return OvsHash.SymmetricL3L4(in key, basis, udpPorts: true);
            case NxHashFields.NwSrc or NxHashFields.NwDst:
                {
                    bool src = fields == NxHashFields.NwSrc;
                    if (key.EthType == EtherTypes.IPv4)
                    {
                        BinaryPrimitives.WriteUInt32BigEndian(b, src ? key.NwSrc : key.NwDst);
                        return OvsHash.JhashBytes(b[..4], basis);
                    }
                    if (key.EthType == EtherTypes.IPv6)
                    {
                        BinaryPrimitives.WriteUInt64BigEndian(b, src ? key.Ipv6SrcHi : key.Ipv6DstHi);
                        BinaryPrimitives.WriteUInt64BigEndian(b[8..], src ? key.Ipv6SrcLo : key.Ipv6DstLo);
                        return OvsHash.JhashBytes(b, basis);
                    }
                    return basis;
                }
            default:
                return OvsHash.SymmetricL3(in key, basis);
        }
    }

    /// <summary><c>flow_mask_hash_fields</c>: ORs the bits <see cref="Hash"/> reads for this key into <paramref name="mask"/>.</summary>
    public static void Consult(in FlowKey key, NxHashFields fields, ref FlowKey mask)
    {
        mask.EthType = 0xffff;
        bool v4 = key.EthType == EtherTypes.IPv4, v6 = key.EthType == EtherTypes.IPv6;
        switch (fields)
        {
            case NxHashFields.EthSrc:
                mask.EthSrc = ulong.MaxValue;
                break;
            case NxHashFields.SymmetricL4:
                mask.EthSrc = mask.EthDst = ulong.MaxValue;
                Addresses(ref mask, v4, v6, src: true, dst: true);
                if (v4 || v6)
                {
                    mask.NwProto = 0xff;
                    if (key.NwProto != IpProtocols.Udp)
                        mask.TpSrc = mask.TpDst = 0xffff;
                }
                mask.VlanTci |= 0x1fff;
                mask.VlanTci2 |= 0x1fff;
                break;
            case NxHashFields.SymmetricL3L4 or NxHashFields.SymmetricL3L4Udp:
                if (!v4 && !v6)
                {
                    // flow_hash_symmetric_l2 reads these; OVS's mask leaves them out, which a cache must not.
                    mask.EthSrc = mask.EthDst = ulong.MaxValue;
                    mask.VlanTci |= 0x0fff;
                    mask.VlanTci2 |= 0x0fff;
                    break;
                }
                Addresses(ref mask, v4, v6, src: true, dst: true);
                mask.NwProto = 0xff;
                mask.NwFrag = 0xff;
                // Ports are hashed only for a whole datagram (flow_hash_symmetric_l3l4 skips them for fragments).
                if (key.NwFrag == 0 && (key.NwProto is IpProtocols.Tcp or IpProtocols.Sctp || (fields == NxHashFields.SymmetricL3L4Udp && key.NwProto == IpProtocols.Udp)))
                    mask.TpSrc = mask.TpDst = 0xffff;
                break;
            case NxHashFields.NwSrc:
                Addresses(ref mask, v4, v6, src: true, dst: false);
                break;
            case NxHashFields.NwDst:
                Addresses(ref mask, v4, v6, src: false, dst: true);
                break;
            default:
                Addresses(ref mask, v4, v6, src: true, dst: true);
                break;
        }
    }

    private static void Addresses(ref FlowKey mask, bool v4, bool v6, bool src, bool dst)
    {
        if (v4)
        {
            if (src)
                mask.NwSrc = uint.MaxValue;
            if (dst)
                mask.NwDst = uint.MaxValue;
        }
        else if (v6)
        {
            if (src)
                mask.Ipv6SrcHi = mask.Ipv6SrcLo = ulong.MaxValue;
            if (dst)
                mask.Ipv6DstHi = mask.Ipv6DstLo = ulong.MaxValue;
        }
    }

    private static void WriteMac(Span<byte> dst, ulong mac)
    {
        for (int i = 0; i < 6; i++)
            dst[i] = (byte)(mac >> (8 * (5 - i)));
    }
}
