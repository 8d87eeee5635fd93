using System.Text;

namespace Datapath.Engine.Tracing;

// ofproto/trace, exactly
// ======================
//
// What?
// -----
// Renders a Trace as Open vSwitch 3.1's `ovs-appctl ofproto/trace` prints it (ofproto-dpif-trace.c):
// "Flow:", the bridge("br-int") block, "Final flow:" (or "unchanged"), "Megaflow:", "Datapath actions:",
// then a "recirc(0x..) - resume conntrack with ..." block per recirculation, with its own "Flow:" and a
// thaw / "Resuming from table N" head. Ports and tables are numbers, actions OVS 3.1's spelling
// (TraceAction.OvsText), the reports under them OVS's (TraceAction.OvsLines).
//
// Design
// ------
// OVS prints a tree (oftrace_node_print_details): a table's children are its actions, their reports and
// the tables its resubmits reached; a child is indented one level unless it is the last one (a tail
// resubmit prints flat). TraceAction.Children gives the same tree, walked with the same indentation rule.
// Steps OVS's trace has no line for (conntrack runs, GENEVE encapsulation, the host's netfilter and
// routing) are left out, or printed as "# " comments where they end the walk; a walk through several
// nodes prints one ofproto/trace per bridge traversal, each after a "# node NAME" line.
public static class OvsTraceRenderer
{
    private const string Rule = "===============================================================================";

    public static string Render(Trace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var children = new HashSet<TraceStep>();
        foreach (var s in trace.Steps)
        {
            foreach (var a in s.Actions)
                children.UnionWith(a.Children);
        }
        var sb = new StringBuilder();
        string? node = null;
        bool bridgeOpen = false;
        int? thaw = null;
        foreach (var s in trace.Steps)
        {
            if (s.Kind == TraceKind.Ingress && node is not null)
                sb.Append("\n\n# node ").Append(s.Node).Append('\n');
            node = s.Node;
            switch (s.Kind)
            {
                case TraceKind.Ingress:
                    sb.Append("Flow: ").Append(s.Flow is { } f ? OvsFlowFormatter.Format(f) : s.Summary).Append('\n');
                    bridgeOpen = false;
                    thaw = null;
                    break;
                case TraceKind.Recirculation:
                    sb.Append("\n\n").Append(Rule).Append("\nrecirc(0x").Append(s.Flow.GetValueOrDefault().RecircId is var id ? trace.ShownRecircId(id).ToString("x") : "").Append(')');
                    sb.Append(s.CtNext is { } forced
                        ? " - resume conntrack with ct_state=" + FlowFormatter.FormatCtState(forced)
                        : " - resume conntrack with default ct_state=trk|new (use --ct-next to customize)");
                    sb.Append('\n').Append(Rule).Append("\n\n");
                    if (s.Flow is { } rf)
                    {
                        var shown = rf;
                        shown.RecircId = trace.ShownRecircId(rf.RecircId);
                        sb.Append("Flow: ").Append(OvsFlowFormatter.Format(shown)).Append('\n');
                    }
                    bridgeOpen = false;
                    thaw = s.Table;
                    break;
                case TraceKind.OpenFlow or TraceKind.Group when !children.Contains(s):
                    if (!bridgeOpen)
                    {
                        sb.Append("\nbridge(\"br-int\")\n----------------\n");
                        bridgeOpen = true;
                    }
                    var roots = new List<(string Text, TraceStep? Step, string? Child)>();
                    if (thaw is { } t)
                        roots.Add(("thaw", null, $"Resuming from table {t}"));
                    roots.Add(("", s, null));
                    thaw = null;
                    PrintList(sb, roots, 0);
                    break;
                case TraceKind.Megaflow when s.Pass is { } p:
                    string start = OvsFlowFormatter.Format(p.Start), final = OvsFlowFormatter.Format(p.Final);
                    sb.Append("\nFinal flow: ").Append(start == final ? "unchanged" : final).Append('\n');
                    sb.Append("Megaflow: ").Append(p.Megaflow).Append('\n');
                    sb.Append("Datapath actions: ").Append(p.OvsDatapathActions ?? "drop");
                    if (p.Error is { } e)
                        sb.Append("\nTranslation failed (").Append(DropReasonNames.Name(e)).Append("), packet is dropped.");
                    bridgeOpen = false;
                    break;
                case TraceKind.Drop or TraceKind.Netfilter or TraceKind.Route or TraceKind.Neighbor:
                    sb.Append("\n# ").Append(s.Summary);
                    break;
            }
        }
        return sb.Append('\n').ToString();
    }

    /// <summary>oftrace_node_print_details: each node at (level + more) * 4, its children at level + 2 * more.</summary>
    private static void PrintList(StringBuilder sb, List<(string Text, TraceStep? Step, string? Child)> nodes, int level)
    {
        for (int i = 0; i < nodes.Count; i++)
        {
            var (text, step, child) = nodes[i];
            bool terminal = step is null && child is null;
            int more = i < nodes.Count - 1 || terminal ? 1 : 0;
            sb.Append(' ', (level + more) * 4);
            if (step is null)
            {
                sb.Append(text.StartsWith("-> ", StringComparison.Ordinal) || text.StartsWith(">> ", StringComparison.Ordinal) ? " " + text : text).Append('\n');
                // child "" marks a node that is not a leaf but has no children (the thaw's "Resuming from table N").
                if (child is { Length: > 0 })
                    PrintList(sb, [(child, null, "")], level + more + more);
                continue;
            }
            sb.Append(Head(step)).Append('\n');
            PrintList(sb, Items(step), level + more + more);
        }
    }

    /// <summary>A table's line (<c> 0. in_port=49, priority 190, cookie 0x1030000000000</c>) or a bucket's.</summary>
    private static string Head(TraceStep step)
    {
        if (step.Kind == TraceKind.Group)
            return "bucket " + step.Summary![(step.Summary!.LastIndexOf(' ') + 1)..];
        var sb = new StringBuilder().Append(step.Table.GetValueOrDefault().ToString().PadLeft(2)).Append(". ");
        if (step.Rule is not { } rule)
            return sb.Append("No match.").ToString();
        string m = rule.Match.Format(null);
        if (m.Length > 0)
            sb.Append(m).Append(", ");
        sb.Append("priority ").Append(rule.Priority);
        if (rule.Cookie != 0)
            sb.Append(", cookie 0x").Append(rule.Cookie.ToString("x"));
        return sb.ToString();
    }

    /// <summary>A step's children in ofproto/trace's order: each action, the lines under it, the lookups it led to.</summary>
    private static List<(string Text, TraceStep? Step, string? Child)> Items(TraceStep step)
    {
        var items = new List<(string, TraceStep?, string?)>();
        if (step.Kind == TraceKind.OpenFlow && step.Rule is null)
            items.Add(("drop", null, null));
        foreach (var a in step.Actions)
        {
            items.Add((a.OvsText ?? a.Text, null, null));
            foreach (var line in a.OvsLines)
                items.Add((line, null, null));
            foreach (var c in a.Children)
                items.Add(("", c, null));
        }
        return items;
    }
}
