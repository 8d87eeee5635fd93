namespace Datapath.Io.Capture;

/// <summary>Constants of the classic libpcap file format (draft-ietf-opsawg-pcap).</summary>
internal static class PcapFormat
{
    public const uint MagicMicroseconds = 0xA1B2C3D4;
    public const uint MagicNanoseconds = 0xA1B23C4D;
    public const int FileHeaderLength = 24;
    public const int RecordHeaderLength = 16;
    public const ushort VersionMajor = 2;
    public const ushort VersionMinor = 4;

    /// <summary>libpcap's MAXIMUM_SNAPLEN: no record of a sane file captures more than this.</summary>
    public const int MaximumSnapLength = 262144;
}
