namespace Datapath.Antrea.Compile;

/// <summary>
/// The iptables rules Antrea v0.10's agent keeps on a node (pkg/agent/route/route_linux.go, initIPTables): its own
/// chains ANTREA-MANGLE (empty outside EKS), ANTREA-FORWARD (accept what comes from and goes to the gateway) and
/// ANTREA-POSTROUTING (masquerade what the node's pods send outside every pod CIDR, the ANTREA-POD-IP ipset), each
/// jumped to from its built-in chain by a rule the agent appends (EnsureRule), so after kube-proxy's.
/// </summary>
internal static class AntreaV010Iptables
{
    /// <summary>The ipset the masquerade rule consults: every node's pod CIDR (AddRoutes adds each).</summary>
    public const string PodIpSet = "ANTREA-POD-IP";

    /// <summary>Adds the agent's chains and rules for a node with pod CIDR <paramref name="podCidr"/> and gateway <paramref name="gateway"/>.</summary>
    public static void AddTo(IptablesRestoreText t, string podCidr, string gateway)
    {
        t.Chain("mangle", "ANTREA-MANGLE");
        t.Rule("mangle", "PREROUTING", "-m comment --comment \"Antrea: jump to Antrea mangle rules\" -j ANTREA-MANGLE");
        t.Chain("filter", "ANTREA-FORWARD");
        t.Rule("filter", "FORWARD", "-m comment --comment \"Antrea: jump to Antrea forwarding rules\" -j ANTREA-FORWARD");
        t.Rule("filter", "ANTREA-FORWARD", $"-i {gateway} -m comment --comment \"Antrea: accept packets from local pods\" -j ACCEPT");
        t.Rule("filter", "ANTREA-FORWARD", $"-o {gateway} -m comment --comment \"Antrea: accept packets to local pods\" -j ACCEPT");
        t.Chain("nat", "ANTREA-POSTROUTING");
        t.Rule("nat", "POSTROUTING", "-m comment --comment \"Antrea: jump to Antrea postrouting rules\" -j ANTREA-POSTROUTING");
        t.Rule("nat", "ANTREA-POSTROUTING", $"-s {podCidr} -m comment --comment \"Antrea: masquerade pod to external packets\" -m set ! --match-set {PodIpSet} dst -j MASQUERADE");
    }

    /// <summary>The ANTREA-POD-IP ipset as <c>ipset save</c> prints it, holding <paramref name="podCidrs"/>.</summary>
    public static string IpSets(IEnumerable<string> podCidrs)
        => $"create {PodIpSet} hash:net family inet hashsize 1024 maxelem 65536\n" + string.Concat(podCidrs.Select(c => $"add {PodIpSet} {c}\n"));
}
