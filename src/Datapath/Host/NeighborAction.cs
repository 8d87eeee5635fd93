namespace Datapath.Engine.Host;

/// <summary>What a neighbour timer step asks the host to do once the lock is released: send a request, or drop what waited.</summary>
internal readonly record struct NeighborAction(int Device, uint Address, ulong Mac, NudState State, long AtMs)
{
    public byte[]? Solicit { get; init; }
    public List<QueuedFrame>? Failed { get; init; }
    public int Probe { get; init; }
    public int Of { get; init; }
}
