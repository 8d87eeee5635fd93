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

    /// <summary>
    /// The most bytes one record may capture: Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD (the limit
    /// for Ethernet, whatever the file header's snap length says), which is also libpcap's
    /// MAXIMUM_SNAPLEN. tshark refuses a 262145-byte record ("File has 262145-byte packet, bigger
    /// than maximum of 262144"); so do the readers, before allocating anything for it. The same
    /// limit applies to pcapng packet blocks ("cap_len N is larger than 262144").
    /// </summary>
    public const int MaximumSnapLength = 262144;
}
