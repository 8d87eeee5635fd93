using System.Globalization;
using System.Text;

namespace Datapath.Antrea.Compile;

/// <summary>
/// AntreaProxy's Service groups on one Antrea 2.x node, as <c>ovs-ofctl dump-groups br-int --names</c> prints them:
/// one select group per Service port, numbered 1, 2, ... in the order the compile places the ports (AntreaProxy's
/// ServiceGroupID allocation), one weight-100 bucket per ready endpoint, sorted by address; a NodePort Service port
/// with externalTrafficPolicy Local has a second group just before it, of this node's endpoints only (a local pod
/// or the node itself; <see cref="AntreaV2ServiceGroupIds"/>), which is empty on a node without one. A bucket loads the
/// endpoint's IP into reg3 and its port into reg4[0..15], marks an endpoint that is neither a local pod nor a node's
/// address remote (RemoteEndpointRegMark, reg4[26]), and resubmits to EndpointDNAT, or to ServiceLB when ClientIP
/// affinity has to learn the choice first. A Service port without endpoints has the one bucket serviceEndpointGroup
/// gives it: SvcNoEpRegMark (reg0[14]) and EndpointDNAT, whose flow for it sends the packet to the agent to reject.
/// </summary>
public static class AntreaV2Groups
{
    public static string For(ScenarioModel cluster, NodeModel node, IReadOnlyList<KubeServicePort> ports)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(ports);
        var notRemote = new HashSet<string>(node.Pods.Select(p => p.Ip).Concat(cluster.Nodes.Select(n => n.NodeIp)), StringComparer.Ordinal);
        var local = AntreaV2Endpoint.LocalTo(node);
        var ids = AntreaV2ServiceGroupIds.Number(ports);
        var text = new StringBuilder();
        for (int g = 0; g < ports.Count; g++)
        {
            var endpoints = ports[g].Endpoints.Select(AntreaV2Endpoint.Parse).OrderBy(e => e.Address).ToList();
            if (ids[g].Local != 0)
                Group(text, ids[g].Local, ports[g], [.. endpoints.Where(e => local.Contains(e.Ip))], notRemote);
            Group(text, ids[g].Cluster, ports[g], endpoints, notRemote);
        }
        return text.ToString();
    }

    // serviceEndpointGroup: one bucket per endpoint, or the SvcNoEpRegMark bucket when there is none.
    private static void Group(StringBuilder text, uint id, KubeServicePort port, List<AntreaV2Endpoint> endpoints, HashSet<string> notRemote)
    {
        text.Append(CultureInfo.InvariantCulture, $"group_id={id},type=select");
        if (endpoints.Count == 0)
            text.Append(",bucket=bucket_id:0,weight:100,actions=set_field:0x4000/0x4000->reg0,resubmit(,EndpointDNAT)");
        for (int b = 0; b < endpoints.Count; b++)
        {
            var e = endpoints[b];
            string remote = notRemote.Contains(e.Ip) ? "" : "set_field:0x4000000/0x4000000->reg4,";
            string back = port.AffinitySeconds > 0 ? "ServiceLB" : "EndpointDNAT";
            text.Append(CultureInfo.InvariantCulture,
                $",bucket=bucket_id:{b},weight:100,actions={remote}set_field:0x{e.Address:x}->reg3,set_field:0x{e.Port:x}/0xffff->reg4,resubmit(,{back})");
        }
        text.Append('\n');
    }
}
