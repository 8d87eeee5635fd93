using System.Globalization;
using System.Text;

namespace Datapath.Antrea.Compile;

/// <summary>
/// AntreaProxy's Service groups on one Antrea 2.x node, as <c>ovs-ofctl dump-groups br-int --names</c> prints them:
/// one select group per Service port, numbered 1, 2, ... in the order the compile places the ports (AntreaProxy's
/// ServiceGroupID allocation), one weight-100 bucket per ready endpoint, sorted by address. A bucket loads the
/// endpoint's IP into reg3 and its port into reg4[0..15], marks a remote endpoint (RemoteEndpointRegMark, reg4[26]),
/// and resubmits to EndpointDNAT, or to ServiceLB when ClientIP affinity has to learn the choice first.
/// </summary>
public static class AntreaV2Groups
{
    public static string For(NodeModel node, IReadOnlyList<KubeServicePort> ports)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(ports);
        var local = new HashSet<string>(node.Pods.Select(p => p.Ip), StringComparer.Ordinal);
        var text = new StringBuilder();
        for (int g = 0; g < ports.Count; g++)
        {
            var port = ports[g];
            text.Append(CultureInfo.InvariantCulture, $"group_id={g + 1},type=select");
            var endpoints = port.Endpoints.Select(Endpoint).OrderBy(e => e.Address).ToList();
            for (int b = 0; b < endpoints.Count; b++)
            {
                var (ip, address, number) = endpoints[b];
                string remote = local.Contains(ip) ? "" : "set_field:0x4000000/0x4000000->reg4,";
                string back = port.AffinitySeconds > 0 ? "ServiceLB" : "EndpointDNAT";
                text.Append(CultureInfo.InvariantCulture,
                    $",bucket=bucket_id:{b},weight:100,actions={remote}set_field:0x{address:x}->reg3,set_field:0x{number:x}/0xffff->reg4,resubmit(,{back})");
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    private static (string Ip, uint Address, int Port) Endpoint(string endpoint)
    {
        int colon = endpoint.LastIndexOf(':');
        string ip = endpoint[..colon];
        uint address = ip.Split('.').Aggregate(0u, (a, o) => (a << 8) | uint.Parse(o, CultureInfo.InvariantCulture));
        return (ip, address, int.Parse(endpoint[(colon + 1)..], CultureInfo.InvariantCulture));
    }
}
