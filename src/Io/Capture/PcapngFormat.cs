namespace Datapath.Io.Capture;

/// <summary>Constants of the pcapng file format (draft-ietf-opsawg-pcapng).</summary>
internal static class PcapngFormat
{
    public const uint SectionHeaderBlock = 0x0A0D0D0A;
    public const uint InterfaceDescriptionBlock = 0x00000001;
    /// <summary>The obsolete Packet Block (read, never written).</summary>
    public const uint PacketBlock = 0x00000002;
    public const uint SimplePacketBlock = 0x00000003;
    public const uint EnhancedPacketBlock = 0x00000006;

    public const uint ByteOrderMagic = 0x1A2B3C4D;
    public const ushort VersionMajor = 1;
    public const ushort VersionMinor = 0;

    public const ushort OptEndOfOptions = 0;
    public const ushort OptComment = 1;
    public const ushort OptIfName = 2;
    public const ushort OptIfTsResol = 9;
    public const ushort OptIfTsOffset = 14;
    public const ushort OptShbUserAppl = 4;

    /// <summary>Block type + block total length.</summary>
    public const int BlockHeaderLength = 8;
    /// <summary>Block header and trailing block total length: the smallest block.</summary>
    public const int MinimumBlockLength = 12;

    /// <summary>
    /// Wireshark's MAX_BLOCK_SIZE (128 MiB + 128 KiB + 32, room for its largest packet type and
    /// options): tshark refuses a longer block ("total block length N is too large (&gt; 134348832)"),
    /// and so do the readers. A block that claims less is buffered only as far as its bytes arrive
    /// (a block that is skipped is not buffered at all), so a lying length costs no memory.
    /// </summary>
    public const int MaximumBlockLength = (128 << 20) + (128 << 10) + 32;

    /// <summary>The SHB versions Wireshark reads: 1.0 and 1.2 (1.1 and 1.3+ are "unknown SHB version").</summary>
    public static bool IsKnownVersion(ushort major, ushort minor) => major == 1 && minor is 0 or 2;

    public static int Pad4(int length) => (length + 3) & ~3;
}
