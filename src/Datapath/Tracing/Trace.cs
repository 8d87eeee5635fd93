namespace Datapath.Engine.Tracing;

/// <summary>
/// The record of one packet's walk through one or more nodes, as <c>ofproto/trace</c> shows it:
/// steps in order, then the verdict (outputs with frames, drops with table and reason, deliveries to a host).
/// Tracing costs nothing when off: the translator only touches a Trace behind
/// <c>if (ctx.Trace is { } t)</c>.
/// </summary>
public sealed class Trace
{
    /// <summary>
    /// The names the steps print (rules, actions, the ingress flow): by default port names and table
    /// numbers, as traces always printed them; <c>trace --names</c> adds table names, <c>--no-names</c>
    /// prints numbers only.
    /// </summary>
    public Classifier.NamesShown Names { get; init; } = Classifier.NamesShown.Ports;

    public List<TraceStep> Steps { get; } = [];
    public List<TraceOutput> Outputs { get; } = [];
    public List<TraceDrop> Drops { get; } = [];

    /// <summary>Frames a host stack took for itself: the third way a walk ends, beside outputs and drops.</summary>
    public List<TraceDelivery> Deliveries { get; } = [];
    /// <summary>The working key at the end of the last pass, per node (OVS's "Final flow:").</summary>
    public Dictionary<string, Datapath.Packets.FlowKey> FinalFlows { get; } = [];

    /// <summary>Each pass's megaflow (OVS's "Megaflow:" line), in order.</summary>
    public List<string> Megaflows { get; } = [];

    /// <summary>Each pass's datapath actions (OVS's "Datapath actions:" line), in order.</summary>
    public List<string> DatapathActions { get; } = [];

    /// <summary>The tables visited on one node, in order (what the seed tests assert).</summary>
    public IReadOnlyList<int> TablesVisited(string node)
        => [.. Steps.Where(s => s.Kind == TraceKind.OpenFlow && s.Node == node && s.Table is not null).Select(s => s.Table!.Value)];

    /// <summary>The table steps of one node.</summary>
    public IEnumerable<TraceStep> TableSteps(string node) => Steps.Where(s => s.Kind == TraceKind.OpenFlow && s.Node == node);
}
