using System.Text;

namespace Datapath.Antrea.Compile;

/// <summary>
/// The ipsets an Antrea 2.x node's route client keeps with proxyAll, as <c>ipset save</c> prints them: ANTREA-POD-IP
/// (every node's pod CIDR, what Pod traffic is not masqueraded to), ANTREA-NODEPORT-IP (this node's IP with each
/// Service port's protocol and NodePort, what ANTREA-PREROUTING/ANTREA-OUTPUT DNAT to the virtual NodePort IP) and
/// ANTREA-EXTERNAL-IP (empty: no Egress or LoadBalancer IPs here).
/// </summary>
public static class AntreaV2IpSets
{
    public static string For(ScenarioModel cluster, NodeModel node, IReadOnlyList<KubeServicePort> ports)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(ports);
        var text = new StringBuilder("create ANTREA-POD-IP hash:net family inet hashsize 1024 maxelem 65536\n");
        foreach (string cidr in cluster.Nodes.Select(n => n.PodCidr).OfType<string>())
            text.Append("add ANTREA-POD-IP ").Append(cidr).Append('\n');
        text.Append("create ANTREA-NODEPORT-IP hash:ip,port family inet hashsize 1024 maxelem 65536\n");
        foreach (var port in ports.Where(p => p.NodePort != 0))
            text.Append("add ANTREA-NODEPORT-IP ").Append(node.NodeIp).Append(',').Append(port.IptablesProtocol).Append(':').Append(port.NodePort).Append('\n');
        return text.Append("create ANTREA-EXTERNAL-IP hash:ip family inet hashsize 1024 maxelem 65536\n").ToString();
    }
}
