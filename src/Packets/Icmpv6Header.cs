using System.Buffers.Binary;

namespace Datapath.Packets;

/// <summary>
/// Zero-copy view of an ICMPv6 message header (RFC 4443): type, code, checksum and the 4-byte
/// message body, plus the Neighbor Discovery parts OVS matches (RFC 4861 sections 4.3/4.4: target
/// address, source/target link-layer address options).
/// </summary>
public readonly ref struct Icmpv6Header
{
    public const int Length = 8;
    /// <summary>A Neighbor Solicitation/Advertisement without options: header + target address.</summary>
    public const int NdLength = 24;
    public const byte TypeEchoRequest = 128;
    public const byte TypeEchoReply = 129;
    public const byte TypeRouterSolicitation = 133;
    public const byte TypeRouterAdvertisement = 134;
    public const byte TypeNeighborSolicitation = 135;
    public const byte TypeNeighborAdvertisement = 136;
    public const byte NdOptionSourceLinkLayerAddress = 1;
    public const byte NdOptionTargetLinkLayerAddress = 2;
    /// <summary>Neighbor Advertisement flags (the top bits of the message body).</summary>
    public const uint NdRouterFlag = 0x8000_0000, NdSolicitedFlag = 0x4000_0000, NdOverrideFlag = 0x2000_0000;

    private readonly ReadOnlySpan<byte> _bytes;   // the whole message

    private Icmpv6Header(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>Reads the header at the start of <paramref name="message"/>; the view covers the whole message.</summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out Icmpv6Header header)
    {
        header = default;
        if (message.Length < Length)
            return false;
        header = new Icmpv6Header(message);
        return true;
    }

    public byte Type => _bytes[0];
    public byte Code => _bytes[1];
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_bytes[2..]);
    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(_bytes[4..]);
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_bytes[6..]);
    public uint MessageBody => BinaryPrimitives.ReadUInt32BigEndian(_bytes[4..]);
    public bool IsNeighborDiscovery => Type is TypeNeighborSolicitation or TypeNeighborAdvertisement && Code == 0;

    /// <summary>The target address of a Neighbor Solicitation/Advertisement.</summary>
    public bool TryGetNdTarget(out Ipv6Address target)
    {
        target = default;
        if (!IsNeighborDiscovery || _bytes.Length < NdLength)
            return false;
        target = Ipv6Address.Read(_bytes[8..]);
        return true;
    }

    /// <summary>
    /// Finds the link-layer address option (source for a solicitation, target for an
    /// advertisement, as OVS reads them). False when absent or when the options are malformed.
    /// </summary>
    public bool TryGetNdLinkLayerAddress(out MacAddress address)
    {
        address = default;
        if (!IsNeighborDiscovery || _bytes.Length < NdLength)
            return false;
        byte wanted = Type == TypeNeighborSolicitation ? NdOptionSourceLinkLayerAddress : NdOptionTargetLinkLayerAddress;
        var opts = _bytes[NdLength..];
        bool found = false;
        while (opts.Length >= 8)
        {
            int len = opts[1] * 8;
            if (len == 0 || len > opts.Length)
                return false;
            if (opts[0] == wanted && len == 8)
            {
                if (found)
                    return false;   // a duplicate makes the packet invalid for OVS
                address = MacAddress.Read(opts[2..]);
                found = true;
            }
            opts = opts[len..];
        }
        return found;
    }

    /// <summary>Writes the header with a zero checksum; the caller fills it (see <see cref="Packets.Checksum.TransportV6"/>).</summary>
    public static bool TryWrite(Span<byte> destination, byte type, byte code, uint messageBody, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < Length)
            return false;
        destination[0] = type;
        destination[1] = code;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], messageBody);
        bytesWritten = Length;
        return true;
    }

    /// <summary>
    /// Writes a Neighbor Solicitation or Advertisement with one link-layer address option (source
    /// for a solicitation, target for an advertisement) unless <paramref name="linkLayerAddress"/> is null.
    /// The checksum is zero; the caller fills it.
    /// </summary>
    public static bool TryWriteNeighborDiscovery(Span<byte> destination, byte type, uint flags, Ipv6Address target,
        MacAddress? linkLayerAddress, out int bytesWritten)
    {
        bytesWritten = 0;
        int len = NdLength + (linkLayerAddress is null ? 0 : 8);
        if (type is not (TypeNeighborSolicitation or TypeNeighborAdvertisement) || destination.Length < len)
            return false;
        TryWrite(destination, type, 0, flags, out _);
        target.Write(destination[8..]);
        if (linkLayerAddress is { } mac)
        {
            destination[24] = type == TypeNeighborSolicitation ? NdOptionSourceLinkLayerAddress : NdOptionTargetLinkLayerAddress;
            destination[25] = 1;
            mac.Write(destination[26..]);
        }
        bytesWritten = len;
        return true;
    }
}
