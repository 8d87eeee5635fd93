namespace Datapath.Io.Live;

/// <summary>The kinds of live port.</summary>
public enum LivePortBackend
{
    /// <summary>A TAP device through /dev/net/tun (<see cref="TapPort"/>).</summary>
    Tap,

    /// <summary>An existing interface through an AF_PACKET socket (<see cref="AfPacketPort"/>).</summary>
    AfPacket,

    /// <summary>An existing interface through libpcap (<see cref="PcapPort"/>).</summary>
    Pcap,
}
