using System.Globalization;
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
// kube-proxy's KUBE-PROXY-CANARY in mangle, nat and filter, as a node's tables hold them; filter's KUBE-SERVICES for
// new connections forwarded or sent, KUBE-EXTERNAL-SERVICES for those delivered, each jumped to as kube-proxy's
// iptablesJumpChains prepend them, and kubelet's KUBE-FIREWALL appended to INPUT and OUTPUT, which drops what
// KUBE-MARK-DROP marked), printed as iptables-save prints them.
//
// Names are kube-proxy's: KUBE-SVC- + the first 16 characters of base32(sha256(ServicePortName + protocol)),
// KUBE-XLB- (externalTrafficPolicy: Local) and KUBE-FW- the same hash, and KUBE-SEP- + the same over
// ServicePortName + protocol + endpoint (proxy/iptables portProtoHash, servicePortChainName, serviceLBChainName,
// serviceFirewallChainName, servicePortEndpointChainName), so a chain here has the name it has on the node.
// Endpoint i of n is chosen with probability 1/(n-i), written as kube-proxy writes it ("%0.10f"); iptables keeps
// it as a 31-bit fixed-point number, so iptables-save prints it back with 11 decimals (0.33333333349).
// sessionAffinity: ClientIP puts one `-m recent --rcheck --seconds T --reap --name SEP` rule per endpoint before the
// statistic rules and `-m recent --set --name SEP` on each DNAT, so a client's next connection within T seconds goes
// to the endpoint its last one went to. externalTrafficPolicy: Local sends NodePort traffic to KUBE-XLB-*, which
// balances over the node's own endpoints only (pods elsewhere never see it, the client's address is kept), and
// marks it for drop where the node has none: so the rules differ per node.
// Order: Service ports by ServicePortName then protocol (kube-proxy 1.18 walks a Go map, so a node's order is
// arbitrary; sorting makes ours reproducible), endpoints by address text then port, as the endpoints controller
// sorts an Endpoints subset's addresses (LessEndpointAddress compares the IP strings). A port without endpoints gets
// kube-proxy's REJECT in filter's KUBE-SERVICES instead of a KUBE-SVC chain (its NodePort in KUBE-EXTERNAL-SERVICES);
// a headless Service (clusterIP None) gets no rules at all.

/// <summary>Writes kube-proxy's iptables-restore input for Service ports (see the essay above).</summary>
public static class KubeProxyIptables
{
    private const string Nat = "nat";
    private const string Filter = "filter";

    // The rules every node has, in the order kube-proxy (and kubelet, for KUBE-FIREWALL) makes them: the jumps of
    // iptablesJumpChains, each EnsureRule(Prepend), so the later one of a chain ends up first; then the fixed chains.
    private static readonly (string Table, string Chain, string Rule, bool Prepend)[] s_fixedRules =
    [
        ("filter", "INPUT", "-m conntrack --ctstate NEW -m comment --comment \"kubernetes externally-visible service portals\" -j KUBE-EXTERNAL-SERVICES", true),
        ("filter", "FORWARD", "-m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES", true),
        ("filter", "OUTPUT", "-m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES", true),
        ("nat", "OUTPUT", "-m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES", true),
        ("nat", "PREROUTING", "-m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES", true),
        ("nat", "POSTROUTING", "-m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING", true),
        ("filter", "FORWARD", "-m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD", true),
        ("nat", "KUBE-MARK-DROP", "-j MARK --set-xmark 0x8000/0x8000", false),
        ("nat", "KUBE-MARK-MASQ", "-j MARK --set-xmark 0x4000/0x4000", false),
        ("nat", "KUBE-POSTROUTING", "-m mark ! --mark 0x4000/0x4000 -j RETURN", false),
        ("nat", "KUBE-POSTROUTING", "-j MARK --set-xmark 0x4000/0x0", false),
        ("nat", "KUBE-POSTROUTING", "-m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE", false),
        // kubelet's firewall (appended): what KUBE-MARK-DROP marked, and localnet from outside, never reaches a socket.
        ("filter", "INPUT", "-j KUBE-FIREWALL", false),
        ("filter", "OUTPUT", "-j KUBE-FIREWALL", false),
        ("filter", "KUBE-FIREWALL", "-m comment --comment \"kubernetes firewall for dropping marked packets\" -m mark --mark 0x8000/0x8000 -j DROP", false),
        ("filter", "KUBE-FIREWALL", "! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment \"block incoming localnet connections\" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP", false),
        ("filter", "KUBE-FORWARD", "-m conntrack --ctstate INVALID -j DROP", false),
        ("filter", "KUBE-FORWARD", "-m comment --comment \"kubernetes forwarding rules\" -m mark --mark 0x4000/0x4000 -j ACCEPT", false),
        ("filter", "KUBE-FORWARD", "-m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", false),
    ];

