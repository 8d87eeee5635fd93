using System.Buffers.Binary;

namespace Datapath.Geneve;

// GENEVE header
// =============
//
// What?
// -----
// The Generic Network Virtualization Encapsulation header of RFC 8926 §3.4, which Antrea puts
// between the node's outer IPv4/UDP (destination port 6081) and the pod's Ethernet frame:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |        Virtual Network Identifier (VNI)       |    Reserved   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Variable-Length Options                    |
//
// followed by the options, each a TLV (GeneveOption): class (16 bits), type (8 bits, whose high
// bit 0x80 marks the option critical), 3 reserved bits and a 5-bit length in 4-byte words.
//
// Design
// ------
// Three layers, each usable alone, as System.Formats.Cbor splits reader and writer:
//  1. Codec (this file, GeneveOption, GeneveOptionEnumerator): zero-copy ref struct views over
//     the bytes and static TryWrite methods that mirror them.  No validation beyond "do the
//     bytes hold what the header announces"; the view reports, it does not judge.
//  2. Semantics (GeneveEncapsulator, GeneveDecapsulator): RFC 8926's rules (version 0 only,
//     unknown critical options drop the packet, unknown non-critical ones are skipped) and
//     OVS's mapping of the tunnel onto the FlowKey: VNI = tun_id, outer addresses = tun_src /
//     tun_dst, options = tun_metadataN through a TlvMap (ovs-ofctl add-tlv-map).
//  3. Transport (IGeneveUnderlay, GeneveOuterFrame): the same datagram either as a whole
//     Ethernet frame (what tcpdump on the uplink shows, what pcaps hold) or as a UDP payload
//     (what a socket sends; the kernel adds the outer headers).
// Problems with packet contents are verdicts (GeneveDropReason), never exceptions.
//
// Invariants
// ----------
//  - Length (8) is the base header; HeaderLength = Length + OptionLengthWords * 4 <= 260.
//  - A GeneveHeader view always spans the whole header including its options: TryRead fails
//    when the bytes end before the options announced by Opt Len.
//  - Units are in the names: OptionLengthWords counts 4-byte words (the wire's Opt Len),
//    OptionsLength and HeaderLength count bytes.
//  - The VNI is 24 bits; writers reject larger values rather than truncate them silently.
//
// Thread-safety
// -------------
// Everything here is a value or a static method over caller-owned spans: any thread.
//
// Cost
// ----
// Reading is a bounds check and a few loads; enumerating options is O(number of options) with
// no allocation.  Writing is O(header length).
/// <summary>Zero-copy view of a GENEVE header (RFC 8926 §3.4) including its options.</summary>
public readonly ref struct GeneveHeader
{
    /// <summary>Length of the fixed part of the header in bytes.</summary>
    public const int Length = 8;
    /// <summary>Opt Len is a 6-bit field.</summary>
    public const int MaxOptionLengthWords = 0x3F;
    /// <summary>The largest header, options included, in bytes.</summary>
    public const int MaxLength = Length + MaxOptionLengthWords * 4;
    /// <summary>The IANA-assigned UDP destination port (RFC 8926 §3.3).</summary>
    public const ushort UdpPort = 6081;
    /// <summary>The only version RFC 8926 defines.</summary>
    public const int CurrentVersion = 0;
    /// <summary>The VNI is 24 bits.</summary>
    public const uint MaxVni = 0xFF_FFFF;

    private const byte OamBit = 0x80;
    private const byte CriticalBit = 0x40;

    private readonly ReadOnlySpan<byte> _bytes;

    private GeneveHeader(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>
    /// Reads the header at the start of <paramref name="bytes"/>. False when fewer than
    /// <see cref="Length"/> bytes or fewer than the options Opt Len announces are present.
    /// The version is not checked: a reader of a future version learns it from <see cref="Version"/>.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, out GeneveHeader header)
    {
        if (bytes.Length < Length)
        {
            header = default;
            return false;
        }
        int total = Length + (bytes[0] & MaxOptionLengthWords) * 4;
        if (bytes.Length < total)
        {
            header = default;
            return false;
        }
        header = new GeneveHeader(bytes[..total]);
        return true;
    }

    /// <summary>Ver: 0 is the only defined version.</summary>
    public int Version => _bytes[0] >> 6;

    /// <summary>Opt Len: the length of the options in 4-byte words.</summary>
    public int OptionLengthWords => _bytes[0] & MaxOptionLengthWords;

    /// <summary>The length of the options in bytes.</summary>
    public int OptionsLength => OptionLengthWords * 4;

    /// <summary>The length of the header, options included, in bytes: where the payload starts.</summary>
    public int HeaderLength => Length + OptionsLength;

    /// <summary>O: the payload is a control (OAM) message.</summary>
    public bool Oam => (_bytes[1] & OamBit) != 0;

    /// <summary>C: at least one option has its critical bit set.</summary>
    public bool Critical => (_bytes[1] & CriticalBit) != 0;

    /// <summary>The six reserved bits after O and C (zero on transmit, ignored on receipt).</summary>
    public int Reserved1 => _bytes[1] & 0x3F;

    /// <summary>The EtherType of the payload: 0x6558 for Ethernet frames, 0x0800 IPv4, 0x86DD IPv6.</summary>
    public ushort ProtocolType => BinaryPrimitives.ReadUInt16BigEndian(_bytes[2..]);

    /// <summary>The 24-bit Virtual Network Identifier.</summary>
    public uint Vni => BinaryPrimitives.ReadUInt32BigEndian(_bytes[4..]) >> 8;

    /// <summary>The last reserved byte (zero on transmit, ignored on receipt).</summary>
    public byte Reserved2 => _bytes[7];

    /// <summary>The raw options, <see cref="OptionsLength"/> bytes.</summary>
    public ReadOnlySpan<byte> Options => _bytes[Length..];

    /// <summary>The options one by one, without allocation (<c>foreach (var o in h.EnumerateOptions())</c>).</summary>
    public GeneveOptionEnumerator EnumerateOptions() => new(Options);

    /// <summary>
    /// Writes the fixed 8 bytes of a header announcing <paramref name="optionLengthWords"/> words of
    /// options (which the caller writes after it, e.g. with <see cref="GeneveOption.TryWrite"/>).
    /// Reserved bits are zero. False when <paramref name="destination"/> is shorter than
    /// <see cref="Length"/>; nothing is written then.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">VNI over 24 bits or option length over 63 words.</exception>
    public static bool TryWrite(Span<byte> destination, uint vni, ushort protocolType, int optionLengthWords,
        bool oam, bool critical, out int bytesWritten)
    {
        if (vni > MaxVni)
            ThrowHelper.ThrowArgumentOutOfRange(nameof(vni), "the VNI is 24 bits");
        if ((uint)optionLengthWords > MaxOptionLengthWords)
            ThrowHelper.ThrowArgumentOutOfRange(nameof(optionLengthWords), "Opt Len is 6 bits (at most 63 words)");
        if (destination.Length < Length)
        {
            bytesWritten = 0;
            return false;
        }
        WriteCore(destination, vni, protocolType, optionLengthWords, oam, critical);
        bytesWritten = Length;
        return true;
    }

    /// <summary>Unchecked writer for callers that validated their arguments and lengths.</summary>
    internal static void WriteCore(Span<byte> destination, uint vni, ushort protocolType, int optionLengthWords, bool oam, bool critical)
    {
        destination[0] = (byte)optionLengthWords;   // Ver = 0
        destination[1] = (byte)((oam ? OamBit : 0) | (critical ? CriticalBit : 0));
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], protocolType);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], vni << 8);   // Reserved = 0
    }
}
