using System.Text;
using Datapath.Engine.Tracing;

namespace Datapath.Cli.Html;

/// <summary>The words of a drawn step: its short label in the picture and its whole story on hover.</summary>
internal static class StepText
{
    /// <summary>What hovering shows: where, the match, each action with the fields it changed, or the step's facts.</summary>
    public static string Describe(WalkCell cell, string? tableName)
    {
        var sb = new StringBuilder();
        sb.Append('#').Append(cell.Index).Append(' ').Append(cell.Node).Append(" · ");
        if (cell.Verdict is { } v)
            return sb.Append("verdict: ").Append(v.Detail).ToString();
        var s = cell.Step!;
        switch (s.Kind)
        {
            case TraceKind.OpenFlow:
                sb.Append("table ").Append(s.Table);
                if (tableName is not null)
                    sb.Append(' ').Append(tableName);
                sb.Append('\n');
                if (s.RuleSummary is null && s.RuleText is null)
                    sb.Append("match: none (table miss)\n");
                else
                    sb.Append("match: ").Append(s.RuleSummary ?? s.RuleText).Append('\n');
                if (s.Actions.Count > 0)
                    sb.Append("actions:\n");
                foreach (var a in s.Actions)
                {
                    sb.Append("  ").Append(a.Text).Append('\n');
                    foreach (string e in a.Effects)
                        sb.Append("    -> ").Append(e).Append('\n');
                }
                break;
            default:
                sb.Append(TraceJsonWriter.KindName(s.Kind));
                if (s.Table is { } t)
                    sb.Append(" (table ").Append(t).Append(')');
                sb.Append('\n');
                if (s.Summary is not null)
                    sb.Append(s.Summary).Append('\n');
                foreach (var (k, val) in s.Details)
                    sb.Append("  ").Append(k).Append(": ").Append(val).Append('\n');
                break;
        }
        if (cell.IsDrop)
            sb.Append("DROPPED here\n");
        return sb.ToString().TrimEnd('\n');
    }

    /// <summary>The one or two short lines drawn in the step's box.</summary>
    public static (string First, string? Second) Label(WalkCell cell)
    {
        if (cell.Verdict is { } v)
            return (v.Label, null);
        var s = cell.Step!;
        return s.Kind switch
        {
            TraceKind.OpenFlow => (s.Table?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?", s.RuleText is null ? "miss" : null),
            TraceKind.Ingress => (Detail(s, "in_port") ?? "?", "ingress"),
            TraceKind.Recirculation => (RecircLabel(s), s.Table is { } t ? $"-> table {t}" : null),
            TraceKind.Megaflow => ("mf", null),
            TraceKind.DatapathActions => ("dp", null),
            TraceKind.Conntrack => (Detail(s, "commit") == "true" ? "commit" : "ct", Detail(s, "ct_state")),
            TraceKind.Group => ("group", Detail(s, "group_id") ?? Detail(s, "group")),
            TraceKind.Normal => ("NORMAL", null),
            TraceKind.Tunnel => ("tun0", Detail(s, "op")),
            TraceKind.Netfilter => ($"{Detail(s, "table")} {Detail(s, "chain")}", RuleLabel(Detail(s, "rule")) + FirstColonAsSpace(Detail(s, "verdict"))),
            TraceKind.Route => ("route " + (Detail(s, "destination") ?? ""), Detail(s, "route")),
            TraceKind.Neighbor => ("neighbor " + (Detail(s, "address") ?? ""), Detail(s, "lladdr") is { } ll ? "lladdr " + ll : null),
            TraceKind.Drop => ("drop", s.Summary),
            _ => (TraceJsonWriter.KindName(s.Kind), null),
        };
    }

    public static string? Detail(TraceStep step, string key)
    {
        foreach (var (k, v) in step.Details)
        {
            if (k == key)
                return v;
        }
        return null;
    }

    private static string RuleLabel(string? rule) => rule switch
    {
        null or "return" or "policy" => "",
        _ => $"#{rule} ",
    };

    /// <summary>"JUMP:KUBE-SERVICES" -> "JUMP KUBE-SERVICES", "DNAT:10.222.2.34:80" -> "DNAT 10.222.2.34:80".</summary>
    private static string FirstColonAsSpace(string? verdict)
    {
        if (verdict is null)
            return "";
        int colon = verdict.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? verdict : string.Concat(verdict.AsSpan(0, colon), " ", verdict.AsSpan(colon + 1));
    }

    private static string RecircLabel(TraceStep s)
    {
        // "recirc(0x1): resume at table 31 ..." -> "recirc(0x1)"
        string summary = s.Summary ?? "recirc";
        int colon = summary.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? summary[..colon] : "recirc";
    }
}
