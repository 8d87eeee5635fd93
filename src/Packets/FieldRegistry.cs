using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Datapath.Packets;

// Field registry
// ==============
//
// What?
// -----
// The one table of fields (OVS's meta-flow): names and aliases, storage, width, maskability,
// writability and prerequisites.  Flow parsing and printing, load/set_field/move actions and
// the trace all go through it, so no other code switches on field names.
//
// Invariants
// ----------
//  - Every FieldId has exactly one row, and Fields[(int)id].Id == id.
//  - Names and aliases are unique across rows (case-insensitive).
//  - Get(key, f) never returns bits above f.BitWidth; Set masks the value to the width.
public static class FieldRegistry
{
    private static readonly FieldInfo[] s_fields = Build();
    private static readonly FrozenDictionary<string, FieldInfo> s_byName = BuildNames(s_fields);

    /// <summary>All fields, indexed by <see cref="FieldId"/>.</summary>
    public static ReadOnlySpan<FieldInfo> Fields => s_fields;

    public static FieldInfo Get(FieldId id) => s_fields[(int)id];

    /// <summary>Looks a field up by its name or any alias (<c>nw_src</c>, <c>ip_src</c>, <c>NXM_OF_IP_SRC</c>, <c>OXM_OF_IPV4_SRC</c>).</summary>
    public static bool TryGet(string name, [NotNullWhen(true)] out FieldInfo? field) => s_byName.TryGetValue(name, out field);

    /// <summary>Every accepted name, for "did you mean" suggestions.</summary>
    public static IEnumerable<string> AllNames => s_byName.Keys;

