namespace Datapath.Engine.Tracing;

/// <summary>A drop: where (table, or null outside the tables) and why.</summary>
public sealed record TraceDrop(string Node, int? Table, DropReason Reason)
{
    public string ReasonName => DropReasonNames.Name(Reason);
}
