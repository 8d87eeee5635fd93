namespace Datapath.Io.Capture;

/// <summary>Timestamp resolution of a pcap file (its magic) or a pcapng interface (if_tsresol).</summary>
public enum PcapTimestampResolution
{
    /// <summary>Magic 0xa1b2c3d4; pcapng if_tsresol 6 (the default).</summary>
    Microsecond,
    /// <summary>Magic 0xa1b23c4d; pcapng if_tsresol 9.</summary>
    Nanosecond,
}
