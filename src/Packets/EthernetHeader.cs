using System.Buffers.Binary;

namespace Datapath.Packets;

/// <summary>Zero-copy view of an Ethernet II header (IEEE 802.3 clause 3.1.1): destination, source, EtherType.</summary>
public readonly ref struct EthernetHeader
{
    public const int Length = 14;
    /// <summary>EtherType values below this are IEEE 802.3 length fields (an LLC header follows).</summary>
    public const ushort MinEtherType = 0x0600;

    private readonly ReadOnlySpan<byte> _bytes;

    private EthernetHeader(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>Reads the header at the start of <paramref name="frame"/>; false when fewer than 14 bytes.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out EthernetHeader header)
    {
        if (frame.Length < Length)
        {
            header = default;
            return false;
        }
        header = new EthernetHeader(frame[..Length]);
        return true;
    }

    public MacAddress Destination => MacAddress.Read(_bytes);
    public MacAddress Source => MacAddress.Read(_bytes[6..]);
    /// <summary>The type field at offset 12: an EtherType, a VLAN TPID (0x8100/0x88a8) or an 802.3 length.</summary>
    public ushort EtherType => BinaryPrimitives.ReadUInt16BigEndian(_bytes[12..]);

    /// <summary>Writes a 14-byte Ethernet II header.</summary>
    public static bool TryWrite(Span<byte> destination, MacAddress dst, MacAddress src, ushort etherType, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < Length)
            return false;
        dst.Write(destination);
        src.Write(destination[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination[12..], etherType);
        bytesWritten = Length;
        return true;
    }
}
