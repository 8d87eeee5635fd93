using Datapath.Engine.Tracing;

namespace Datapath.Cli.Html;

/// <summary>
/// One drawn element of the walk: a step of the trace (<see cref="Step"/>) or a verdict (<see cref="Verdict"/>),
/// at a row (time runs down the page, shared by every node) and a column of its node.
/// </summary>
internal sealed record WalkCell(int Index, string Node, int Row, WalkColumn Column, int TableColumn, TraceStep? Step, WalkVerdict? Verdict)
{
    /// <summary>Left-to-right order inside a node: a step that is not to the right of the row's last starts a new row.</summary>
    public int SortKey => ((int)Column * 1000) + TableColumn;

    /// <summary>Drawn red: a drop step, a drop verdict, a netfilter DROP/REJECT, or the table step a drop happened in.</summary>
    public bool IsDrop { get; init; }
}
