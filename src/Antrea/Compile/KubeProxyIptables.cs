using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Datapath.Antrea.Compile;

// kube-proxy's iptables rules
// ===========================
//
// What kube-proxy in iptables mode writes with iptables-restore for a set of Service ports, in the layout of the
// kube-proxy the seed cluster runs (Kubernetes 1.18: KUBE-SERVICES with a "cluster IP" rule pair per port,
// KUBE-SVC-* with statistic rules, KUBE-SEP-* with the hairpin KUBE-MARK-MASQ and the DNAT, KUBE-NODEPORTS,
// KUBE-POSTROUTING's mark-and-MASQUERADE, KUBE-FORWARD in filter, and kubelet's KUBE-KUBELET-CANARY beside
// kube-proxy's KUBE-PROXY-CANARY, as a node's nat table holds them).
//
// Names are kube-proxy's: KUBE-SVC- + the first 16 characters of base32(sha256(ServicePortName + protocol)) and
// KUBE-SEP- + the same over ServicePortName + protocol + endpoint (proxy/iptables servicePortChainName and
// servicePortEndpointChainName), so a chain here has the name it has on the node.
// Endpoint i of n is chosen with probability 1/(n-i), written as kube-proxy writes it ("%0.10f"); iptables keeps
// it as a 31-bit fixed-point number, so iptables-save prints it back with 11 decimals (0.33333333349).
// Order: Service ports by ServicePortName then protocol (kube-proxy 1.18 walks a Go map, so a node's order is
// arbitrary; sorting makes ours reproducible), endpoints by address then port, as the Endpoints object lists them.
// A port without endpoints gets kube-proxy's REJECT in filter's KUBE-SERVICES instead of a KUBE-SVC chain.

/// <summary>Writes kube-proxy's iptables-restore input for Service ports (see the essay above).</summary>
public static class KubeProxyIptables
{
    /// <summary>kube-proxy's KUBE-SVC chain of a Service port.</summary>
    public static string ServiceChain(KubeServicePort port)
    {
        ArgumentNullException.ThrowIfNull(port);
        return "KUBE-SVC-" + PortProtoHash(port.ServicePortName + port.IptablesProtocol);
    }

    /// <summary>kube-proxy's KUBE-SEP chain of one endpoint (<c>IP:PORT</c>) of a Service port.</summary>
    public static string EndpointChain(KubeServicePort port, string endpoint)
    {
        ArgumentNullException.ThrowIfNull(port);
        return "KUBE-SEP-" + PortProtoHash(port.ServicePortName + port.IptablesProtocol + endpoint);
    }

