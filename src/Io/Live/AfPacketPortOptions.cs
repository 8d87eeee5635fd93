namespace Datapath.Io.Live;

/// <summary>How <see cref="AfPacketPort.Open"/> opens an existing interface.</summary>
public sealed class AfPacketPortOptions
{
    /// <summary>Join the interface's promiscuous membership (PACKET_MR_PROMISC) so frames for any MAC are seen. Default true.</summary>
    public bool Promiscuous { get; init; } = true;

    /// <summary>An optional tcpdump filter expression ("udp port 6081"), compiled with libpcap and
    /// attached as a socket filter (SO_ATTACH_FILTER); needs libpcap0.8 only when set.</summary>
    public string? Filter { get; init; }

    /// <summary>Kernel receive buffer (SO_RCVBUFFORCE), bytes. Default 4 MiB.</summary>
    public int ReceiveBufferBytes { get; init; } = 4 << 20;

    /// <summary>Kernel send buffer (SO_SNDBUFFORCE), bytes. Default 4 MiB.</summary>
    public int SendBufferBytes { get; init; } = 4 << 20;

    /// <summary>Send straight to the driver, skipping the interface's qdisc (PACKET_QDISC_BYPASS). Default false.</summary>
    public bool QdiscBypass { get; init; }
}
