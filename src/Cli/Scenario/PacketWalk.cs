using Datapath.Antrea;
using Datapath.Engine;
using Datapath.Engine.Tracing;

namespace Datapath.Cli.Scenario;

/// <summary>
/// Runs one frame from (node, port) through the emulated cluster as far as <see cref="Scope"/> says:
/// a bridge alone (as <c>ovs-appctl ofproto/trace</c> does), a whole node, or the cluster, where
/// GENEVE frames leaving a tunnel port continue on the peer node.
/// </summary>
internal sealed class PacketWalk(AntreaScenario scenario, WalkScope scope, int? seed)
{
    public AntreaScenario Scenario { get; } = scenario;
    public WalkScope Scope { get; } = scope;
    public int? Seed { get; } = seed;

    public IReadOnlyList<(Node Node, PacketVerdict Verdict)> Run(Node node, BridgePort inPort, ReadOnlySpan<byte> frame, IPacketSink? sink, long nowMs, Trace? trace)
        => Scope switch
        {
            WalkScope.Cluster => Scenario.Cluster.Process(node, inPort.OfPort, frame, sink, nowMs, trace, followTunnels: true),
            _ => [(node, node.Process(inPort.OfPort, frame, sink, nowMs, trace))],
        };
}
