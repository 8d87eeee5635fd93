namespace Datapath.Antrea.Compile;

/// <summary>
/// The iptables Antrea 2.x's route client keeps on a node with antreaProxy.proxyAll and no kube-proxy
/// (pkg/agent/route/route_linux.go, syncIPTables), as iptables-save prints them: in raw, mangle, filter and nat its
/// ANTREA-PREROUTING, ANTREA-INPUT, ANTREA-FORWARD, ANTREA-OUTPUT and ANTREA-POSTROUTING chains, each jumped to from its
/// built-in chain; the mark of LOCAL output to the gateway (0x80000000, which IngressSecurityClassifier lets past the
/// policy tables), the forwarding of what comes from and goes to the gateway, NodePort traffic (the ANTREA-NODEPORT-IP
/// ipset's node IP and port pairs) DNATed to the virtual NodePort IP, and the masquerades: pods to outside every pod
/// CIDR (ANTREA-POD-IP), LOCAL traffic out of the gateway, the virtual Service IP. Left out, and said so in the
/// file: the five NOTRACK rules of raw (GENEVE to and from LOCAL addresses, the ANTREA-EXTERNAL-IP set), which this
/// datapath's netfilter cannot express (no CT target) and which change no packet of a compiled cluster.
/// </summary>
public static class AntreaV2Iptables
{
    private const string NoTrackNote = """
        # Antrea also writes five NOTRACK rules here (`-j CT --notrack`: GENEVE UDP 6081 to and from LOCAL addresses, and
        # traffic to and from the ANTREA-EXTERNAL-IP set). This datapath's netfilter has no CT target yet; none of them
        # changes a packet of this lab (the bridge's tunnel frames do not pass the host stack, the set is empty).

        """;

    /// <summary>The iptables-save text of <paramref name="node"/> (its pod CIDR and gateway), after a comment naming it.</summary>
    public static string For(NodeModel node)
    {
        ArgumentNullException.ThrowIfNull(node);
        string gw = node.Gateway?.Name ?? "antrea-gw0";
        string podCidr = node.PodCidr ?? throw new ArgumentException($"node {node.Name} has no pod CIDR", nameof(node));
        var t = new IptablesRestoreText();
        void Jump(string table, string chain, string what)
        {
            t.Chain(table, "ANTREA-" + chain);
            t.Rule(table, chain, $"-m comment --comment \"Antrea: jump to Antrea {what} rules\" -j ANTREA-{chain}");
        }
        Jump("raw", "PREROUTING", "prerouting");
        Jump("raw", "OUTPUT", "output");
        Jump("mangle", "PREROUTING", "prerouting");
        Jump("mangle", "OUTPUT", "output");
        t.Rule("mangle", "ANTREA-OUTPUT", $"-o {gw} -m comment --comment \"Antrea: mark LOCAL output packets\" -m addrtype --src-type LOCAL -j MARK --set-xmark 0x80000000/0x80000000");
        Jump("filter", "INPUT", "input");
        Jump("filter", "FORWARD", "forwarding");
        Jump("filter", "OUTPUT", "output");
        t.Rule("filter", "ANTREA-FORWARD", $"-i {gw} -m comment --comment \"Antrea: accept packets from local Pods\" -j ACCEPT");
        t.Rule("filter", "ANTREA-FORWARD", $"-o {gw} -m comment --comment \"Antrea: accept packets to local Pods\" -j ACCEPT");
        Jump("nat", "PREROUTING", "prerouting");
        Jump("nat", "OUTPUT", "output");
        Jump("nat", "POSTROUTING", "postrouting");
        const string nodePort = $"-m set --match-set ANTREA-NODEPORT-IP dst,dst -j DNAT --to-destination {AntreaV2Flows.VirtualNodePortDnatIp}";
        t.Rule("nat", "ANTREA-PREROUTING", $"-m comment --comment \"Antrea: DNAT external to NodePort packets\" {nodePort}");
        t.Rule("nat", "ANTREA-OUTPUT", $"-m comment --comment \"Antrea: DNAT local to NodePort packets\" {nodePort}");
        t.Rule("nat", "ANTREA-POSTROUTING", $"-s {podCidr} -m comment --comment \"Antrea: masquerade Pod to external packets\" -m set ! --match-set {AntreaV010Iptables.PodIpSet} dst ! -o {gw} -j MASQUERADE");
        t.Rule("nat", "ANTREA-POSTROUTING", $"-o {gw} -m comment --comment \"Antrea: masquerade LOCAL traffic\" -m addrtype ! --src-type LOCAL --limit-iface-out -m addrtype --src-type LOCAL -j MASQUERADE --random-fully");
        t.Rule("nat", "ANTREA-POSTROUTING", $"-s {AntreaV2Flows.VirtualServiceIp}/32 -m comment --comment \"Antrea: masquerade OVS virtual source IP\" -j MASQUERADE");

        string saved = t.Save();
        int rawCommit = saved.IndexOf("COMMIT\n", saved.IndexOf("*raw\n", StringComparison.Ordinal), StringComparison.Ordinal);
        return $"""
            # iptables-save on {node.Name}: the chains Antrea 2.x's route client writes (pkg/agent/route/route_linux.go,
            # syncIPTables and restoreIptablesData) with antreaProxy.proxyAll on, encap GENEVE, no kube-proxy, no Egress IPs.

            """ + saved[..rawCommit] + NoTrackNote + saved[rawCommit..];
    }
}
