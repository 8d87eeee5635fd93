namespace Datapath.Live;

/// <summary>What kind of live port a bridge port is bound to.</summary>
internal enum LabPortKind
{
    /// <summary>A TAP device we create (or attach to, if it exists as a persistent TAP).</summary>
    Tap,
    /// <summary>An existing interface opened with an AF_PACKET socket.</summary>
    AfPacket,
    /// <summary>An existing interface opened with libpcap.</summary>
    Pcap,
}

/// <summary>
/// <c>frontend-a3ba2f: tap:w1-frontend</c>: the bridge port (by name) and the live port it is bound to.
/// For a node that defines its own bridge, also the ofport and MAC of the bridge port.
/// </summary>
internal sealed record LabPortBinding(string Port, LabPortKind Kind, string Interface, int Line, int Column)
{
    /// <summary>For a self-defined bridge: the port's OpenFlow number.</summary>
    public uint? OfPort { get; init; }

    /// <summary>For a self-defined bridge: the port's MAC (default: a locally administered one made from the ofport).</summary>
    public string? Mac { get; init; }

    /// <summary>The MTU to give a TAP we create.</summary>
    public int? Mtu { get; init; }

    /// <summary>For afpacket: the receive ring (v3, v2 or none: recvmmsg and sendmmsg); null = the daemon's default (<see cref="LiveNode.DefaultRing"/>).</summary>
    public Io.Live.AfPacketRxRing? Ring { get; init; }

    /// <summary>For pcap and afpacket: a tcpdump filter expression; only frames it accepts reach the bridge.</summary>
    public string? Filter { get; init; }

    public string Describe() => $"{Kind switch { LabPortKind.Tap => "tap", LabPortKind.AfPacket => "afpacket", _ => "pcap" }}:{Interface}";
}
