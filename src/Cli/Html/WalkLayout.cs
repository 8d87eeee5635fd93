using Datapath.Engine.Tracing;

namespace Datapath.Cli.Html;

/// <summary>
/// Places a trace's steps for <see cref="WalkDiagram"/>: nodes side by side in the cluster's order, one column per
/// table the walk visits (the same columns on every node), and rows in walk order — a pass through the bridge
/// (from its ingress or recirculation to its datapath actions and conntrack) on one row, each host step on a row
/// of its own, then a row per verdict.
/// </summary>
internal sealed class WalkLayout
{
    private WalkLayout(IReadOnlyList<string> nodes, IReadOnlyList<int> tables, IReadOnlyList<WalkCell> cells, int rows)
    {
        Nodes = nodes;
        Tables = tables;
        Cells = cells;
        Rows = rows;
    }

    /// <summary>The nodes the walk touches, left to right.</summary>
    public IReadOnlyList<string> Nodes { get; }

    /// <summary>The tables visited on any node (or dropped in), ascending: the bridge's columns.</summary>
    public IReadOnlyList<int> Tables { get; }

    /// <summary>Every step in walk order (Index 1..n), then the verdicts.</summary>
    public IReadOnlyList<WalkCell> Cells { get; }

    public int Rows { get; }

    /// <summary>The node's place from the left (0-based).</summary>
    public int NodeIndex(string node)
    {
        for (int i = 0; i < Nodes.Count; i++)
        {
            if (Nodes[i] == node)
                return i;
        }
        return -1;
    }

    /// <summary>Lays out <paramref name="trace"/>; <paramref name="nodeOrder"/> is the cluster's nodes in order (nodes it does not name follow in walk order).</summary>
    public static WalkLayout Build(Trace trace, IReadOnlyList<string> nodeOrder)
    {
        var seen = trace.Steps.Select(s => s.Node)
            .Concat(trace.Outputs.Select(o => o.Node))
            .Concat(trace.Drops.Select(d => d.Node))
            .Concat(trace.Deliveries.Select(d => d.Node))
            .Distinct(StringComparer.Ordinal).ToList();
        List<string> nodes = [.. nodeOrder.Where(seen.Contains), .. seen.Where(n => !nodeOrder.Contains(n))];
        List<int> tables = [.. trace.Steps.Where(s => s.Kind == TraceKind.OpenFlow && s.Table is not null).Select(s => s.Table!.Value)
            .Concat(trace.Drops.Where(d => d.Table is not null).Select(d => d.Table!.Value))
            .Distinct().Order()];

        var dropSteps = DropSteps(trace);
        var cells = new List<WalkCell>();
        int row = -1;
        WalkCell? last = null;
        for (int i = 0; i < trace.Steps.Count; i++)
        {
            var step = trace.Steps[i];
            var (column, tableColumn) = Place(trace, i, nodes, tables, last);
            var cell = new WalkCell(i + 1, step.Node, 0, column, tableColumn, step, null) { IsDrop = dropSteps.Contains(step) };
            bool sameRow = last is not null && last.Node == step.Node && last.Column != WalkColumn.Host
                && column != WalkColumn.Host && step.Kind != TraceKind.Recirculation && cell.SortKey > last.SortKey;
            if (!sameRow)
                row++;
            last = cell with { Row = row };
            cells.Add(last);
        }
        int index = trace.Steps.Count;
        foreach (var verdict in Verdicts(trace))
            cells.Add(new WalkCell(++index, verdict.Node, ++row, WalkColumn.Port, 0, null, verdict) { IsDrop = verdict.Kind == "drop" });
        return new WalkLayout(nodes, tables, cells, row + 1);
    }