    // portProtoHash: base32 (standard alphabet) of the SHA-256, its first 16 characters.
    private static string PortProtoHash(string text)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        return Base32(hash)[..16];
    }

    private static string Base32(ReadOnlySpan<byte> data)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var sb = new StringBuilder();
        int buffer = 0, bits = 0;
        foreach (byte b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                sb.Append(alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0)
            sb.Append(alphabet[(buffer << (5 - bits)) & 31]);
        return sb.ToString();
    }

    /// <summary>kube-proxy's probability for endpoint i of n: <c>fmt.Sprintf("%0.10f", 1.0/float64(n-i))</c>.</summary>
    public static string Probability(int remaining) => (1.0 / remaining).ToString("F10", CultureInfo.InvariantCulture);

    /// <summary>
    /// The nat and filter tables kube-proxy writes for <paramref name="ports"/>: masquerading traffic to a ClusterIP
    /// that does not come from <paramref name="clusterCidr"/> (kube-proxy's --cluster-cidr), as an iptables-save
    /// document (chains declared, then rules, per table).
    /// </summary>
    public static string Write(IEnumerable<KubeServicePort> ports, string clusterCidr)
    {
        ArgumentNullException.ThrowIfNull(ports);
        var sorted = ports.OrderBy(p => p.ServicePortName, StringComparer.Ordinal).ThenBy(p => p.IptablesProtocol, StringComparer.Ordinal).ToList();
        // The canaries are empty chains kubelet and kube-proxy create to notice a flush of their tables.
        var natChains = new SortedSet<string>(StringComparer.Ordinal) { "KUBE-KUBELET-CANARY", "KUBE-MARK-DROP", "KUBE-MARK-MASQ", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-PROXY-CANARY", "KUBE-SERVICES" };
        var services = new List<string>();
        var nodePorts = new List<string>();
        var perChain = new Dictionary<string, List<string>>(StringComparer.Ordinal); // KUBE-SVC-*/KUBE-SEP-* rules by chain
        void Rule(string chain, string rule) => (perChain.TryGetValue(chain, out var l) ? l : perChain[chain] = []).Add(rule);
        var rejects = new List<string>();
        foreach (var p in sorted)
        {
            string proto = p.IptablesProtocol;
            string comment = Quote(p.ServicePortName);
            var endpoints = p.Endpoints.OrderBy(EndpointOrder).ToList();
            if (endpoints.Count == 0)
            {
                rejects.Add($"-A KUBE-SERVICES -d {p.ClusterIp}/32 -p {proto} -m comment --comment {Quote(p.ServicePortName + " has no endpoints")} -m {proto} --dport {p.Port} -j REJECT --reject-with icmp-port-unreachable");
                continue;
            }
            string svc = ServiceChain(p);
            natChains.Add(svc);
            string clusterIpComment = Quote(p.ServicePortName + " cluster IP");
            services.Add($"-A KUBE-SERVICES ! -s {clusterCidr} -d {p.ClusterIp}/32 -p {proto} -m comment --comment {clusterIpComment} -m {proto} --dport {p.Port} -j KUBE-MARK-MASQ");
            services.Add($"-A KUBE-SERVICES -d {p.ClusterIp}/32 -p {proto} -m comment --comment {clusterIpComment} -m {proto} --dport {p.Port} -j {svc}");
            if (p.NodePort != 0)
            {
                nodePorts.Add($"-A KUBE-NODEPORTS -p {proto} -m comment --comment {comment} -m {proto} --dport {p.NodePort} -j KUBE-MARK-MASQ");
                nodePorts.Add($"-A KUBE-NODEPORTS -p {proto} -m comment --comment {comment} -m {proto} --dport {p.NodePort} -j {svc}");
            }
            for (int i = 0; i < endpoints.Count; i++)
            {
                string sep = EndpointChain(p, endpoints[i]);
                natChains.Add(sep);
                Rule(svc, i < endpoints.Count - 1
                    ? $"-A {svc} -m comment --comment {comment} -m statistic --mode random --probability {Probability(endpoints.Count - i)} -j {sep}"
                    : $"-A {svc} -m comment --comment {comment} -j {sep}");
            }
            foreach (string ep in endpoints)
            {
                string sep = EndpointChain(p, ep);
                string ip = ep[..ep.LastIndexOf(':')];
                Rule(sep, $"-A {sep} -s {ip}/32 -m comment --comment {comment} -j KUBE-MARK-MASQ");
                Rule(sep, $"-A {sep} -p {proto} -m comment --comment {comment} -m {proto} -j DNAT --to-destination {ep}");
            }
        }
        services.Add("-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS");

        var sb = new StringBuilder();
        sb.Append("*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n");
        foreach (string c in natChains)
            sb.Append(':').Append(c).Append(" - [0:0]\n");
        sb.Append("-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n");
        sb.Append("-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n");
        sb.Append("-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING\n");
        sb.Append("-A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000\n");
        sb.Append("-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000\n");
        foreach (string r in nodePorts)
            sb.Append(r).Append('\n');
        sb.Append("-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n");
        sb.Append("-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0\n");
        sb.Append("-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE\n");
        // iptables-save lists a table's rules chain by chain in the order the chains are declared.
        foreach (string chain in natChains)
        {
            var rules = chain == "KUBE-SERVICES" ? services : perChain.GetValueOrDefault(chain);
            foreach (string r in rules ?? [])
                sb.Append(r).Append('\n');
        }
        sb.Append("COMMIT\n");
        sb.Append("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KUBE-FORWARD - [0:0]\n");
        if (rejects.Count > 0)
            sb.Append(":KUBE-SERVICES - [0:0]\n");
        if (rejects.Count > 0)
        {
            sb.Append("-A INPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n");
            sb.Append("-A OUTPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n");
        }
        sb.Append("-A FORWARD -m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD\n");
        sb.Append("-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP\n");
        sb.Append("-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark --mark 0x4000/0x4000 -j ACCEPT\n");
        sb.Append("-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n");
        foreach (string r in rejects)
            sb.Append(r).Append('\n');
        sb.Append("COMMIT\n");
        return sb.ToString();
    }

    private static (UInt128, int) EndpointOrder(string endpoint)
    {
        int colon = endpoint.LastIndexOf(':');
        string ip = colon < 0 ? endpoint : endpoint[..colon].Trim('[', ']');
        UInt128 key = IPAddress.TryParse(ip, out var a) ? ToNumber(a) : UInt128.MaxValue;
        int port = colon >= 0 && int.TryParse(endpoint.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int p) ? p : 0;
        return (key, port);
    }

    private static UInt128 ToNumber(IPAddress a)
    {
        byte[] b = a.MapToIPv6().GetAddressBytes();
        return new UInt128(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(b), System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(8)));
    }

    // iptables-save quotes a comment in double quotes (kube-proxy passes it as one argument).
    private static string Quote(string text) => "\"" + text + "\"";
}
