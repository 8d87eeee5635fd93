using System.Buffers.Binary;

namespace Datapath.Packets;

/// <summary>Zero-copy view of an ARP packet for Ethernet and IPv4 (RFC 826): 28 bytes.</summary>
public readonly ref struct ArpPacket
{
    /// <summary>The length of an Ethernet/IPv4 ARP packet.</summary>
    public const int Length = 28;
    /// <summary>The fixed part every ARP packet has (hardware/protocol types and lengths, operation).</summary>
    public const int FixedLength = 8;
    public const ushort HardwareTypeEthernet = 1;
    public const ushort OpRequest = 1;
    public const ushort OpReply = 2;

    private readonly ReadOnlySpan<byte> _bytes;

    private ArpPacket(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>Reads an Ethernet/IPv4 ARP packet; false when short or for other hardware/protocol types.</summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, out ArpPacket arp)
    {
        arp = default;
        if (bytes.Length < Length
            || BinaryPrimitives.ReadUInt16BigEndian(bytes) != HardwareTypeEthernet
            || BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]) != EtherTypes.IPv4
            || bytes[4] != MacAddress.Length || bytes[5] != Ipv4Address.Length)
            return false;
        arp = new ArpPacket(bytes[..Length]);
        return true;
    }

    public ushort HardwareType => BinaryPrimitives.ReadUInt16BigEndian(_bytes);
    public ushort ProtocolType => BinaryPrimitives.ReadUInt16BigEndian(_bytes[2..]);
    public byte HardwareLength => _bytes[4];
    public byte ProtocolLength => _bytes[5];
    public ushort Operation => BinaryPrimitives.ReadUInt16BigEndian(_bytes[6..]);
    public MacAddress SenderHardwareAddress => MacAddress.Read(_bytes[8..]);
    public Ipv4Address SenderProtocolAddress => Ipv4Address.Read(_bytes[14..]);
    public MacAddress TargetHardwareAddress => MacAddress.Read(_bytes[18..]);
    public Ipv4Address TargetProtocolAddress => Ipv4Address.Read(_bytes[24..]);

    /// <summary>Writes an Ethernet/IPv4 ARP packet.</summary>
    public static bool TryWrite(Span<byte> destination, ushort operation, MacAddress sha, Ipv4Address spa,
        MacAddress tha, Ipv4Address tpa, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < Length)
            return false;
        BinaryPrimitives.WriteUInt16BigEndian(destination, HardwareTypeEthernet);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], EtherTypes.IPv4);
        destination[4] = MacAddress.Length;
        destination[5] = Ipv4Address.Length;
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], operation);
        sha.Write(destination[8..]);
        spa.Write(destination[14..]);
        tha.Write(destination[18..]);
        tpa.Write(destination[24..]);
        bytesWritten = Length;
        return true;
    }
}
