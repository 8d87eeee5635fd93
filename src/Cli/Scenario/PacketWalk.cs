using Datapath.Antrea;
using Datapath.Engine;
using Datapath.Engine.Host;
using Datapath.Engine.Tracing;

namespace Datapath.Cli.Scenario;

/// <summary>
/// Runs one frame from (node, port) as far as <see cref="Scope"/> says: a bridge alone (as
/// <c>ovs-appctl ofproto/trace</c> does), one whole node (its bridge and the Linux host behind
/// antrea-gw0, kube-proxy's DNAT included; GENEVE frames leave through the tunnel port), or the
/// cluster (GENEVE frames continue on the peer node). Every scope answers with the same
/// <see cref="HostedResult"/>: the frames that left, the drops with their reasons, the frames a
/// host consumed.
/// </summary>
internal sealed class PacketWalk
{
    private readonly Dictionary<string, HostedCluster> _hosted = new(StringComparer.Ordinal);
    private readonly ulong _seed;

    public PacketWalk(AntreaScenario scenario, WalkScope scope, int? seed)
    {
        Scenario = scenario;
        Scope = scope;
        _seed = (ulong)(seed ?? 1);
    }

    public AntreaScenario Scenario { get; }
    public WalkScope Scope { get; }

    public HostedResult Run(Node node, BridgePort inPort, ReadOnlySpan<byte> frame, long nowMs, Trace? trace)
    {
        if (Scope == WalkScope.Bridge)
        {
            var sink = new CollectingSink();
            var verdict = node.Process(inPort.OfPort, frame, sink, nowMs, trace);
            var result = new HostedResult();
            result.Outputs.AddRange(sink.Outputs);
            if (verdict.Dropped)
            {
                string where = verdict.DropTable == DropCounters.NoTable ? node.Bridge.Name : $"{node.Bridge.Name} table {verdict.DropTable}";
                result.Drops.Add(new HostedDrop(node.Name, where, DropReasonNames.Name(verdict.DropReason ?? DropReason.NoOutput)));
            }
            return result;
        }
        return Hosted(node).Inject(node.Name, inPort.Name, frame, nowMs, trace);
    }

    /// <summary>The hosted cluster for this scope, built once (its hosts' random draws start from the seed).</summary>
    private HostedCluster Hosted(Node node)
    {
        string key = Scope == WalkScope.Cluster ? "" : node.Name;
        if (!_hosted.TryGetValue(key, out var hosted))
        {
            var cluster = Scope == WalkScope.Cluster ? Scenario.Cluster : new Cluster([node]);
            hosted = ScenarioHosts.Build(Scenario, cluster, _seed);
            _hosted.Add(key, hosted);
        }
        return hosted;
    }

    private sealed class CollectingSink : IPacketSink
    {
        public List<HostedOutput> Outputs { get; } = [];

        public void Output(Node node, BridgePort port, ReadOnlySpan<byte> frame)
            => Outputs.Add(new HostedOutput(node.Name, port.Name, port.OfPort, frame.ToArray()));
    }
}
