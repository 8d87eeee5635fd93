using System.Text;

namespace Datapath.Engine.Tracing;

/// <summary>
/// Renders a <see cref="Trace"/> as text that reads like <c>ovs-appctl ofproto/trace</c>: a
/// <c>bridge("br-int")</c> block per pass with one <c>TABLE. match, priority P, cookie C</c> line
/// per rule, its actions indented below with their effects after <c>-></c>, the datapath actions,
/// conntrack results and recirculations between passes, and the verdict with the frames.
/// </summary>
public static class TraceTextRenderer
{
    public static string Render(Trace trace, bool frames = true)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var sb = new StringBuilder();
        string? node = null;
        bool bridgeHeader = false;
        foreach (var s in trace.Steps)
        {
            if (s.Node != node)
            {
                node = s.Node;
                sb.AppendLine().Append("node ").AppendLine(node).AppendLine(new string('=', 5 + node.Length));
                bridgeHeader = false;
            }
            string indent = new(' ', 4 * s.Depth);
            switch (s.Kind)
            {
                case TraceKind.Ingress:
                    sb.Append("Flow: ").AppendLine(s.Summary);
                    bridgeHeader = false;
                    break;
                case TraceKind.OpenFlow:
                    if (!bridgeHeader)
                    {
                        sb.AppendLine().AppendLine("bridge(\"br-int\")").AppendLine("----------------");
                        bridgeHeader = true;
                    }
                    sb.Append(indent).Append(s.Table.GetValueOrDefault().ToString().PadLeft(2)).Append(". ");
                    if (s.RuleSummary is null)
                    {
                        sb.AppendLine("No match.");
                        sb.Append(indent).AppendLine("    drop");
                        break;
                    }
                    sb.AppendLine(s.RuleSummary);
                    foreach (var a in s.Actions)
                    {
                        sb.Append(indent).Append("    ").AppendLine(a.Text);
                        foreach (var e in a.Effects)
                            sb.Append(indent).Append("     -> ").AppendLine(e);
                    }
                    break;
                case TraceKind.Group:
                    sb.Append(indent).Append("    ").AppendLine(s.Summary);
                    foreach (var a in s.Actions)
                    {
                        sb.Append(indent).Append("        ").AppendLine(a.Text);
                        foreach (var e in a.Effects)
                            sb.Append(indent).Append("         -> ").AppendLine(e);
                    }
                    break;
                case TraceKind.Megaflow:
                    sb.AppendLine();
                    if (s.Pass is { } p)
                        sb.Append("Final flow: ").AppendLine(p.FinalFlowText ?? "unchanged");
                    sb.Append("Megaflow: ").AppendLine(s.Summary);
                    break;
                case TraceKind.DatapathActions:
                    sb.Append("Datapath actions: ").AppendLine(s.Summary);
                    break;
                case TraceKind.Conntrack:
                    sb.Append("Conntrack: ").AppendLine(s.Summary);
                    break;
                case TraceKind.Recirculation:
                    sb.AppendLine().AppendLine(new string('=', 79)).AppendLine(s.Summary).AppendLine(new string('=', 79));
                    if (s.FlowText is not null)
                        sb.AppendLine().Append("Flow: ").AppendLine(s.FlowText);
                    bridgeHeader = false;
                    break;
                case TraceKind.Tunnel:
                    sb.Append("Tunnel: ").AppendLine(s.Summary);
                    break;
                default:
                    sb.AppendLine(s.Summary);
                    break;
            }
        }
        sb.AppendLine().AppendLine("Verdict:");
        foreach (var o in trace.Outputs)
        {
            sb.Append("  output on ").Append(o.Node).Append(" port ").Append(o.OfPort).Append('(').Append(o.Port).Append("), ")
              .Append(o.Frame.Length).AppendLine(" bytes");
            if (frames)
                sb.Append("    ").AppendLine(Convert.ToHexStringLower(o.Frame));
        }
        foreach (var d in trace.Drops)
        {
            sb.Append("  drop on ").Append(d.Node).Append(": ").Append(d.ReasonName);
            if (d.Table is { } t)
                sb.Append(" in table ").Append(t);
            sb.AppendLine();
        }
        foreach (var d in trace.Deliveries)
            sb.Append("  delivered to ").Append(d.Node).Append("'s host stack (INPUT), ").Append(d.Length).AppendLine(" bytes");
        if (trace.Outputs.Count == 0 && trace.Drops.Count == 0 && trace.Deliveries.Count == 0)
            sb.AppendLine("  (nothing)");
        return sb.ToString();
    }
}
