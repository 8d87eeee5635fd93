namespace Datapath.Engine.Tests.Seed;

internal sealed class CapturingSink : IPacketSink
{
    public List<(string Node, string Port, byte[] Frame)> Frames { get; } = [];

    public void Output(Node node, BridgePort port, ReadOnlySpan<byte> frame) => Frames.Add((node.Name, port.Name, frame.ToArray()));
}
