using System.Runtime.InteropServices;

namespace Datapath.Packets;

/// <summary>
/// Where the headers of the frame a <see cref="FlowKey"/> was extracted from start, and how far
/// parsing got. Never matched: the mask of every rule is zero over this word.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 2)]
public struct PacketLayout
{
    /// <summary>Byte offset of the L3 header (after Ethernet and VLAN tags); 0 when none.</summary>
    public ushort L3Offset;
    /// <summary>Byte offset of the L4 header; 0 when none.</summary>
    public ushort L4Offset;
    /// <summary>Byte offset of the L4 payload; 0 when none.</summary>
    public ushort PayloadOffset;
    public ParseFlags Flags;
}

[Flags]
public enum ParseFlags : ushort
{
    None = 0,
    /// <summary>The frame ended inside a header; fields after that point are zero.</summary>
    Truncated = 1 << 0,
    /// <summary>A header was malformed (bad IHL, bad length, bad version).</summary>
    Malformed = 1 << 1,
    Vlan = 1 << 2,
    DoubleVlan = 1 << 3,
    Ipv4Options = 1 << 4,
    Ipv6ExtensionHeaders = 1 << 5,
    TcpOptions = 1 << 6,
    /// <summary>The L4 header was parsed completely.</summary>
    L4Complete = 1 << 7,
}
