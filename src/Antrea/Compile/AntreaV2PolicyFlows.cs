using System.Globalization;

namespace Datapath.Antrea.Compile;

/// <summary>
/// Kubernetes NetworkPolicies as Antrea 2.x's agent realizes them on one node (pkg/agent/openflow/network_policy.go):
/// a rule is installed where the pods it applies to run, as a conjunction whose id the agent allocates (1, 2, ... in
/// the order the rules reach it: here each policy's egress rules, then its ingress rules). An egress rule's clauses
/// are the applied pods' sources (EgressRule, <c>nw_src</c>), its peers' destinations and its ports; an ingress
/// rule's the peers' sources, the applied pods' output ports (reg1, IngressRule) and its ports. A rule without peers
/// has the controller's match-all peer, 0.0.0.0/0, which dump-flows prints as <c>ip</c>; a rule without ports has no
/// port clause. The conj_id flow loads the rule id (reg5 egress, reg6 ingress), commits it into ct_label (bits 32..63
/// egress, 0..31 ingress) and the metric table counts it; each isolated pod gets a drop in EgressDefaultRule (by
/// source address) or IngressDefaultRule (by output port).
/// </summary>
internal static class AntreaV2PolicyFlows
{
    public static void AddTo(AntreaV2FlowSet f, ScenarioModel cluster, NodeModel node, IReadOnlyList<KubeNetworkPolicy> policies, int zone)
    {
        const AntreaV2Cookie N = AntreaV2Cookie.NetworkPolicy;
        var allPods = cluster.Nodes.SelectMany(n => n.Pods).ToList();
        var clauses = new Dictionary<(string Table, string Match), List<(int Id, int Clause, int Of)>>();
        var isolatedOut = new List<PodModel>();
        var isolatedIn = new List<PodModel>();
        int nextId = 1;

        void Clause(string table, string match, int id, int clause, int of)
        {
            if (!clauses.TryGetValue((table, match), out var list))
                clauses[(table, match)] = list = [];
            list.Add((id, clause, of));
        }

        List<string>? Peers(KubeNetworkPolicy pol, KubePolicyRule rule) => rule.Peers is null ? null
            : [.. allPods.Where(q => rule.Peers.Any(sel => AntreaV010Flows.Selects(sel, q, pol.Namespace, AntreaV010Flows.NamespaceOf(q)))).Select(q => q.Ip).Distinct(StringComparer.Ordinal)];

        foreach (var pol in policies)
        {
            var applied = node.Pods.Where(p => AntreaV010Flows.Selects(pol.PodSelector, p, pol.Namespace, AntreaV010Flows.NamespaceOf(p))).ToList();
            if (applied.Count == 0)
                continue;
            if (pol.Egress)
            {
                isolatedOut.AddRange(applied.Where(p => !isolatedOut.Contains(p)));
                foreach (var rule in pol.EgressRules)
                {
                    int id = nextId++, of = rule.Ports.Count > 0 ? 3 : 2;
                    foreach (var p in applied)
                        Clause("EgressRule", $"ip,nw_src={p.Ip}", id, 1, of);
                    foreach (string? ip in (IEnumerable<string?>?)Peers(pol, rule) ?? [null])
                        Clause("EgressRule", ip is null ? "ip" : $"ip,nw_dst={ip}", id, 2, of);
                    Ports(rule, "EgressRule", id);
                    ulong label = (ulong)id << 32;
                    f.Add(N, "EgressRule", 190, Inv($"conj_id={id},ip"), Inv($"set_field:0x{id:x}->reg5,ct(commit,table=EgressMetric,zone={zone},exec(set_field:0x{label:x}/0xffffffff00000000->ct_label))"));
                    foreach (string state in new[] { "+new", "-new" })
                        f.Add(N, "EgressMetric", 200, Inv($"ct_state={state},ct_label=0x{label:x}/0xffffffff00000000,ip"), "goto_table:L3Forwarding");
                }
            }
            if (pol.Ingress)
            {
                isolatedIn.AddRange(applied.Where(p => !isolatedIn.Contains(p)));
                foreach (var rule in pol.IngressRules)
                {
                    int id = nextId++, of = rule.Ports.Count > 0 ? 3 : 2;
                    foreach (string? ip in (IEnumerable<string?>?)Peers(pol, rule) ?? [null])
                        Clause("IngressRule", ip is null ? "ip" : $"ip,nw_src={ip}", id, 1, of);
                    foreach (var p in applied)
                        Clause("IngressRule", Inv($"reg1=0x{p.OfPort:x}"), id, 2, of);
                    Ports(rule, "IngressRule", id);
                    f.Add(N, "IngressRule", 190, Inv($"conj_id={id},ip"), Inv($"set_field:0x{id:x}->reg6,ct(commit,table=IngressMetric,zone={zone},exec(set_field:0x{id:x}/0xffffffff->ct_label))"));
                    foreach (string state in new[] { "+new", "-new" })
                        f.Add(N, "IngressMetric", 200, Inv($"ct_state={state},ct_label=0x{id:x}/0xffffffff,ip"), "goto_table:ConntrackCommit");
                }
            }
        }
        foreach (var ((table, match), list) in clauses)
            f.Add(N, table, 200, match, string.Join(',', list.OrderBy(c => c.Id).ThenBy(c => c.Clause).Select(c => Inv($"conjunction({c.Id},{c.Clause}/{c.Of})"))));
        foreach (var p in isolatedOut)
            f.Add(N, "EgressDefaultRule", 200, $"ip,nw_src={p.Ip}", "drop");
        foreach (var p in isolatedIn)
            f.Add(N, "IngressDefaultRule", 200, Inv($"reg1=0x{p.OfPort:x}"), "drop");

        void Ports(KubePolicyRule rule, string table, int id)
        {
            foreach (var (protocol, port) in rule.Ports)
                Clause(table, Inv($"{protocol.ToLowerInvariant()},tp_dst={port}"), id, 3, 3);
        }
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