    private static (WalkColumn Column, int TableColumn) Place(Trace trace, int i, List<string> nodes, List<int> tables, WalkCell? last)
    {
        var step = trace.Steps[i];
        bool afterHost = last is not null && last.Node == step.Node && last.Column == WalkColumn.Host;
        switch (step.Kind)
        {
            case TraceKind.OpenFlow:
                return (WalkColumn.Table, step.Table is { } t ? tables.IndexOf(t) : 0);
            case TraceKind.Drop when step.Table is { } dt && tables.Contains(dt):
                return (WalkColumn.Table, tables.IndexOf(dt));
            case TraceKind.Drop:
                return (afterHost ? WalkColumn.Host : WalkColumn.Conntrack, 0);
            case TraceKind.Ingress or TraceKind.Recirculation:
                return (WalkColumn.Port, 0);
            case TraceKind.Megaflow:
                return (WalkColumn.Megaflow, 0);
            case TraceKind.DatapathActions:
                return (WalkColumn.DatapathActions, 0);
            case TraceKind.Conntrack or TraceKind.Group or TraceKind.Normal:
                return (WalkColumn.Conntrack, 0);
            case TraceKind.Netfilter or TraceKind.Route or TraceKind.Neighbor:
                return (WalkColumn.Host, 0);
            case TraceKind.Tunnel:
                return (TunnelSide(trace, i, nodes), 0);
            default:
                return (WalkColumn.Conntrack, 0);
        }
    }

    /// <summary>The tunnel port is drawn on the side of the node the packet goes to (encap) or comes from (decap).</summary>
    private static WalkColumn TunnelSide(Trace trace, int i, List<string> nodes)
    {
        string node = trace.Steps[i].Node;
        bool decap = trace.Steps[i].Details.Any(d => d.Key == "op" && d.Value == "decap");
        var others = decap ? trace.Steps.Take(i).Reverse() : trace.Steps.Skip(i + 1);
        string? peer = others.Select(s => s.Node).FirstOrDefault(n => n != node);
        if (peer is null)
            return decap ? WalkColumn.TunnelLeft : WalkColumn.TunnelRight;
        return nodes.IndexOf(peer) > nodes.IndexOf(node) ? WalkColumn.TunnelRight : WalkColumn.TunnelLeft;
    }

    /// <summary>The steps drawn red: drop steps, netfilter DROP/REJECT verdicts, and for each verdict drop the last step of its table.</summary>
    private static HashSet<TraceStep> DropSteps(Trace trace)
    {
        var red = new HashSet<TraceStep>(ReferenceEqualityComparer.Instance);
        foreach (var s in trace.Steps)
        {
            if (s.Kind == TraceKind.Drop)
                red.Add(s);
            else if (s.Kind == TraceKind.Netfilter && s.Details.Any(d => d.Key == "verdict" && (d.Value.StartsWith("DROP", StringComparison.Ordinal) || d.Value.StartsWith("REJECT", StringComparison.Ordinal))))
                red.Add(s);
        }
        foreach (var d in trace.Drops)
        {
            var at = trace.Steps.LastOrDefault(s => s.Node == d.Node && (d.Table is null ? s.Kind is not (TraceKind.Megaflow or TraceKind.DatapathActions) : s.Kind == TraceKind.OpenFlow && s.Table == d.Table));
            if (at is not null)
                red.Add(at);
        }
        return red;
    }

    private static IEnumerable<WalkVerdict> Verdicts(Trace trace)
    {
        foreach (var o in trace.Outputs)
            yield return new WalkVerdict("output", o.Node, $"out {o.OfPort}({o.Port})", $"output on {o.Node} port {o.OfPort}({o.Port}), {o.Frame.Length} bytes", null, o.Port);
        foreach (var d in trace.Drops)
        {
            string where = d.Table is { } t ? $" in table {t}" : "";
            yield return new WalkVerdict("drop", d.Node, $"dropped{where}: {d.ReasonName}", $"dropped on {d.Node}{where}: {d.ReasonName}", d.Table, null);
        }
        foreach (var d in trace.Deliveries)
            yield return new WalkVerdict("delivered", d.Node, "delivered to the host", $"delivered to {d.Node}'s host stack, {d.Length} bytes", null, null);
    }
}
