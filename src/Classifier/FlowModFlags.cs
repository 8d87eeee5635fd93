namespace Datapath.Classifier;

/// <summary>OpenFlow flow-mod flags as ovs-ofctl(8) names them.</summary>
[Flags]
public enum FlowModFlags
{
    None = 0,
    SendFlowRemoved = 1,
    CheckOverlap = 2,
    ResetCounts = 4,
    NoPacketCounts = 8,
    NoByteCounts = 16,
}
