using System.Globalization;
using System.Net;
using System.Text;
using Datapath.Engine.Tracing;

namespace Datapath.Cli.Html;

/// <summary>
/// Draws a <see cref="WalkLayout"/> as SVG in the seed articles' manner: each node a box, side by side; inside it
/// the br-int bridge with its tables as columns in pipeline order, conntrack beside it, the host behind
/// antrea-gw0 (kube-proxy's chains, the route, the neighbour), antrea-tun0 on the side of the peer node and the
/// GENEVE tunnel between them. Time runs down: each step is a <c>g.step</c> with data attributes and a
/// <c>title</c> (match, actions, field changes), linked to the next by an arrow; drops are red.
/// </summary>
internal static class WalkDiagram
{
    private const int Margin = 12;
    private const int NodeGap = 36;
    private const int HeaderTop = 14;
    private const int Top = 196;
    private const int RowHeight = 38;
    private const int Inset = 4;
    private const int GutterWidth = 48;
    private const int PortWidth = 112;
    private const int TableWidth = 44;
    private const int FlowWidth = 36;
    private const int ConntrackWidth = 66;
    private const int HostWidth = 224;
    private const int MinTablesWidth = 6 * TableWidth;

    public static void Write(StringBuilder sb, WalkLayout layout, Func<string, int, string?> tableName, Func<string, string?> nodeAddress)
    {
        int nodeWidth = NodeWidth(layout);
        int width = (2 * Margin) + (layout.Nodes.Count * nodeWidth) + (Math.Max(0, layout.Nodes.Count - 1) * NodeGap);
        int bottom = Top + (layout.Rows * RowHeight) + 12;
        int height = bottom + Margin;
        sb.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"walk\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" style=\"max-width: {width}px\" role=\"img\" aria-label=\"the packet walk\">\n"));
        sb.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#334155\"/></marker>"
            + "<marker id=\"arrow-tunnel\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"5\" markerHeight=\"5\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#ea580c\"/></marker></defs>\n");
        for (int n = 0; n < layout.Nodes.Count; n++)
            WriteNodeFrame(sb, layout, n, NodeX(layout, n), bottom, tableName, nodeAddress);
        WriteLinks(sb, layout);
        foreach (var cell in layout.Cells)
            WriteCell(sb, layout, cell, tableName);
        sb.Append("</svg>\n");
    }

    private static int NodeWidth(WalkLayout layout)
        => (2 * GutterWidth) + PortWidth + TablesWidth(layout) + (2 * FlowWidth) + ConntrackWidth + HostWidth;

    /// <summary>The tables' columns, at least wide enough for the bridge's title.</summary>
    private static int TablesWidth(WalkLayout layout) => Math.Max(MinTablesWidth, layout.Tables.Count * TableWidth);

    private static int NodeX(WalkLayout layout, int node) => Margin + (node * (NodeWidth(layout) + NodeGap));

    /// <summary>The left edge and width of a column inside its node.</summary>
    private static (int X, int Width) ColumnSpan(WalkLayout layout, WalkColumn column, int table)
    {
        int tablesX = GutterWidth + PortWidth;
        int flowX = tablesX + TablesWidth(layout);
        return column switch
        {
            WalkColumn.TunnelLeft => (0, GutterWidth),
            WalkColumn.Port => (GutterWidth, PortWidth),
            WalkColumn.Table => (tablesX + (table * TableWidth), TableWidth),
            WalkColumn.Megaflow => (flowX, FlowWidth),
            WalkColumn.DatapathActions => (flowX + FlowWidth, FlowWidth),
            WalkColumn.Conntrack => (flowX + (2 * FlowWidth), ConntrackWidth),
            WalkColumn.Host => (flowX + (2 * FlowWidth) + ConntrackWidth, HostWidth),
            _ => (flowX + (2 * FlowWidth) + ConntrackWidth + HostWidth, GutterWidth),
        };
    }

    /// <summary>The cell's box: x, y, width, height (a verdict spans the ports and tables).</summary>
    private static (int X, int Y, int W, int H) Box(WalkLayout layout, WalkCell cell)
    {
        int nodeX = NodeX(layout, layout.NodeIndex(cell.Node));
        var (x, w) = ColumnSpan(layout, cell.Column, cell.TableColumn);
        if (cell.Verdict is not null)
            w = PortWidth + TablesWidth(layout);
        return (nodeX + x + Inset, Top + (cell.Row * RowHeight) + 5, w - (2 * Inset), RowHeight - 10);
    }

    private static void WriteNodeFrame(StringBuilder sb, WalkLayout layout, int n, int x, int bottom, Func<string, int, string?> tableName, Func<string, string?> nodeAddress)
    {
        string node = layout.Nodes[n];
        int w = NodeWidth(layout);
        string address = nodeAddress(node) is { } a ? " · " + a : "";
        sb.Append(Inv($"<g class=\"node\" data-node=\"{E(node)}\">"));
        sb.Append(Inv($"<rect class=\"node-frame\" x=\"{x}\" y=\"{HeaderTop}\" width=\"{w}\" height=\"{bottom - HeaderTop}\" rx=\"10\"/>"));
        sb.Append(Inv($"<text class=\"node-title\" x=\"{x + 14}\" y=\"{HeaderTop + 22}\">{E(node + address)}</text>"));

        var (portX, _) = ColumnSpan(layout, WalkColumn.Port, 0);
        var (ctX, ctW) = ColumnSpan(layout, WalkColumn.Conntrack, 0);
        var (hostX, hostW) = ColumnSpan(layout, WalkColumn.Host, 0);
        int boxTop = HeaderTop + 34;
        int boxHeight = bottom - boxTop - 6;
        sb.Append(Inv($"<rect class=\"bridge\" x=\"{x + portX}\" y=\"{boxTop}\" width=\"{ctX - portX}\" height=\"{boxHeight}\" rx=\"6\"/>"));
        sb.Append(Inv($"<text class=\"area-title\" x=\"{x + portX + 8}\" y=\"{boxTop + 16}\">br-int (OVS bridge): the pipeline's tables</text>"));
        sb.Append(Inv($"<text class=\"area-note\" x=\"{x + portX + 8}\" y=\"{boxTop + 30}\">ports: pods, antrea-gw0, antrea-tun0</text>"));
        sb.Append(Inv($"<rect class=\"conntrack\" x=\"{x + ctX + 3}\" y=\"{boxTop}\" width=\"{ctW - 6}\" height=\"{boxHeight}\" rx=\"6\"/>"));
        sb.Append(Inv($"<rect class=\"host\" x=\"{x + hostX}\" y=\"{boxTop}\" width=\"{hostW}\" height=\"{boxHeight}\" rx=\"6\"/>"));
        sb.Append(Inv($"<text class=\"area-title\" x=\"{x + hostX + 8}\" y=\"{boxTop + 16}\">host (Linux)</text>"));
        sb.Append(Inv($"<text class=\"area-note\" x=\"{x + hostX + 8}\" y=\"{boxTop + 30}\">iptables (kube-proxy), routes, ARP</text>"));
        // antrea-gw0: the bridge's port to the host, drawn on the bridge's edge with a wire into the host.
        int gwY = boxTop + 52;
        sb.Append(Inv($"<line class=\"gw-wire\" x1=\"{x + ctX}\" y1=\"{gwY}\" x2=\"{x + hostX}\" y2=\"{gwY}\"/>"));
        sb.Append(Inv($"<rect class=\"port\" x=\"{x + hostX - 40}\" y=\"{gwY - 9}\" width=\"80\" height=\"18\" rx=\"3\"/>"));
        sb.Append(Inv($"<text class=\"port-label\" x=\"{x + hostX}\" y=\"{gwY + 4}\" text-anchor=\"middle\">antrea-gw0</text>"));

        for (int t = 0; t < layout.Tables.Count; t++)
        {
            var (tx, tw) = ColumnSpan(layout, WalkColumn.Table, t);
            int cx = x + tx + (tw / 2);
            int table = layout.Tables[t];
            string name = tableName(node, table) ?? "";
            sb.Append(Inv($"<text class=\"table-head\" x=\"{cx}\" y=\"{Top - 6}\" text-anchor=\"middle\">{table}</text>"));
            sb.Append(Inv($"<text class=\"table-name\" transform=\"translate({cx + 3},{Top - 20}) rotate(-62)\">{E(name)}</text>"));
        }
        ColumnHead(sb, layout, x, WalkColumn.Megaflow, "megaflow");
        ColumnHead(sb, layout, x, WalkColumn.DatapathActions, "dp actions");
        ColumnHead(sb, layout, x, WalkColumn.Conntrack, "conntrack");
        foreach (var side in new[] { WalkColumn.TunnelLeft, WalkColumn.TunnelRight })
        {
            if (layout.Cells.Any(c => c.Node == node && c.Column == side))
                ColumnHead(sb, layout, x, side, "antrea-tun0");
        }
        sb.Append("</g>\n");
    }

    private static void ColumnHead(StringBuilder sb, WalkLayout layout, int nodeX, WalkColumn column, string text)
    {
        var (cx, cw) = ColumnSpan(layout, column, 0);
        sb.Append(Inv($"<text class=\"table-name\" transform=\"translate({nodeX + cx + (cw / 2) + 3},{Top - 8}) rotate(-62)\">{E(text)}</text>"));
    }

    private static void WriteLinks(StringBuilder sb, WalkLayout layout)
    {
        WalkCell? previous = null;
        foreach (var cell in layout.Cells)
        {
            if (cell.Verdict is not null)
            {
                // A verdict hangs off the node's last step.
                var from = layout.Cells.LastOrDefault(c => c.Step is not null && c.Node == cell.Node);
                if (from is not null)
                    Link(sb, layout, from, cell, "link verdict-link");
                continue;
            }
            if (previous is not null)
            {
                string css = previous.Node != cell.Node ? "link tunnel-link" : previous.Row == cell.Row ? "link" : "link next-row";
                Link(sb, layout, previous, cell, css);
            }
            previous = cell;
        }
    }

    private static void Link(StringBuilder sb, WalkLayout layout, WalkCell from, WalkCell to, string css)
    {
        var a = Box(layout, from);
        var b = Box(layout, to);
        string marker = css.Contains("tunnel", StringComparison.Ordinal) ? "arrow-tunnel" : "arrow";
        string d;
        if (from.Row == to.Row)
            d = Inv($"M{a.X + a.W},{a.Y + (a.H / 2)} L{b.X},{b.Y + (b.H / 2)}");
        else if (from.Node != to.Node)
        {
            bool right = b.X > a.X;
            int x1 = right ? a.X + a.W : a.X;
            int x2 = right ? b.X : b.X + b.W;
            int y1 = a.Y + (a.H / 2);
            int y2 = b.Y + (b.H / 2);
            d = Inv($"M{x1},{y1} C{(x1 + x2) / 2},{y1} {(x1 + x2) / 2},{y2} {x2},{y2}");
            var (label, sub) = TunnelLabel(from.Step ?? to.Step);
            sb.Append(Inv($"<text class=\"tunnel-label\" x=\"{(x1 + x2) / 2}\" y=\"{Math.Min(y1, y2) - 10}\" text-anchor=\"middle\">{E(label)}</text>"));
            if (sub is not null)
                sb.Append(Inv($"<text class=\"tunnel-label sub\" x=\"{(x1 + x2) / 2}\" y=\"{Math.Max(y1, y2) + 22}\" text-anchor=\"middle\">{E(sub)}</text>"));
        }
        else
        {
            int x1 = a.X + (a.W / 2);
            int x2 = b.X + (b.W / 2);
            int y1 = a.Y + a.H;
            int y2 = b.Y;
            d = Inv($"M{x1},{y1} C{x1},{y1 + 16} {x2},{y2 - 16} {x2},{y2}");
        }
        sb.Append(Inv($"<path class=\"{css}\" d=\"{d}\" marker-end=\"url(#{marker})\"/>\n"));
    }

    private static (string Label, string? Sub) TunnelLabel(TraceStep? step)
    {
        if (step is null || step.Kind != TraceKind.Tunnel)
            return ("", null);
        string? src = StepText.Detail(step, "tun_src");
        string? dst = StepText.Detail(step, "tun_dst");
        string? vni = StepText.Detail(step, "tun_id");
        return ("GENEVE", src is null || dst is null ? null : $"{src} > {dst}" + (vni is null ? "" : $" vni {vni}"));
    }

    private static void WriteCell(StringBuilder sb, WalkLayout layout, WalkCell cell, Func<string, int, string?> tableName)
    {
        var (x, y, w, h) = Box(layout, cell);
        string kind = cell.Verdict?.Kind ?? TraceJsonWriter.KindName(cell.Step!.Kind);
        var css = new StringBuilder(cell.Verdict is null ? "step" : "verdict").Append(" kind-").Append(kind);
        if (cell.Step is { Kind: TraceKind.OpenFlow, RuleText: null })
            css.Append(" miss");
        if (cell.IsDrop)
            css.Append(" drop");
        int? table = cell.Step?.Table ?? cell.Verdict?.Table;
        string? name = table is { } t ? tableName(cell.Node, t) : null;
        sb.Append(Inv($"<g class=\"{css}\" data-index=\"{cell.Index}\" data-node=\"{E(cell.Node)}\" data-kind=\"{kind}\""));
        if (cell.Step is { Kind: TraceKind.Netfilter } nf)
            sb.Append(Inv($" data-table=\"{E(StepText.Detail(nf, "table") ?? "")}\" data-chain=\"{E(StepText.Detail(nf, "chain") ?? "")}\""));
        else if (table is { } tt)
            sb.Append(Inv($" data-table=\"{tt}\""));
        if (name is not null && cell.Step is not { Kind: TraceKind.Netfilter })
            sb.Append(Inv($" data-table-name=\"{E(name)}\""));
        if ((cell.Verdict?.Port ?? (cell.Step is { } s ? StepText.Detail(s, "in_port") : null)) is { } port)
            sb.Append(Inv($" data-port=\"{E(port)}\""));
        sb.Append(" tabindex=\"0\">");
        sb.Append("<title>").Append(E(StepText.Describe(cell, name))).Append("</title>");
        sb.Append(Inv($"<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" rx=\"4\"/>"));
        var (first, second) = StepText.Label(cell);
        int chars = Math.Max(3, (w - 6) * 10 / 64);
        bool centred = cell.Column is WalkColumn.Table or WalkColumn.Megaflow or WalkColumn.DatapathActions or WalkColumn.Conntrack
            or WalkColumn.TunnelLeft or WalkColumn.TunnelRight;
        int tx = centred ? x + (w / 2) : x + 6;
        string anchor = centred ? " text-anchor=\"middle\"" : "";
        if (second is null)
            sb.Append(Inv($"<text class=\"label\" x=\"{tx}\" y=\"{y + (h / 2) + 4}\"{anchor}>{E(Fit(first, chars))}</text>"));
        else
        {
            sb.Append(Inv($"<text class=\"label\" x=\"{tx}\" y=\"{y + 12}\"{anchor}>{E(Fit(first, chars))}</text>"));
            sb.Append(Inv($"<text class=\"label sub\" x=\"{tx}\" y=\"{y + 24}\"{anchor}>{E(Fit(second, chars + 2))}</text>"));
        }
        if (cell.Step is { } st && st.Actions.Any(a => a.Effects.Count > 0))
            sb.Append(Inv($"<circle class=\"changed\" cx=\"{x + w - 4}\" cy=\"{y + 4}\" r=\"3\"/>"));
        sb.Append("</g>\n");
    }

    private static string Fit(string text, int chars) => text.Length <= chars ? text : string.Concat(text.AsSpan(0, chars - 1), "…");

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
