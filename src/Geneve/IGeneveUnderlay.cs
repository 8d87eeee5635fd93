using Datapath.Packets;

namespace Datapath.Geneve;

/// <summary>
/// The network under the tunnel: carries GENEVE datagrams (UDP payloads: GENEVE header, options,
/// inner frame) between node addresses on UDP port 6081. Implementations: <see cref="InMemoryGeneveUnderlay"/>
/// (emulated nodes in one process) and Datapath.Io's UdpGeneveUnderlay (a real UDP socket; it has
/// the same members, so a delegating adapter in the CLI makes it an IGeneveUnderlay).
/// </summary>
/// <remarks>
/// Thread-safety: <see cref="TrySend"/> from any thread; <see cref="Receive"/> and the
/// <c>Received*</c> accessors from one receiving thread (each underlay owns one receive batch,
/// reused: a steady stream allocates nothing).
/// </remarks>
public interface IGeneveUnderlay : IDisposable
{
    /// <summary>This node's underlay address: tun_src of what it sends, tun_dst of what it receives.</summary>
    Ipv4Address LocalAddress { get; }

    /// <summary>Sends one datagram to <paramref name="destination"/>:6081. False when it was dropped
    /// (unknown or unreachable destination, full queue, socket error); the caller counts it.</summary>
    bool TrySend(Ipv4Address destination, ReadOnlySpan<byte> payload);

    /// <summary>
    /// Waits up to <paramref name="timeout"/> (<see cref="Timeout.InfiniteTimeSpan"/> for ever) for a
    /// datagram, then takes every datagram already waiting, up to the batch capacity. Returns how
    /// many the batch holds: 0 on timeout or once disposed. The previous batch is released.
    /// </summary>
    int Receive(TimeSpan timeout);

    /// <summary>The payload of datagram <paramref name="index"/> of the last <see cref="Receive"/>; valid until the next.</summary>
    ReadOnlySpan<byte> ReceivedPayload(int index);

    /// <summary>The sender of datagram <paramref name="index"/> of the last <see cref="Receive"/>.</summary>
    Ipv4Address ReceivedSource(int index);
}