    /// <summary>kube-proxy's KUBE-SVC chain of a Service port.</summary>
    public static string ServiceChain(KubeServicePort port)
    {
        ArgumentNullException.ThrowIfNull(port);
        return "KUBE-SVC-" + PortProtoHash(port.ServicePortName + port.IptablesProtocol);
    }

    /// <summary>kube-proxy's KUBE-XLB chain of a Service port (externalTrafficPolicy: Local).</summary>
    public static string LocalChain(KubeServicePort port)
    {
        ArgumentNullException.ThrowIfNull(port);
        return "KUBE-XLB-" + PortProtoHash(port.ServicePortName + port.IptablesProtocol);
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
    /// The nat and filter tables kube-proxy writes for <paramref name="ports"/> on a node where
    /// <paramref name="isLocal"/> tells the endpoints that run on it (null: none), masquerading traffic to a ClusterIP
    /// that does not come from <paramref name="clusterCidr"/> (kube-proxy's --cluster-cidr), as iptables-save prints them.
    /// </summary>
    public static string Write(IEnumerable<KubeServicePort> ports, string clusterCidr, Func<string, bool>? isLocal = null)
    {
        var text = new IptablesRestoreText();
        AddTo(text, ports, clusterCidr, isLocal);
        return text.Save();
    }

    /// <summary>Adds kube-proxy's chains and rules for <paramref name="ports"/> to a node's tables (see <see cref="Write"/>).</summary>
    internal static void AddTo(IptablesRestoreText t, IEnumerable<KubeServicePort> ports, string clusterCidr, Func<string, bool>? isLocal)
    {
        ArgumentNullException.ThrowIfNull(ports);
        isLocal ??= _ => false;
        var sorted = ports.Where(p => p.ClusterIp != "None")
            .OrderBy(p => p.ServicePortName, StringComparer.Ordinal).ThenBy(p => p.IptablesProtocol, StringComparer.Ordinal).ToList();
        // The canaries are empty chains kubelet and kube-proxy create to notice a flush of their tables.
        foreach (string c in new[] { "KUBE-KUBELET-CANARY", "KUBE-MARK-DROP", "KUBE-MARK-MASQ", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-PROXY-CANARY", "KUBE-SERVICES" })
            t.Chain(Nat, c);
        foreach (string c in new[] { "KUBE-EXTERNAL-SERVICES", "KUBE-FIREWALL", "KUBE-FORWARD", "KUBE-KUBELET-CANARY", "KUBE-PROXY-CANARY", "KUBE-SERVICES" })
            t.Chain(Filter, c);
        t.Chain("mangle", "KUBE-KUBELET-CANARY");
        t.Chain("mangle", "KUBE-PROXY-CANARY");
        foreach (var (table, chain, rule, prepend) in s_fixedRules)
            t.Rule(table, chain, rule, prepend);

        foreach (var p in sorted)
        {
            string proto = p.IptablesProtocol;
            string comment = Quote(p.ServicePortName);
            var endpoints = p.Endpoints.OrderBy(EndpointAddress, StringComparer.Ordinal).ThenBy(EndpointPort).ToList();
            string svc = ServiceChain(p);
            string xlb = LocalChain(p);
            if (p.ExternalLocal && p.NodePort != 0)
                t.Chain(Nat, xlb);
            if (endpoints.Count == 0)
            {
                Reject(t, "KUBE-SERVICES", $"-d {p.ClusterIp}/32 -p {proto} -m comment --comment {Quote(p.ServicePortName + " has no endpoints")} -m {proto} --dport {p.Port}");
                if (p.NodePort != 0)
                    Reject(t, "KUBE-EXTERNAL-SERVICES", $"-p {proto} -m comment --comment {Quote(p.ServicePortName + " has no endpoints")} -m addrtype --dst-type LOCAL -m {proto} --dport {p.NodePort}");
                continue;
            }
            t.Chain(Nat, svc);
            string clusterIpComment = Quote(p.ServicePortName + " cluster IP");
            t.Rule(Nat, "KUBE-SERVICES", $"! -s {clusterCidr} -d {p.ClusterIp}/32 -p {proto} -m comment --comment {clusterIpComment} -m {proto} --dport {p.Port} -j KUBE-MARK-MASQ");
            t.Rule(Nat, "KUBE-SERVICES", $"-d {p.ClusterIp}/32 -p {proto} -m comment --comment {clusterIpComment} -m {proto} --dport {p.Port} -j {svc}");
            if (p.NodePort != 0 && !p.ExternalLocal)
            {
                t.Rule(Nat, "KUBE-NODEPORTS", $"-p {proto} -m comment --comment {comment} -m {proto} --dport {p.NodePort} -j KUBE-MARK-MASQ");
                t.Rule(Nat, "KUBE-NODEPORTS", $"-p {proto} -m comment --comment {comment} -m {proto} --dport {p.NodePort} -j {svc}");
            }
            else if (p.NodePort != 0)
            {
                // Fix localhost martian source error: only a loopback client is masqueraded.
                t.Rule(Nat, "KUBE-NODEPORTS", $"-s 127.0.0.0/8 -p {proto} -m comment --comment {comment} -m {proto} --dport {p.NodePort} -j KUBE-MARK-MASQ");
                t.Rule(Nat, "KUBE-NODEPORTS", $"-p {proto} -m comment --comment {comment} -m {proto} --dport {p.NodePort} -j {xlb}");
            }
            var seps = endpoints.Select(ep => EndpointChain(p, ep)).ToList();
            foreach (string sep in seps)
                t.Chain(Nat, sep);
            if (p.AffinitySeconds > 0)
                foreach (string sep in seps)
                    t.Rule(Nat, svc, $"-m comment --comment {comment} {Recent(p, sep, check: true)} -j {sep}");
            for (int i = 0; i < endpoints.Count; i++)
            {
                t.Rule(Nat, svc, i < endpoints.Count - 1
                    ? $"-m comment --comment {comment} -m statistic --mode random --probability {Probability(endpoints.Count - i)} -j {seps[i]}"
                    : $"-m comment --comment {comment} -j {seps[i]}");
                string ip = EndpointAddress(endpoints[i]);
                t.Rule(Nat, seps[i], $"-s {ip}/32 -m comment --comment {comment} -j KUBE-MARK-MASQ");
                string affinity = p.AffinitySeconds > 0 ? Recent(p, seps[i], check: false) + " " : "";
                t.Rule(Nat, seps[i], $"-p {proto} -m comment --comment {comment} {affinity}-m {proto} -j DNAT --to-destination {endpoints[i]}");
            }
            if (p.ExternalLocal && p.NodePort != 0)
                LocalRules(t, p, xlb, svc, clusterCidr, [.. endpoints.Zip(seps).Where(e => isLocal(EndpointAddress(e.First))).Select(e => e.Second)]);
        }
        t.Rule(Nat, "KUBE-SERVICES", "-m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS");
    }

    // KUBE-XLB-*: pods' traffic to the NodePort goes the ClusterIP's way; the node's own traffic is masqueraded to the
    // Service; the rest is balanced over this node's endpoints, or marked for drop when it has none.
    private static void LocalRules(IptablesRestoreText t, KubeServicePort p, string xlb, string svc, string clusterCidr, List<string> local)
    {
        string name = p.ServicePortName;
        t.Rule(Nat, xlb, $"-s {clusterCidr} -m comment --comment \"Redirect pods trying to reach external loadbalancer VIP to clusterIP\" -j {svc}");
        t.Rule(Nat, xlb, $"-m comment --comment {Quote($"masquerade LOCAL traffic for {name} LB IP")} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ");
        t.Rule(Nat, xlb, $"-m comment --comment {Quote($"route LOCAL traffic for {name} LB IP to service chain")} -m addrtype --src-type LOCAL -j {svc}");
        if (local.Count == 0)
        {
            t.Rule(Nat, xlb, $"-m comment --comment {Quote(name + " has no local endpoints")} -j KUBE-MARK-DROP");
            return;
        }
        if (p.AffinitySeconds > 0)
            foreach (string sep in local)
                t.Rule(Nat, xlb, $"-m comment --comment {Quote(name)} {Recent(p, sep, check: true)} -j {sep}");
        for (int i = 0; i < local.Count; i++)
        {
            string balancing = Quote(string.Create(CultureInfo.InvariantCulture, $"Balancing rule {i} for {name}"));
            t.Rule(Nat, xlb, i < local.Count - 1
                ? $"-m comment --comment {balancing} -m statistic --mode random --probability {Probability(local.Count - i)} -j {local[i]}"
                : $"-m comment --comment {balancing} -j {local[i]}");
        }
    }

    // kube-proxy's `-m recent --name SEP --rcheck --seconds T --reap` / `--set`, in iptables-save's order.
    private static string Recent(KubeServicePort p, string sep, bool check)
        => check
            ? string.Create(CultureInfo.InvariantCulture, $"-m recent --rcheck --seconds {p.AffinitySeconds} --reap --name {sep} --mask 255.255.255.255 --rsource")
            : $"-m recent --set --name {sep} --mask 255.255.255.255 --rsource";

    // filter: a port without endpoints is refused (ICMP port unreachable) before it is forwarded or delivered.
    private static void Reject(IptablesRestoreText t, string chain, string rule)
        => t.Rule(Filter, chain, rule + " -j REJECT --reject-with icmp-port-unreachable");

    private static string EndpointAddress(string endpoint)
    {
        int colon = endpoint.LastIndexOf(':');
        return colon < 0 ? endpoint : endpoint[..colon].Trim('[', ']');
    }

    private static int EndpointPort(string endpoint)
    {
        int colon = endpoint.LastIndexOf(':');
        return colon >= 0 && int.TryParse(endpoint.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int p) ? p : 0;
    }

    // iptables-save quotes a comment in double quotes (kube-proxy passes it as one argument).
    private static string Quote(string text) => "\"" + text + "\"";
}
