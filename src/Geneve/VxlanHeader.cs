using System.Buffers.Binary;

namespace Datapath.Geneve;

/// <summary>
/// The 8-byte VXLAN header of RFC 7348 §5: flags (8 bits, only I = 0x08 defined: "the VNI is valid"),
/// 24 reserved bits, the 24-bit VNI, 8 reserved bits; the inner Ethernet frame follows. IANA's UDP port
/// is 4789 (Linux's vxlan device as Calico configures it: <c>dstport 4789</c>, VNI 4096).
/// Receivers must accept a frame whose reserved bits are set (RFC 7348: "ignored on receipt").
/// </summary>
public readonly struct VxlanHeader
{
    /// <summary>IANA's VXLAN port (RFC 7348 §5).</summary>
    public const ushort UdpPort = 4789;
    public const int Length = 8;
    /// <summary>The I flag: the VNI is valid (RFC 7348: must be set).</summary>
    public const byte ValidVniFlag = 0x08;
    public const uint MaxVni = 0xFF_FFFF;
    /// <summary>The VNI Calico's vxlan.calico device uses.</summary>
    public const uint CalicoVni = 4096;

    public VxlanHeader(byte flags, uint vni)
    {
        Flags = flags;
        Vni = vni & MaxVni;
    }

    public byte Flags { get; }
    public uint Vni { get; }

    /// <summary>True when the I flag is set (a frame without it carries no valid VNI: Linux drops it).</summary>
    public bool HasValidVni => (Flags & ValidVniFlag) != 0;

    /// <summary>Reads the header at the start of a UDP payload; false when it is shorter than 8 bytes.</summary>
    public static bool TryRead(ReadOnlySpan<byte> udpPayload, out VxlanHeader header)
    {
        if (udpPayload.Length < Length)
        {
            header = default;
            return false;
        }
        header = new VxlanHeader(udpPayload[0], BinaryPrimitives.ReadUInt32BigEndian(udpPayload[4..]) >> 8);
        return true;
    }

    /// <summary>Writes the header with the I flag and <paramref name="vni"/> (reserved bits zero) into the first 8 bytes.</summary>
    public static void Write(Span<byte> destination, uint vni)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)ValidVniFlag << 24);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], (vni & MaxVni) << 8);
    }
}
