namespace Datapath.Io.Live;

/// <summary>How an <see cref="AfPacketPort"/> receives (docs/live-io.md, "PACKET_MMAP rings").</summary>
public enum AfPacketRxRing
{
    /// <summary>No ring: recvmmsg(2) copies each batch into the FrameBatch's slots.</summary>
    None,

    /// <summary>
    /// A TPACKET_V2 ring of fixed-size frames: each frame is handed over as soon as the kernel wrote
    /// it (lowest latency; what libpcap uses in immediate mode). Zero copy.
    /// </summary>
    V2,

    /// <summary>
    /// A TPACKET_V3 ring of blocks: the kernel packs frames of any size into a block and hands the
    /// block over when it is full or when its retire timer fires (fewest wake-ups, densest memory;
    /// a quiet link waits for the timer, at least one jiffy). Zero copy.
    /// </summary>
    V3,
}
