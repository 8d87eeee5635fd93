using System.Buffers.Binary;

namespace Datapath.Packets;

/// <summary>
/// Zero-copy view of an IEEE 802.1Q tag as OVS's struct vlan_header lays it out: TPID (0x8100, or
/// 0x88a8 for an 802.1ad outer tag) then TCI (PCP 3 bits, DEI 1 bit, VID 12 bits). In a frame the
/// first tag starts at offset 12, in place of the EtherType, and the real EtherType follows the last tag.
/// </summary>
public readonly ref struct VlanTag
{
    public const int Length = 4;
    public const ushort VidMask = 0x0FFF;
    /// <summary>OVS's VLAN_CFI: in vlan_tci it means "a tag is present".</summary>
    public const ushort Cfi = 0x1000;

    private readonly ReadOnlySpan<byte> _bytes;

    private VlanTag(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>Reads a tag at the start of <paramref name="bytes"/>; false when short or the TPID is not 0x8100/0x88a8.</summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, out VlanTag tag)
    {
        tag = default;
        if (bytes.Length < Length || !IsTpid(BinaryPrimitives.ReadUInt16BigEndian(bytes)))
            return false;
        tag = new VlanTag(bytes[..Length]);
        return true;
    }

    public static bool IsTpid(ushort etherType) => etherType is EtherTypes.Vlan or EtherTypes.QinQ;

    public ushort Tpid => BinaryPrimitives.ReadUInt16BigEndian(_bytes);
    public ushort Tci => BinaryPrimitives.ReadUInt16BigEndian(_bytes[2..]);
    public byte Pcp => (byte)(Tci >> 13);
    public bool Dei => (Tci & 0x1000) != 0;
    public ushort Vid => (ushort)(Tci & VidMask);

    public static bool TryWrite(Span<byte> destination, ushort tpid, ushort tci, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < Length)
            return false;
        BinaryPrimitives.WriteUInt16BigEndian(destination, tpid);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], tci);
        bytesWritten = Length;
        return true;
    }

    /// <summary>A TCI from its parts.</summary>
    public static ushort MakeTci(byte pcp, bool dei, ushort vid)
        => (ushort)((pcp << 13) | (dei ? 0x1000 : 0) | (vid & VidMask));
}
