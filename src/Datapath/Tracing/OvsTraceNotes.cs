using System.Text;
using Datapath.Engine.Actions;
using Datapath.Packets;

namespace Datapath.Engine.Tracing;

/// <summary>
/// The lines ofproto-dpif-xlate reports under an action when tracing (OVS 3.1's texts), for
/// <see cref="TraceAction.OvsLines"/>: only called with a trace.
/// </summary>
internal static class OvsTraceNotes
{
    /// <summary>xlate_report_subfield: <c>NXM_NX_REG9[28..31] is now 0</c>; a whole field is printed as its type.</summary>
    public static string SubfieldIsNow(FieldRef destination, in FlowKey key)
    {
        var sb = new StringBuilder();
        destination.Format(sb);
        sb.Append(" is now ");
        UInt128 v = destination.Read(in key);
        sb.Append(destination.IsWhole
            ? Classifier.FieldSyntax.FormatValue(destination.Field, v, null)
            : Classifier.FieldSyntax.CHex(v));
        return sb.ToString();
    }

    /// <summary>compose_conntrack_action: the exec actions (or <c>drop</c>), the fork, the untracked packet.</summary>
    public static void Conntrack(CtAction ct, List<string> lines)
    {
        if (ct.Exec.Count == 0)
            lines.Add("drop");
        else
        {
            var sb = new StringBuilder();
            foreach (var e in ct.Exec)
            {
                e.FormatOvs(sb);
                lines.Add(sb.ToString());
                sb.Clear();
            }
        }
        if (ct.Table is { } table)
            lines.Add($"-> A clone of the packet is forked to recirculate. The forked pipeline will be resumed at table {table}.");
        lines.Add("-> Sets the packet to an untracked state, and clears all the conntrack fields.");
    }

    /// <summary>
    /// compose_output_action__ and native_tunnel_output for the GENEVE port: what the node's underlay makes of
    /// the tunnel destination (the refusals are the ones Node.Deliver counts as tunnel-encap drops).
    /// </summary>
    public static void TunnelOutput(Node node, in FlowKey key, List<string> lines)
    {
        bool ipv6 = Geneve.GeneveEncapsulator.UsesIpv6Outer(in key);
        string dst = ipv6 ? key.TunIpv6Dst.ToString() : new Ipv4Address(key.TunDst).ToString();
        string src = ipv6 ? node.NodeIp6.ToString() : node.NodeIp.ToString();
        if (ipv6 ? key.TunIpv6Dst == node.NodeIp6 : key.TunDst == node.NodeIp.Value)
        {
            lines.Add(">> Not tunneling to our own address");
            return;
        }
        lines.Add("-> output to native tunnel");
        MacAddress mac = default;
        bool resolved = ipv6
            ? node.NodeIp6.Value != 0 && node.TryResolveUnderlay(key.TunIpv6Dst, out mac)
            : key.TunDst != 0 && node.TryResolveUnderlay(new Ipv4Address(key.TunDst), out mac);
        if (!resolved)
        {
            lines.Add(">> native tunnel routing failed");
            return;
        }
        lines.Add($"-> tunneling to {dst} via {OvsDatapathActions.UplinkName}");
        lines.Add($"-> tunneling from {node.NodeMac} {src} to {mac} {dst}");
    }
}
