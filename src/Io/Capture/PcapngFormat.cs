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

    /// <summary>Blocks longer than this are treated as corrupt (the buffer would have to hold them).</summary>
    public const int MaximumBlockLength = 64 << 20;

    public static int Pad4(int length) => (length + 3) & ~3;
}
