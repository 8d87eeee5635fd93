namespace Datapath.Engine;

/// <summary>
/// What one journey came to: the frames that left (<see cref="Outputs"/>), those a host consumed
/// (<see cref="Delivered"/>), the drops, the GENEVE frames carried to a peer node (<see cref="Transits"/>: not
/// results, the peer's are), and the bridge/host traversals taken. Every frame in ends as at least one
/// <see cref="Events"/>; more than one is a copy (NORMAL's flood, a reply next to a consumed request, an ARP
/// exchange). <see cref="Queued"/> counts frames a host holds for a neighbour being resolved: each ends later, sent or
/// dropped, as an event of the journey during which its neighbour answers or fails.
/// </summary>
public readonly record struct JourneyResult(int Outputs, int Drops, int Delivered, int Transits, int Hops, int Queued = 0)
{
    /// <summary>Outputs + drops + deliveries + frames left waiting: what the frame and its copies, replies and errors became.</summary>
    public int Events => Outputs + Drops + Delivered + Queued;
}
