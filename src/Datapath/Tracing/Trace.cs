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

    /// <summary>Every pass of every bridge traversal, in order (one per Megaflow step).</summary>
    public List<TracePass> Passes { get; } = [];

    /// <summary>
    /// ofproto/trace's <c>--ct-next</c>: the ct_state each recirculation after a ct(table=N) resumes with, one
    /// per recirculation in order; past the list, the state conntrack gave (a fresh table: <c>new|trk</c>, the
    /// state OVS's trace assumes).
    /// </summary>
    public IReadOnlyList<uint> CtNext { get; init; } = [];

    private int _ctNextUsed;

    /// <summary>Set when a --ct-next state was applied, until the recirculation step records it.</summary>
    internal uint? PendingCtNext { get; set; }

    /// <summary>The next <see cref="CtNext"/> state, or null when the list is used up.</summary>
    internal uint? TakeCtNext() => _ctNextUsed < CtNext.Count ? CtNext[_ctNextUsed++] : null;

    /// <summary>
    /// The recirc_id the trace prints for the bridge's first (1 by default). OVS hands ids out from one counter
    /// over a daemon's life, so a trace after others starts higher (0x5 where four ids were used before).
    /// </summary>
    public uint FirstRecircId { get; init; } = 1;

    /// <summary>A recirc_id as this trace prints it.</summary>
    public uint ShownRecircId(uint id) => id == 0 ? 0 : id + FirstRecircId - 1;

    /// <summary>The tables visited on one node, in order (what the seed tests assert).</summary>
    public IReadOnlyList<int> TablesVisited(string node)
        => [.. Steps.Where(s => s.Kind == TraceKind.OpenFlow && s.Node == node && s.Table is not null).Select(s => s.Table!.Value)];

    /// <summary>The table steps of one node.</summary>
    public IEnumerable<TraceStep> TableSteps(string node) => Steps.Where(s => s.Kind == TraceKind.OpenFlow && s.Node == node);
}
