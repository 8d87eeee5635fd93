namespace Datapath.Engine;

/// <summary>
/// Receives the frames a node sends: one call per copy, with the frame exactly as it leaves the
/// port (for the tunnel port: the GENEVE frame as it leaves the uplink). The span is only valid
/// during the call; copy it to keep it.
/// </summary>
public interface IPacketSink
{
    void Output(Node node, BridgePort port, ReadOnlySpan<byte> frame);
}
