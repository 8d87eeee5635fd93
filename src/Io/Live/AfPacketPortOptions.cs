namespace Datapath.Io.Live;

/// <summary>How <see cref="AfPacketPort.Open"/> opens an existing interface.</summary>
public sealed class AfPacketPortOptions
{
    /// <summary>Join the interface's promiscuous membership (PACKET_MR_PROMISC) so frames for any MAC are seen. Default true.</summary>
    public bool Promiscuous { get; init; } = true;

    /// <summary>An optional tcpdump filter expression ("udp port 6081"), compiled with libpcap and
    /// attached as a socket filter (SO_ATTACH_FILTER); needs libpcap0.8 only when set.</summary>
    public string? Filter { get; init; }

    /// <summary>Kernel receive buffer (SO_RCVBUFFORCE), bytes, for the recvmmsg path. Default 4 MiB.</summary>
    public int ReceiveBufferBytes { get; init; } = 4 << 20;

    /// <summary>Kernel send buffer (SO_SNDBUFFORCE), bytes: bounds the frames in flight on either send path. Default 4 MiB.</summary>
    public int SendBufferBytes { get; init; } = 4 << 20;

    /// <summary>Send straight to the driver, skipping the interface's qdisc (PACKET_QDISC_BYPASS). Default false.</summary>
    public bool QdiscBypass { get; init; }

    /// <summary>
    /// The receive ring (PACKET_RX_RING, mmap'ed, zero copy). Default <see cref="AfPacketRxRing.V3"/>.
    /// When the kernel refuses the ring (setsockopt or mmap fails) the port falls back to recvmmsg
    /// and says so in <see cref="AfPacketPort.RxRing"/>.
    /// </summary>
    public AfPacketRxRing RxRing { get; init; } = AfPacketRxRing.V3;

    /// <summary>V3: bytes per block (a multiple of the page size; a power of two pages). Default 64 KiB.</summary>
    public int RxBlockBytes { get; init; } = 64 << 10;

    /// <summary>V3: number of blocks. Default 64 (a 4 MiB ring).</summary>
    public int RxBlockCount { get; init; } = 64;

    /// <summary>V3: how long the kernel keeps a partly filled block before handing it over, in ms
    /// (rounded up to jiffies by the kernel). Default 1.</summary>
    public int RxBlockTimeoutMs { get; init; } = 1;

    /// <summary>V2: bytes per ring slot (header, headroom and the frame; a power of two). Default 2048. Raised to the
    /// next power of two that holds an MTU-sized frame (MTU + 18 + 154 bytes), halving the slot count to keep the ring's size.</summary>
    public int RxFrameBytes { get; init; } = 2048;

    /// <summary>V2: number of ring frames. Default 2048 (a 4 MiB ring).</summary>
    public int RxFrameCount { get; init; } = 2048;

    /// <summary>
    /// Send through a TPACKET_V2 transmit ring (PACKET_TX_RING): frames are copied into the ring and
    /// one send(2) hands a whole batch to the kernel. Default true; falls back to sendmmsg when refused
    /// (<see cref="AfPacketPort.UsesTxRing"/>).
    /// </summary>
    public bool TxRing { get; init; } = true;

    /// <summary>Number of transmit ring frames (each holds one frame up to the interface's MTU). Default 512.</summary>
    public int TxFrameCount { get; init; } = 512;
    /// <summary>
    /// Join a PACKET_FANOUT group of type PACKET_FANOUT_HASH (with PACKET_FANOUT_FLAG_DEFRAG): the sockets of
    /// the group share the interface's frames by the kernel's symmetric flow hash, so one worker thread per
    /// socket sees every frame of a connection, both directions. Default false.
    /// </summary>
    public bool Fanout { get; init; }
    /// <summary>With <see cref="Fanout"/>: the group to join (<see cref="AfPacketPort.FanoutId"/> of its first
    /// socket), or null to start a new group with an id the kernel picks (PACKET_FANOUT_FLAG_UNIQUEID).</summary>
    public ushort? FanoutId { get; init; }
}
