namespace Datapath.Engine;

/// <summary>What happened to one frame on one node: how many copies left, or why it was dropped.</summary>
public readonly record struct PacketVerdict(int Outputs, DropReason? DropReason, byte DropTable)
{
    public bool Dropped => Outputs == 0;

    public override string ToString() => DropReason is { } r && Outputs == 0
        ? "drop: " + DropReasonNames.Describe(DropTable, r)
        : $"{Outputs} output(s)";
}
