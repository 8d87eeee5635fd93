using Datapath.Geneve;

namespace Datapath.Live;

/// <summary>
/// The daemon's own counters for one node, beside the bridge's (rules, ports, drops): what happens
/// at the edges the engine does not see — the underlay, the gateway, bindings, faults. Interlocked; any thread.
/// </summary>
internal sealed class LiveCounters
{
    private static readonly int s_decapReasons = Enum.GetValues<GeneveDropReason>().Length;
    private readonly long[] _decapDrops = new long[s_decapReasons + 1];
    private long _underlayRx, _underlayRxBytes, _underlayTx, _underlayTxBytes, _underlaySendErrors, _underlayUnknownPeer,
        _underlayNoPeer, _underlayBadFrame, _gatewayUnhandled, _unbound, _portFaults, _handlerFailures, _hostUplink,
        _localDelivered, _localArpReplies, _localDrops;

    public long UnderlayRx => Volatile.Read(ref _underlayRx);
    public long UnderlayRxBytes => Volatile.Read(ref _underlayRxBytes);
    public long UnderlayTx => Volatile.Read(ref _underlayTx);
    public long UnderlayTxBytes => Volatile.Read(ref _underlayTxBytes);
    /// <summary>Datagrams the socket refused to send.</summary>
    public long UnderlaySendErrors => Volatile.Read(ref _underlaySendErrors);
    /// <summary>Datagrams received from an address that is no known peer's underlay address.</summary>
    public long UnderlayUnknownPeer => Volatile.Read(ref _underlayUnknownPeer);
    /// <summary>GENEVE frames for a node IP that has no underlay address.</summary>
    public long UnderlayNoPeer => Volatile.Read(ref _underlayNoPeer);
    /// <summary>Tunnel outputs that were not Ethernet/IPv4/UDP (cannot happen with a sane encapsulator).</summary>
    public long UnderlayBadFrame => Volatile.Read(ref _underlayBadFrame);
    /// <summary>Frames the bridge sent to the gateway port while no host stack or live port serves it.</summary>
    public long GatewayUnhandled => Volatile.Read(ref _gatewayUnhandled);
    /// <summary>Frames output to a bridge port that has no live binding.</summary>
    public long Unbound => Volatile.Read(ref _unbound);
    public long PortFaults => Volatile.Read(ref _portFaults);
    /// <summary>Frames the host stack transmitted on its uplink (no uplink is bound in a live lab).</summary>
    public long HostUplink => Volatile.Read(ref _hostUplink);
    public long HandlerFailures => Volatile.Read(ref _handlerFailures);
    /// <summary>Packets the host delivered to its local sockets that were written to the node's namespace (the local binding).</summary>
    public long LocalDelivered => Volatile.Read(ref _localDelivered);
    /// <summary>ARP requests from the node's namespace answered (its on-link next hop).</summary>
    public long LocalArpReplies => Volatile.Read(ref _localArpReplies);
    /// <summary>Frames from the node's namespace that are neither IPv4 nor an ARP request (IPv6, gratuitous ARP), and runts.</summary>
    public long LocalDrops => Volatile.Read(ref _localDrops);

    public long DecapDrops(GeneveDropReason reason) => Volatile.Read(ref _decapDrops[(int)reason]);

    public void UnderlayReceived(int bytes)
    {
        Interlocked.Increment(ref _underlayRx);
        Interlocked.Add(ref _underlayRxBytes, bytes);
    }

    public void UnderlaySent(int bytes)
    {
        Interlocked.Increment(ref _underlayTx);
        Interlocked.Add(ref _underlayTxBytes, bytes);
    }

    public void UnderlaySendError() => Interlocked.Increment(ref _underlaySendErrors);
    public void UnknownPeer() => Interlocked.Increment(ref _underlayUnknownPeer);
    public void NoPeer() => Interlocked.Increment(ref _underlayNoPeer);
    public void BadTunnelFrame() => Interlocked.Increment(ref _underlayBadFrame);
    public void GatewayOutput() => Interlocked.Increment(ref _gatewayUnhandled);
    public void UnboundOutput() => Interlocked.Increment(ref _unbound);
    public void PortFault() => Interlocked.Increment(ref _portFaults);
    public void HostUplinkOutput() => Interlocked.Increment(ref _hostUplink);
    public void HandlerFailure() => Interlocked.Increment(ref _handlerFailures);
    public void LocalDelivery() => Interlocked.Increment(ref _localDelivered);
    public void LocalArpReply() => Interlocked.Increment(ref _localArpReplies);
    public void LocalDrop() => Interlocked.Increment(ref _localDrops);
    public void DecapDrop(GeneveDropReason reason) => Interlocked.Increment(ref _decapDrops[Math.Min((int)reason, s_decapReasons)]);
}
