using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Datapath.Packets;

// FlowKey
// =======
//
// What?
// -----
// Every header field and every piece of pipeline metadata that an OpenFlow rule may match,
// extracted from one frame (OVS's struct flow). Field names are the PascalCase forms of the
// ovs-fields(7) names; FieldRegistry maps the text names (and NXM/OXM aliases) onto them.
//
// Design
// ------
// A fixed-size blittable struct of 64-bit words in OVS order: tunnel, metadata (registers,
// in_port, conntrack), L2, L3, L4, and a last word of parse layout that is never matched.
// A Match is two FlowKeys (value and mask), so masking, hashing and comparing are loops over
// Words.  Storage is shared where OVS shares it: arp_spa/arp_tpa live in NwSrc/NwDst,
// icmp_type/icmp_code in TpSrc/TpDst, nd_sll/nd_tll in ArpSha/ArpTha.  One share is ours:
// the top MPLS label stack entry (OVS's mpls_lse[0]) has no word of its own; an MPLS packet
// has no L3 fields (OVS does not parse past the label stack, and push_mpls clears them), so
// mpls_label lives in Ipv6Label (20 bits), mpls_tc in NwTos, mpls_bos in NwEcn and mpls_ttl
// in NwTtl, meaningful only when EthType is 0x8847/0x8848.  The key keeps its 46 words.
//
// Invariants
// ----------
//  - sizeof(FlowKey) == WordCount * 8 (a layout test checks it).
//  - Multi-byte values are host order: 10.0.0.1 is 0x0A000001, a MAC's first octet is bit 47.
//  - 128-bit values are stored low word first so a UInt128 read at the field's offset works.
//  - Fields of headers that are absent are zero; Layout.Flags says how far parsing got.
//  - Changes to the field list must be reflected in FieldRegistry (a test walks every field).
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public partial struct FlowKey
{
    public const int WordCount = 46;

    // ---- tunnel (words 0..14)
    public ulong TunId;
    /// <summary>Outer IPv4 source (tun_src); zero when the outer header is IPv6.</summary>
    public uint TunSrc;
    /// <summary>Outer IPv4 destination (tun_dst); zero when the outer header is IPv6.</summary>
    public uint TunDst;
    /// <summary>Outer IPv6 source (tun_ipv6_src), low word first; zero when the outer header is IPv4.</summary>
    public ulong TunIpv6SrcLo;
    public ulong TunIpv6SrcHi;
    /// <summary>Outer IPv6 destination (tun_ipv6_dst), low word first; zero when the outer header is IPv4.</summary>
    public ulong TunIpv6DstLo;
    public ulong TunIpv6DstHi;
    public ushort TunFlags;
    public byte TunTos;
    public byte TunTtl;
    /// <summary>Bit N set: tun_metadataN is present (OVS's tun_metadata "present" map).</summary>
    public uint TunMetadataPresent;
    public TunMetadataArray TunMetadata;

    // ---- metadata (words 15..30)
    public ulong Metadata;
    public RegisterArray Regs;
    public uint InPort;
    public uint RecircId;
    public uint CtState;
    public ushort CtZone;
    public byte CtNwProto;
    private readonly byte _pad0;
    public uint CtMark;
    public uint PktMark;
    public ulong CtLabelLo;
    public ulong CtLabelHi;
    public uint CtNwSrc;
    public uint CtNwDst;
    public ushort CtTpSrc;
    public ushort CtTpDst;
    public uint ConjId;

    // ---- L2 (words 31..35)
    public ulong EthSrc;
    public ulong EthDst;
    public ushort EthType;
    /// <summary>OVS vlan_tci: PCP(3) | CFI=1 when a tag is present (0x1000) | VID(12).</summary>
    public ushort VlanTci;
    /// <summary>Inner tag of a double-tagged (QinQ) frame, same encoding.</summary>
    public ushort VlanTci2;
    public ushort ArpOp;
    public ulong ArpSha;
    public ulong ArpTha;

    // ---- L3 (words 36..43)
    /// <summary>IPv4 source, or ARP spa.</summary>
    public uint NwSrc;
    /// <summary>IPv4 destination, or ARP tpa.</summary>
    public uint NwDst;
    public ulong Ipv6SrcLo;
    public ulong Ipv6SrcHi;
    public ulong Ipv6DstLo;
    public ulong Ipv6DstHi;
    public ulong NdTargetLo;
    public ulong NdTargetHi;
    public uint Ipv6Label;
    public byte NwProto;
    /// <summary>The DSCP bits in place (tos &amp; 0xfc), as OVS's nw_tos.</summary>
    public byte NwTos;
    public byte NwEcn;
    public byte NwTtl;

    // ---- L4 (word 44)
    /// <summary>TCP/UDP/SCTP source port, or ICMP type.</summary>
    public ushort TpSrc;
    /// <summary>TCP/UDP/SCTP destination port, or ICMP code.</summary>
    public ushort TpDst;
    /// <summary>The 12 TCP flag bits (FIN=0x001 ... NS=0x100).</summary>
    public ushort TcpFlags;
    /// <summary>OVS nw_frag: bit 0 = any fragment, bit 1 = a later fragment.</summary>
    public byte NwFrag;
    private readonly byte _pad1;

    // ---- parse layout (word 45), never matched
    public PacketLayout Layout;

    // ---- views
    public MacAddress DlSrc { readonly get => new(EthSrc); set => EthSrc = value.Value; }
    public MacAddress DlDst { readonly get => new(EthDst); set => EthDst = value.Value; }
    public Ipv4Address Ipv4Src { readonly get => new(NwSrc); set => NwSrc = value.Value; }
    public Ipv4Address Ipv4Dst { readonly get => new(NwDst); set => NwDst = value.Value; }
    public Ipv6Address Ipv6Src { readonly get => new(Ipv6SrcHi, Ipv6SrcLo); set { Ipv6SrcHi = value.High; Ipv6SrcLo = value.Low; } }
    public Ipv6Address Ipv6Dst { readonly get => new(Ipv6DstHi, Ipv6DstLo); set { Ipv6DstHi = value.High; Ipv6DstLo = value.Low; } }
    public Ipv6Address TunIpv6Src { readonly get => new(TunIpv6SrcHi, TunIpv6SrcLo); set { TunIpv6SrcHi = value.High; TunIpv6SrcLo = value.Low; } }
    public Ipv6Address TunIpv6Dst { readonly get => new(TunIpv6DstHi, TunIpv6DstLo); set { TunIpv6DstHi = value.High; TunIpv6DstLo = value.Low; } }
    /// <summary>The tunnel's outer header is (to be) IPv6: tun_ipv6_src or tun_ipv6_dst is set (OVS's flow_tnl_dst_is_set order: IPv4 first).</summary>
    public readonly bool HasTunIpv6 => (TunIpv6DstLo | TunIpv6DstHi | TunIpv6SrcLo | TunIpv6SrcHi) != 0;
    public UInt128 CtLabel { readonly get => new(CtLabelHi, CtLabelLo); set { CtLabelHi = (ulong)(value >> 64); CtLabelLo = (ulong)value; } }
    public readonly byte IcmpType => (byte)TpSrc;
    public readonly byte IcmpCode => (byte)TpDst;
    public readonly bool IsIpv4 => EthType == EtherTypes.IPv4;
    public readonly bool IsIpv6 => EthType == EtherTypes.IPv6;
    public readonly bool IsIp => EthType is EtherTypes.IPv4 or EtherTypes.IPv6;
    public readonly bool IsArp => EthType is EtherTypes.Arp or EtherTypes.Rarp;
    public readonly bool IsMpls => EthType is EtherTypes.Mpls or EtherTypes.MplsMulticast;

    /// <summary>The top MPLS label stack entry as on the wire (label 20 | tc 3 | bos 1 | ttl 8), from the L3 storage it shares.</summary>
    public uint MplsLse
    {
        readonly get => (Ipv6Label << 12) | ((uint)(NwTos & 7) << 9) | ((uint)(NwEcn & 1) << 8) | NwTtl;
        set
        {
            Ipv6Label = value >> 12;
            NwTos = (byte)((value >> 9) & 7);
            NwEcn = (byte)((value >> 8) & 1);
            NwTtl = (byte)value;
        }
    }

    /// <summary>xregN: reg(2N) is the high half, reg(2N+1) the low half (ovs-fields(7)).</summary>
    public readonly ulong GetXreg(int n) => ((ulong)Regs[2 * n] << 32) | Regs[2 * n + 1];

    public void SetXreg(int n, ulong value)
    {
        Regs[2 * n] = (uint)(value >> 32);
        Regs[2 * n + 1] = (uint)value;
    }

    /// <summary>xxregN: reg(4N) is the most significant quarter.</summary>
    public readonly UInt128 GetXxreg(int n) => new(GetXreg(2 * n), GetXreg(2 * n + 1));

    public void SetXxreg(int n, UInt128 value)
    {
        SetXreg(2 * n, (ulong)(value >> 64));
        SetXreg(2 * n + 1, (ulong)value);
    }

    /// <summary>The key as words, for masking and hashing. The span aliases this key.</summary>
    [UnscopedRef]
    public Span<ulong> Words => MemoryMarshal.CreateSpan(ref Unsafe.As<FlowKey, ulong>(ref this), WordCount);

    /// <summary>The key as bytes (host-order fields). The span aliases this key.</summary>
    [UnscopedRef]
    public Span<byte> Bytes => MemoryMarshal.AsBytes(Words);
}

/// <summary>Sixteen 32-bit registers reg0..reg15.</summary>
[InlineArray(16)]
public struct RegisterArray
{
    private uint _element0;
}

/// <summary>tun_metadata0..7, each up to 64 bits here (OVS allows up to 124 bytes; Antrea uses 4).</summary>
[InlineArray(8)]
public struct TunMetadataArray
{
    private ulong _element0;
}
