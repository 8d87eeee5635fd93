using Datapath.Classifier;

namespace Datapath.Engine.Tracing;

/// <summary>
/// One step of a trace. For <see cref="TraceKind.OpenFlow"/>: <see cref="Table"/>, the matched
/// <see cref="Rule"/> (null on a miss) and one <see cref="TraceAction"/> per action run.
/// Other kinds carry their facts in <see cref="Details"/> (ordered key/value pairs).
/// </summary>
public sealed class TraceStep
{
    public TraceStep(string node, TraceKind kind, int depth)
    {
        Node = node;
        Kind = kind;
        Depth = depth;
    }

    public string Node { get; }
    public TraceKind Kind { get; }
    /// <summary>Nesting: 0 at the start of a pass, +1 per resubmit to the same or an earlier table.</summary>
    public int Depth { get; }
    public int? Table { get; init; }
    public FlowRule? Rule { get; init; }
    /// <summary>The rule as <c>dump-flows</c> prints it (no stats), or null on a miss.</summary>
    public string? RuleText { get; init; }
    /// <summary>The rule in ofproto/trace form: <c>ip,in_port=2, priority 200, cookie 0x1000000000000</c>.</summary>
    public string? RuleSummary { get; init; }
    public List<TraceAction> Actions { get; } = [];
    /// <summary>For <see cref="TraceKind.Ingress"/> and <see cref="TraceKind.Recirculation"/>: the key the next pass starts from.</summary>
    public Datapath.Packets.FlowKey? Flow { get; init; }
    /// <summary>For <see cref="TraceKind.Recirculation"/>: <see cref="Flow"/> as the default trace prints it (with the trace's names).</summary>
    public string? FlowText { get; init; }
    /// <summary>For <see cref="TraceKind.Megaflow"/>: the pass it ends.</summary>
    public TracePass? Pass { get; init; }
    /// <summary>For <see cref="TraceKind.Recirculation"/>: the ct_state <c>--ct-next</c> made it resume with, or null (conntrack's own).</summary>
    public uint? CtNext { get; init; }
    public List<KeyValuePair<string, string>> Details { get; } = [];
    /// <summary>A one-line summary for non-table steps (printed after <c>-></c>).</summary>
    public string? Summary { get; set; }

    public TraceStep Add(string key, string value)
    {
        Details.Add(new(key, value));
        return this;
    }
}