    /// <summary>Reads a field's value (right-aligned) from a key or a mask.</summary>
    public static UInt128 Read(in FlowKey key, FieldInfo field)
    {
        ref byte b = ref Unsafe.Add(ref Unsafe.As<FlowKey, byte>(ref Unsafe.AsRef(in key)), field.Offset);
        UInt128 v = field.Storage switch
        {
            FieldStorage.U8 => b,
            FieldStorage.U16 => Unsafe.ReadUnaligned<ushort>(ref b),
            FieldStorage.U32 => Unsafe.ReadUnaligned<uint>(ref b),
            FieldStorage.U64 => Unsafe.ReadUnaligned<ulong>(ref b),
            FieldStorage.U128 => new UInt128(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, 8)), Unsafe.ReadUnaligned<ulong>(ref b)),
            FieldStorage.Xreg => ((ulong)Unsafe.ReadUnaligned<uint>(ref b) << 32) | Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref b, 4)),
            FieldStorage.Xxreg => new UInt128(
                ((ulong)Unsafe.ReadUnaligned<uint>(ref b) << 32) | Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref b, 4)),
                ((ulong)Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref b, 8)) << 32) | Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref b, 12))),
            _ => throw new InvalidOperationException(),
        };
        return v & field.FullMask;
    }

    /// <summary>Writes a field's whole value; bits above the width are dropped, shared storage bits outside the width kept.</summary>
    public static void Write(ref FlowKey key, FieldInfo field, UInt128 value)
    {
        ref byte b = ref Unsafe.Add(ref Unsafe.As<FlowKey, byte>(ref key), field.Offset);
        UInt128 full = field.FullMask;
        value &= full;
        switch (field.Storage)
        {
            case FieldStorage.U8:
                b = (byte)((b & ~(byte)full) | (byte)value);
                break;
            case FieldStorage.U16:
                Unsafe.WriteUnaligned(ref b, (ushort)((Unsafe.ReadUnaligned<ushort>(ref b) & ~(ushort)full) | (ushort)value));
                break;
            case FieldStorage.U32:
                Unsafe.WriteUnaligned(ref b, (Unsafe.ReadUnaligned<uint>(ref b) & ~(uint)full) | (uint)value);
                break;
            case FieldStorage.U64:
                Unsafe.WriteUnaligned(ref b, (Unsafe.ReadUnaligned<ulong>(ref b) & ~(ulong)full) | (ulong)value);
                break;
            case FieldStorage.U128:
                Unsafe.WriteUnaligned(ref b, (ulong)value);
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref b, 8), (ulong)(value >> 64));
                break;
            case FieldStorage.Xreg:
                Unsafe.WriteUnaligned(ref b, (uint)(value >> 32));
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref b, 4), (uint)value);
                break;
            case FieldStorage.Xxreg:
                Unsafe.WriteUnaligned(ref b, (uint)(value >> 96));
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref b, 4), (uint)(value >> 64));
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref b, 8), (uint)(value >> 32));
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref b, 12), (uint)value);
                break;
        }
    }

    /// <summary>Reads bits [start, start+count) of a field, right-aligned (<c>NXM_NX_REG0[0..15]</c>).</summary>
    public static UInt128 ReadBits(in FlowKey key, FieldInfo field, int start, int count)
    {
        UInt128 v = Read(in key, field) >> start;
        return count >= 128 ? v : v & ((UInt128.One << count) - UInt128.One);
    }

    /// <summary>Writes bits [start, start+count) of a field, leaving the others (<c>load:0x1->NXM_NX_REG0[16]</c>).</summary>
    public static void WriteBits(ref FlowKey key, FieldInfo field, int start, int count, UInt128 value)
    {
        UInt128 m = (count >= 128 ? UInt128.MaxValue : (UInt128.One << count) - UInt128.One) << start;
        UInt128 old = Read(in key, field);
        Write(ref key, field, (old & ~m) | ((value << start) & m));
    }

    private static FrozenDictionary<string, FieldInfo> BuildNames(FieldInfo[] fields)
    {
        var d = new Dictionary<string, FieldInfo>(StringComparer.OrdinalIgnoreCase);
        foreach (var f in fields)
        {
            d.Add(f.Name, f);
            foreach (var a in f.Aliases)
                d.Add(a, f);
        }
        return d.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    private static FieldInfo[] Build()
    {
        var k = new FlowKey();
        var rows = new List<FieldInfo>();
        int Off<T>(ref T field) where T : unmanaged
            => (int)Unsafe.ByteOffset(ref Unsafe.As<FlowKey, byte>(ref k), ref Unsafe.As<T, byte>(ref field));
        void Add(FieldId id, string name, FieldStorage st, int off, int bits, bool maskable, FieldPrerequisite pre, FieldFormat fmt,
            string[] aliases, bool writable = true)
            => rows.Add(new FieldInfo(id, name, aliases, st, off, bits, maskable, writable, pre, fmt));

        const FieldPrerequisite None = FieldPrerequisite.None;
        Add(FieldId.TunId, "tun_id", FieldStorage.U64, Off(ref k.TunId), 64, true, None, FieldFormat.Hex, ["tunnel_id", "NXM_NX_TUN_ID", "OXM_OF_TUNNEL_ID"]);
        Add(FieldId.TunSrc, "tun_src", FieldStorage.U32, Off(ref k.TunSrc), 32, true, None, FieldFormat.Ipv4, ["NXM_NX_TUN_IPV4_SRC"]);
        Add(FieldId.TunDst, "tun_dst", FieldStorage.U32, Off(ref k.TunDst), 32, true, None, FieldFormat.Ipv4, ["NXM_NX_TUN_IPV4_DST"]);
        Add(FieldId.TunIpv6Src, "tun_ipv6_src", FieldStorage.U128, Off(ref k.TunIpv6SrcLo), 128, true, None, FieldFormat.Ipv6, ["NXM_NX_TUN_IPV6_SRC"]);
        Add(FieldId.TunIpv6Dst, "tun_ipv6_dst", FieldStorage.U128, Off(ref k.TunIpv6DstLo), 128, true, None, FieldFormat.Ipv6, ["NXM_NX_TUN_IPV6_DST"]);
        Add(FieldId.TunFlags, "tun_flags", FieldStorage.U16, Off(ref k.TunFlags), 16, true, None, FieldFormat.TunFlags, ["NXM_NX_TUN_FLAGS"]);
        Add(FieldId.TunTos, "tun_tos", FieldStorage.U8, Off(ref k.TunTos), 8, false, None, FieldFormat.Decimal, []);
        Add(FieldId.TunTtl, "tun_ttl", FieldStorage.U8, Off(ref k.TunTtl), 8, false, None, FieldFormat.Decimal, []);
        for (int i = 0; i < 8; i++)
            Add(FieldId.TunMetadata0 + i, $"tun_metadata{i}", FieldStorage.U64, Off(ref k.TunMetadata[i]), 64, true, None, FieldFormat.Hex, [$"NXM_NX_TUN_METADATA{i}"]);
        Add(FieldId.Metadata, "metadata", FieldStorage.U64, Off(ref k.Metadata), 64, true, None, FieldFormat.Hex, ["OXM_OF_METADATA"]);
        for (int i = 0; i < 16; i++)
            Add(FieldId.Reg0 + i, $"reg{i}", FieldStorage.U32, Off(ref k.Regs[i]), 32, true, None, FieldFormat.Hex, [$"NXM_NX_REG{i}"]);
        for (int i = 0; i < 8; i++)
            Add(FieldId.Xreg0 + i, $"xreg{i}", FieldStorage.Xreg, Off(ref k.Regs[2 * i]), 64, true, None, FieldFormat.Hex, [$"OXM_OF_PKT_REG{i}"]);
        for (int i = 0; i < 4; i++)
            Add(FieldId.Xxreg0 + i, $"xxreg{i}", FieldStorage.Xxreg, Off(ref k.Regs[4 * i]), 128, true, None, FieldFormat.Hex, [$"NXM_NX_XXREG{i}"]);
        Add(FieldId.InPort, "in_port", FieldStorage.U32, Off(ref k.InPort), 32, false, None, FieldFormat.Port, ["NXM_OF_IN_PORT", "OXM_OF_IN_PORT", "in_port_oxm"]);
        Add(FieldId.RecircId, "recirc_id", FieldStorage.U32, Off(ref k.RecircId), 32, false, None, FieldFormat.Decimal, [], writable: false);
        Add(FieldId.CtState, "ct_state", FieldStorage.U32, Off(ref k.CtState), 32, true, None, FieldFormat.CtState, ["NXM_NX_CT_STATE"], writable: false);
        Add(FieldId.CtZone, "ct_zone", FieldStorage.U16, Off(ref k.CtZone), 16, false, None, FieldFormat.Decimal, ["NXM_NX_CT_ZONE"], writable: false);
        Add(FieldId.CtMark, "ct_mark", FieldStorage.U32, Off(ref k.CtMark), 32, true, None, FieldFormat.Hex, ["NXM_NX_CT_MARK"]);
        Add(FieldId.CtLabel, "ct_label", FieldStorage.U128, Off(ref k.CtLabelLo), 128, true, None, FieldFormat.Hex, ["NXM_NX_CT_LABEL"]);
        Add(FieldId.CtNwSrc, "ct_nw_src", FieldStorage.U32, Off(ref k.CtNwSrc), 32, true, FieldPrerequisite.CtTracked, FieldFormat.Ipv4, ["NXM_NX_CT_NW_SRC"], writable: false);
        Add(FieldId.CtNwDst, "ct_nw_dst", FieldStorage.U32, Off(ref k.CtNwDst), 32, true, FieldPrerequisite.CtTracked, FieldFormat.Ipv4, ["NXM_NX_CT_NW_DST"], writable: false);
        Add(FieldId.CtTpSrc, "ct_tp_src", FieldStorage.U16, Off(ref k.CtTpSrc), 16, true, FieldPrerequisite.CtTracked, FieldFormat.Decimal, ["NXM_NX_CT_TP_SRC"], writable: false);
        Add(FieldId.CtTpDst, "ct_tp_dst", FieldStorage.U16, Off(ref k.CtTpDst), 16, true, FieldPrerequisite.CtTracked, FieldFormat.Decimal, ["NXM_NX_CT_TP_DST"], writable: false);
        Add(FieldId.CtNwProto, "ct_nw_proto", FieldStorage.U8, Off(ref k.CtNwProto), 8, false, FieldPrerequisite.CtTracked, FieldFormat.Decimal, ["NXM_NX_CT_NW_PROTO"], writable: false);
        Add(FieldId.ConjId, "conj_id", FieldStorage.U32, Off(ref k.ConjId), 32, false, None, FieldFormat.Decimal, [], writable: false);
        Add(FieldId.PktMark, "pkt_mark", FieldStorage.U32, Off(ref k.PktMark), 32, true, None, FieldFormat.Hex, ["NXM_NX_PKT_MARK"]);
        Add(FieldId.EthSrc, "dl_src", FieldStorage.U64, Off(ref k.EthSrc), 48, true, None, FieldFormat.Mac, ["eth_src", "NXM_OF_ETH_SRC", "OXM_OF_ETH_SRC"]);
        Add(FieldId.EthDst, "dl_dst", FieldStorage.U64, Off(ref k.EthDst), 48, true, None, FieldFormat.Mac, ["eth_dst", "NXM_OF_ETH_DST", "OXM_OF_ETH_DST"]);
        Add(FieldId.EthType, "dl_type", FieldStorage.U16, Off(ref k.EthType), 16, false, None, FieldFormat.Hex, ["eth_type", "NXM_OF_ETH_TYPE", "OXM_OF_ETH_TYPE"], writable: false);
        Add(FieldId.VlanTci, "vlan_tci", FieldStorage.U16, Off(ref k.VlanTci), 16, true, None, FieldFormat.Hex, ["NXM_OF_VLAN_TCI"]);
        Add(FieldId.ArpOp, "arp_op", FieldStorage.U16, Off(ref k.ArpOp), 16, false, FieldPrerequisite.Arp, FieldFormat.Decimal, ["NXM_OF_ARP_OP", "OXM_OF_ARP_OP"]);
        Add(FieldId.ArpSpa, "arp_spa", FieldStorage.U32, Off(ref k.NwSrc), 32, true, FieldPrerequisite.Arp, FieldFormat.Ipv4, ["NXM_OF_ARP_SPA", "OXM_OF_ARP_SPA"]);
        Add(FieldId.ArpTpa, "arp_tpa", FieldStorage.U32, Off(ref k.NwDst), 32, true, FieldPrerequisite.Arp, FieldFormat.Ipv4, ["NXM_OF_ARP_TPA", "OXM_OF_ARP_TPA"]);
        Add(FieldId.ArpSha, "arp_sha", FieldStorage.U64, Off(ref k.ArpSha), 48, true, FieldPrerequisite.Arp, FieldFormat.Mac, ["NXM_NX_ARP_SHA", "OXM_OF_ARP_SHA"]);
        Add(FieldId.ArpTha, "arp_tha", FieldStorage.U64, Off(ref k.ArpTha), 48, true, FieldPrerequisite.Arp, FieldFormat.Mac, ["NXM_NX_ARP_THA", "OXM_OF_ARP_THA"]);
        Add(FieldId.NwSrc, "nw_src", FieldStorage.U32, Off(ref k.NwSrc), 32, true, FieldPrerequisite.Ipv4OrArp, FieldFormat.Ipv4, ["ip_src", "NXM_OF_IP_SRC", "OXM_OF_IPV4_SRC"]);
        Add(FieldId.NwDst, "nw_dst", FieldStorage.U32, Off(ref k.NwDst), 32, true, FieldPrerequisite.Ipv4OrArp, FieldFormat.Ipv4, ["ip_dst", "NXM_OF_IP_DST", "OXM_OF_IPV4_DST"]);
        Add(FieldId.Ipv6Src, "ipv6_src", FieldStorage.U128, Off(ref k.Ipv6SrcLo), 128, true, FieldPrerequisite.Ipv6, FieldFormat.Ipv6, ["NXM_NX_IPV6_SRC", "OXM_OF_IPV6_SRC"]);
        Add(FieldId.Ipv6Dst, "ipv6_dst", FieldStorage.U128, Off(ref k.Ipv6DstLo), 128, true, FieldPrerequisite.Ipv6, FieldFormat.Ipv6, ["NXM_NX_IPV6_DST", "OXM_OF_IPV6_DST"]);
        Add(FieldId.Ipv6Label, "ipv6_label", FieldStorage.U32, Off(ref k.Ipv6Label), 20, true, FieldPrerequisite.Ipv6, FieldFormat.Hex, ["NXM_NX_IPV6_LABEL", "OXM_OF_IPV6_FLABEL"]);
        Add(FieldId.NdTarget, "nd_target", FieldStorage.U128, Off(ref k.NdTargetLo), 128, true, FieldPrerequisite.Nd, FieldFormat.Ipv6, ["NXM_NX_ND_TARGET", "OXM_OF_IPV6_ND_TARGET"]);
        Add(FieldId.NdSll, "nd_sll", FieldStorage.U64, Off(ref k.ArpSha), 48, true, FieldPrerequisite.Nd, FieldFormat.Mac, ["NXM_NX_ND_SLL", "OXM_OF_IPV6_ND_SLL"]);
        Add(FieldId.NdTll, "nd_tll", FieldStorage.U64, Off(ref k.ArpTha), 48, true, FieldPrerequisite.Nd, FieldFormat.Mac, ["NXM_NX_ND_TLL", "OXM_OF_IPV6_ND_TLL"]);
        Add(FieldId.NwProto, "nw_proto", FieldStorage.U8, Off(ref k.NwProto), 8, false, FieldPrerequisite.IpAny, FieldFormat.Decimal, ["ip_proto", "NXM_OF_IP_PROTO", "OXM_OF_IP_PROTO"], writable: false);
        Add(FieldId.NwTos, "nw_tos", FieldStorage.U8, Off(ref k.NwTos), 8, false, FieldPrerequisite.IpAny, FieldFormat.Decimal, ["NXM_OF_IP_TOS"]);
        Add(FieldId.NwEcn, "nw_ecn", FieldStorage.U8, Off(ref k.NwEcn), 2, false, FieldPrerequisite.IpAny, FieldFormat.Decimal, ["ip_ecn", "NXM_NX_IP_ECN", "OXM_OF_IP_ECN"]);
        Add(FieldId.NwTtl, "nw_ttl", FieldStorage.U8, Off(ref k.NwTtl), 8, false, FieldPrerequisite.IpAny, FieldFormat.Decimal, ["NXM_NX_IP_TTL"]);
        Add(FieldId.NwFrag, "nw_frag", FieldStorage.U8, Off(ref k.NwFrag), 2, true, FieldPrerequisite.IpAny, FieldFormat.Frag, ["ip_frag", "NXM_NX_IP_FRAG"], writable: false);
        Add(FieldId.TpSrc, "tp_src", FieldStorage.U16, Off(ref k.TpSrc), 16, true, FieldPrerequisite.TcpUdpSctp, FieldFormat.Decimal,
            ["tcp_src", "udp_src", "sctp_src", "NXM_OF_TCP_SRC", "NXM_OF_UDP_SRC", "OXM_OF_TCP_SRC", "OXM_OF_UDP_SRC", "OXM_OF_SCTP_SRC"]);
        Add(FieldId.TpDst, "tp_dst", FieldStorage.U16, Off(ref k.TpDst), 16, true, FieldPrerequisite.TcpUdpSctp, FieldFormat.Decimal,
            ["tcp_dst", "udp_dst", "sctp_dst", "NXM_OF_TCP_DST", "NXM_OF_UDP_DST", "OXM_OF_TCP_DST", "OXM_OF_UDP_DST", "OXM_OF_SCTP_DST"]);
        Add(FieldId.TcpFlags, "tcp_flags", FieldStorage.U16, Off(ref k.TcpFlags), 12, true, FieldPrerequisite.Tcp, FieldFormat.TcpFlags, ["NXM_NX_TCP_FLAGS", "OXM_OF_TCP_FLAGS"], writable: false);
        Add(FieldId.IcmpType, "icmp_type", FieldStorage.U16, Off(ref k.TpSrc), 8, false, FieldPrerequisite.Icmpv4, FieldFormat.Decimal, ["icmpv4_type", "NXM_OF_ICMP_TYPE", "OXM_OF_ICMPV4_TYPE"]);
        Add(FieldId.IcmpCode, "icmp_code", FieldStorage.U16, Off(ref k.TpDst), 8, false, FieldPrerequisite.Icmpv4, FieldFormat.Decimal, ["icmpv4_code", "NXM_OF_ICMP_CODE", "OXM_OF_ICMPV4_CODE"]);
        Add(FieldId.Icmpv6Type, "icmpv6_type", FieldStorage.U16, Off(ref k.TpSrc), 8, false, FieldPrerequisite.Icmpv6, FieldFormat.Decimal, ["NXM_NX_ICMPV6_TYPE", "OXM_OF_ICMPV6_TYPE"]);
        Add(FieldId.Icmpv6Code, "icmpv6_code", FieldStorage.U16, Off(ref k.TpDst), 8, false, FieldPrerequisite.Icmpv6, FieldFormat.Decimal, ["NXM_NX_ICMPV6_CODE", "OXM_OF_ICMPV6_CODE"]);
        // The top label stack entry of an MPLS packet, in the storage of L3 fields such a packet does not have (FlowKey).
        Add(FieldId.MplsLabel, "mpls_label", FieldStorage.U32, Off(ref k.Ipv6Label), 20, false, FieldPrerequisite.Mpls, FieldFormat.Decimal, ["OXM_OF_MPLS_LABEL"]);
        Add(FieldId.MplsTc, "mpls_tc", FieldStorage.U8, Off(ref k.NwTos), 3, false, FieldPrerequisite.Mpls, FieldFormat.Decimal, ["OXM_OF_MPLS_TC"]);
        Add(FieldId.MplsBos, "mpls_bos", FieldStorage.U8, Off(ref k.NwEcn), 1, false, FieldPrerequisite.Mpls, FieldFormat.Decimal, ["OXM_OF_MPLS_BOS"], writable: false);
        Add(FieldId.MplsTtl, "mpls_ttl", FieldStorage.U8, Off(ref k.NwTtl), 8, false, FieldPrerequisite.Mpls, FieldFormat.Decimal, ["NXM_NX_MPLS_TTL"]);
        return [.. rows];
    }
}
