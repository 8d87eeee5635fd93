namespace Datapath.Conntrack;

/// <summary>
/// A TCP connection's state as Linux nf_conntrack names it (and as timeout policies are keyed),
/// derived from the two per-peer states that OVS's pf-based tracker keeps.
/// </summary>
public enum TcpState : byte
{
    None,
    SynSent,
    SynRecv,
    Established,
    FinWait,
    CloseWait,
    LastAck,
    TimeWait,
    Close,
}

/// <summary>
/// Per-peer TCP state of OVS's userspace tracker (pf), numbered as ct-dpif's CT_DPIF_TCPS_*
/// so that ordering comparisons read as in lib/conntrack-tcp.c. pf uses Closed, SynSent,
/// Established, Closing, FinWait2 and TimeWait.
/// </summary>
internal enum PeerState : byte
{
    Closed = 0,
    Listen = 1,
    SynSent = 2,
    SynRecv = 3,
    Established = 4,
    CloseWait = 5,
    FinWait1 = 6,
    Closing = 7,
    LastAck = 8,
    FinWait2 = 9,
    TimeWait = 10,
}
