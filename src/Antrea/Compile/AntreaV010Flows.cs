using System.Globalization;
using Datapath.Packets;

namespace Datapath.Antrea.Compile;

// Antrea v0.10's flows
// ====================
//
// The flows Antrea v0.10's agent installs on a node's br-int for the cluster it is in, written as
// `ovs-ofctl dump-flows --no-stats` prints them (the seed's worker*.flows form): pods, gateways, tunnels and
// NetworkPolicies become the tables of its pipeline (pkg/agent/openflow in v0.10):
//   0 Classification: gateway (reg0[0..15]=1), tunnel (tun_metadata0's traceflow bits, reg0[19]), pods (=2)
//   10 SpoofGuard: ARP and IP from each local port with its own addresses; the gateway's IP unchecked
//   20 ARPResponder: the other nodes' gateways answered with the global virtual MAC; NORMAL otherwise
//   30/31 Conntrack/ConntrackState (zone 65520, ct_mark 0x20 for connections from the gateway)
//   40 DNAT: the Service CIDR goes to the gateway (kube-proxy's iptables do the DNAT)
//   50/60 EgressRule/EgressDefault, 90/100 IngressRule/IngressDefault: each policy rule a conjunction
//     (EgressRule: the applied pods' sources, the peers' destinations or `ip` for any, the ports; IngressRule:
//     the peers' sources when the rule names peers, the applied pods' destinations, the ports), conj_id flows
//     loading reg5/reg6, and a drop per isolated local pod in the Default table; a policy that isolates egress
//     without an egress rule still gets a conjunction, of the applied pods' clause alone, which never completes
//     (so the Default table's drop decides), as v0.10 installed it on the seed cluster
//   70 L3Forwarding: local pods (virtual MAC in, gateway MAC out, dec_ttl), the local gateway, other nodes'
//     pod CIDRs through the tunnel (tun_dst = their node IP)
//   80 L2ForwardingCalc: reg1 = the output port of each local MAC
//   105 ConntrackCommit, 110 L2ForwardingOut
// Cookies: Antrea's round-number categories (0x1000000000000 default, +0x20 node, +0x30 pod, +0x40 service,
// +0x50 policy, shifted by 40 bits). Conjunction ids are allocated per node, one per rule, in the order the rules
// come here (egress of each policy, then ingress); Antrea's own order depends on when the agent saw each rule.

/// <summary>Writes Antrea v0.10's flows for one node of a cluster (see the essay above).</summary>
public static class AntreaV010Flows
{
    private const string Default = "cookie=0x1000000000000";
    private const string NodeCookie = "cookie=0x1020000000000";
    private const string PodCookie = "cookie=0x1030000000000";
    private const string ServiceCookie = "cookie=0x1040000000000";
    private const string PolicyCookie = "cookie=0x1050000000000";

    /// <summary>The flows of <paramref name="node"/>, table by table, each line as dump-flows --no-stats prints it.</summary>
    public static IReadOnlyList<string> For(ScenarioModel cluster, NodeModel node, IReadOnlyList<KubeNetworkPolicy> policies)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(policies);
        var gw = node.Gateway ?? throw new ArgumentException($"node {node.Name} has no gateway port", nameof(node));
        var tun = node.Tunnel ?? throw new ArgumentException($"node {node.Name} has no tunnel port", nameof(node));
        string gwName = gw.Name ?? "antrea-gw0", tunName = tun.Name ?? "antrea-tun0";
        string gwIp = (gw.Ip ?? "").Split('/')[0];
        string gwMac = gw.Mac ?? "";
        string vmac = cluster.Cluster.GlobalVirtualMac ?? "aa:bb:cc:dd:ee:ff";
        ushort zone = cluster.Cluster.CtZone;
        var f = new List<string>();

        // 0 Classification
        f.Add($"{Default}, priority=200,in_port=\"{gwName}\" actions=load:0x1->NXM_NX_REG0[0..15],resubmit(,10)");
        f.Add($"{Default}, priority=200,in_port=\"{tunName}\" actions=move:NXM_NX_TUN_METADATA0[28..31]->NXM_NX_REG9[28..31],load:0->NXM_NX_REG0[0..15],load:0x1->NXM_NX_REG0[19],resubmit(,30)");
        foreach (var p in node.Pods)
            f.Add($"{PodCookie}, priority=190,in_port=\"{p.Port}\" actions=load:0x2->NXM_NX_REG0[0..15],resubmit(,10)");
        f.Add($"{Default}, priority=0 actions=drop");

        // 10 SpoofGuard
        f.Add($"{Default}, table=10, priority=200,ip,in_port=\"{gwName}\" actions=resubmit(,30)");
        f.Add($"{Default}, table=10, priority=200,arp,in_port=\"{gwName}\",arp_spa={gwIp},arp_sha={gwMac} actions=resubmit(,20)");
        foreach (var p in node.Pods)
            f.Add($"{PodCookie}, table=10, priority=200,arp,in_port=\"{p.Port}\",arp_spa={p.Ip},arp_sha={p.Mac} actions=resubmit(,20)");
        foreach (var p in node.Pods)
            f.Add($"{PodCookie}, table=10, priority=200,ip,in_port=\"{p.Port}\",dl_src={p.Mac},nw_src={p.Ip} actions=resubmit(,30)");
        f.Add($"{Default}, table=10, priority=0 actions=drop");

        // 20 ARPResponder: every other node's gateway.
        foreach (var other in cluster.Nodes.Where(n => n != node && n.PodCidr is not null))
        {
            string peerGw = PeerGateway(other);
            f.Add($"{NodeCookie}, table=20, priority=200,arp,arp_tpa={peerGw},arp_op=1 actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],mod_dl_src:{vmac},load:0x2->NXM_OF_ARP_OP[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],load:0x{MacAddress.Parse(vmac).Value:x}->NXM_NX_ARP_SHA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],load:0x{Ipv4Address.Parse(peerGw).Value:x}->NXM_OF_ARP_SPA[],IN_PORT");
        }
        f.Add($"{Default}, table=20, priority=190,arp actions=NORMAL");
        f.Add($"{Default}, table=20, priority=0 actions=drop");

        // 30/31 Conntrack
        f.Add($"{Default}, table=30, priority=200,ip actions=ct(table=31,zone={zone})");
        f.Add($"{Default}, table=31, priority=210,ct_state=-new+trk,ct_mark=0x20,ip,reg0=0x1/0xffff actions=resubmit(,40)");
        f.Add($"{Default}, table=31, priority=200,ct_state=-new+trk,ct_mark=0x20,ip actions=load:0x{MacAddress.Parse(gwMac).Value:x}->NXM_OF_ETH_DST[],resubmit(,40)");
        f.Add($"{Default}, table=31, priority=190,ct_state=+inv+trk,ip actions=drop");
        f.Add($"{Default}, table=31, priority=0 actions=resubmit(,40)");

        // 40 DNAT: Services go to the host's kube-proxy.
        if (cluster.Cluster.ServiceCidr is { } svcCidr)
            f.Add($"{ServiceCookie}, table=40, priority=200,ip,nw_dst={svcCidr} actions=mod_dl_dst:{gwMac},load:0x{gw.OfPort:x}->NXM_NX_REG1[],load:0x1->NXM_NX_REG0[16],resubmit(,105)");
        f.Add($"{Default}, table=40, priority=0 actions=resubmit(,50)");

        // 50/60 and 90/100: NetworkPolicies.
        var egress = new List<string>();
        var ingress = new List<string>();
        PolicyFlows(cluster, node, policies, egress, ingress);
        f.Add($"{Default}, table=50, priority=210,ct_state=-new+est,ip actions=resubmit(,70)");
        f.AddRange(egress.Where(l => l.Contains(" table=50,", StringComparison.Ordinal)));
        f.Add($"{Default}, table=50, priority=0 actions=resubmit(,60)");
        f.AddRange(egress.Where(l => l.Contains(" table=60,", StringComparison.Ordinal)));
        f.Add($"{Default}, table=60, priority=0 actions=resubmit(,70)");

        // 70 L3Forwarding
        f.Add($"{Default}, table=70, priority=200,ip,dl_dst={vmac},nw_dst={gwIp} actions=mod_dl_dst:{gwMac},resubmit(,80)");
        foreach (var p in node.Pods)
            f.Add($"{PodCookie}, table=70, priority=200,ip,dl_dst={vmac},nw_dst={p.Ip} actions=mod_dl_src:{gwMac},mod_dl_dst:{p.Mac},dec_ttl,resubmit(,80)");
        foreach (var other in cluster.Nodes.Where(n => n != node && n.PodCidr is not null))
            f.Add($"{NodeCookie}, table=70, priority=200,ip,nw_dst={other.PodCidr} actions=dec_ttl,mod_dl_src:{gwMac},mod_dl_dst:{vmac},load:0x{tun.OfPort:x}->NXM_NX_REG1[],load:0x1->NXM_NX_REG0[16],load:0x{Ipv4Address.Parse(other.NodeIp).Value:x}->NXM_NX_TUN_IPV4_DST[],resubmit(,105)");
        f.Add($"{Default}, table=70, priority=0 actions=resubmit(,80)");

        // 80 L2ForwardingCalc
        f.Add($"{Default}, table=80, priority=200,dl_dst={gwMac} actions=load:0x{gw.OfPort:x}->NXM_NX_REG1[],load:0x1->NXM_NX_REG0[16],resubmit(,90)");
        foreach (var p in node.Pods)
            f.Add($"{PodCookie}, table=80, priority=200,dl_dst={p.Mac} actions=load:0x{p.OfPort:x}->NXM_NX_REG1[],load:0x1->NXM_NX_REG0[16],resubmit(,90)");
        f.Add($"{Default}, table=80, priority=0 actions=resubmit(,90)");

        f.Add($"{Default}, table=90, priority=210,ct_state=-new+est,ip actions=resubmit(,105)");
        f.AddRange(ingress.Where(l => l.Contains(" table=90,", StringComparison.Ordinal)));
        f.Add($"{Default}, table=90, priority=0 actions=resubmit(,100)");
        f.AddRange(ingress.Where(l => l.Contains(" table=100,", StringComparison.Ordinal)));
        f.Add($"{Default}, table=100, priority=0 actions=resubmit(,105)");

        // 105 ConntrackCommit, 110 L2ForwardingOut
        f.Add($"{Default}, table=105, priority=200,ct_state=+new+trk,ip,reg0=0x1/0xffff actions=ct(commit,table=110,zone={zone},exec(load:0x20->NXM_NX_CT_MARK[]))");
        f.Add($"{Default}, table=105, priority=190,ct_state=+new+trk,ip actions=ct(commit,table=110,zone={zone})");
        f.Add($"{Default}, table=105, priority=0 actions=resubmit(,110)");
        f.Add($"{Default}, table=110, priority=200,ip,reg0=0x10000/0x10000 actions=output:NXM_NX_REG1[]");
        f.Add($"{Default}, table=110, priority=0 actions=drop");
        return f;
    }

    // The peer's gateway address: its gateway port's, else the first address of its pod CIDR.
    internal static string PeerGateway(NodeModel n)
    {
        if (n.Gateway?.Ip is { } ip)
            return ip.Split('/')[0];
        var net = Ipv4Address.Parse(n.PodCidr!.Split('/')[0]);
        return new Ipv4Address(net.Value + 1).ToString();
    }

    internal static bool Selects(Dictionary<string, string> selector, PodModel pod, string ns, string podNamespace)
        => ns == podNamespace && selector.All(kv => pod.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value);

    internal static string NamespaceOf(PodModel p) => p.Pod.Contains('/', StringComparison.Ordinal) ? p.Pod[..p.Pod.IndexOf('/', StringComparison.Ordinal)] : "default";

    private static void PolicyFlows(ScenarioModel cluster, NodeModel node, IReadOnlyList<KubeNetworkPolicy> policies, List<string> egress, List<string> ingress)
    {
        var allPods = cluster.Nodes.SelectMany(n => n.Pods).ToList();
        // match -> conjunction actions, per table, in first-use order.
        var clauses = new Dictionary<(int Table, string Match), List<(int Id, int Clause, int Of)>>();
        var order = new List<(int Table, string Match)>();
        var conjFlows = new List<(int Table, int Id, string Load, int Next)>();
        var isolatedOut = new List<string>();
        var isolatedIn = new List<string>();
        int nextId = 1;

        void Clause(int table, string match, int id, int clause, int of)
        {
            var key = (table, match);
            if (!clauses.TryGetValue(key, out var list))
            {
                clauses[key] = list = [];
                order.Add(key);
            }
            list.Add((id, clause, of));
        }

        foreach (var pol in policies)
        {
            var applied = node.Pods.Where(p => Selects(pol.PodSelector, p, pol.Namespace, NamespaceOf(p))).ToList();
            if (applied.Count == 0)
                continue;
            if (pol.Egress)
            {
                foreach (var p in applied)
                    if (!isolatedOut.Contains(p.Ip))
                        isolatedOut.Add(p.Ip);
                var rules = pol.EgressRules.Count > 0 ? pol.EgressRules : [new KubePolicyRule([], [])];
                foreach (var rule in rules)
                {
                    int id = nextId++;
                    int of = rule.Ports.Count > 0 ? 3 : 2;
                    foreach (var p in applied)
                        Clause(50, $"ip,nw_src={p.Ip}", id, 1, of);
                    if (rule.Peers is null)
                        Clause(50, "ip", id, 2, of);
                    else
                        foreach (var peer in allPods.Where(q => rule.Peers.Any(sel => Selects(sel, q, pol.Namespace, NamespaceOf(q)))))
                            Clause(50, $"ip,nw_dst={peer.Ip}", id, 2, of);
                    foreach (var (proto, port) in rule.Ports)
                        Clause(50, $"{proto.ToLowerInvariant()},tp_dst={port}", id, 3, of);
                    conjFlows.Add((50, id, "NXM_NX_REG5[]", 70));
                }
            }
            if (pol.Ingress)
            {
                foreach (var p in applied)
                    if (!isolatedIn.Contains(p.Ip))
                        isolatedIn.Add(p.Ip);
                foreach (var rule in pol.IngressRules)
                {
                    int id = nextId++;
                    bool peers = rule.Peers is not null;
                    int of = (peers ? 1 : 0) + 1 + (rule.Ports.Count > 0 ? 1 : 0);
                    int c = 1;
                    if (peers)
                    {
                        foreach (var peer in allPods.Where(q => rule.Peers!.Any(sel => Selects(sel, q, pol.Namespace, NamespaceOf(q)))))
                            Clause(90, $"ip,nw_src={peer.Ip}", id, c, of);
                        c++;
                    }
                    foreach (var p in applied)
                        Clause(90, $"ip,nw_dst={p.Ip}", id, c, of);
                    c++;
                    foreach (var (proto, port) in rule.Ports)
                        Clause(90, $"{proto.ToLowerInvariant()},tp_dst={port}", id, c, of);
                    conjFlows.Add((90, id, "NXM_NX_REG6[]", 105));
                }
            }
        }
        foreach (var key in order)
        {
            string actions = string.Join(',', clauses[key].OrderBy(c => c.Id).Select(c => $"conjunction({c.Id},{c.Clause}/{c.Of})"));
            (key.Table == 50 ? egress : ingress).Add($"{PolicyCookie}, table={key.Table}, priority=200,{key.Match} actions={actions}");
        }
        foreach (var (table, id, load, next) in conjFlows)
            (table == 50 ? egress : ingress).Add(string.Create(CultureInfo.InvariantCulture, $"{PolicyCookie}, table={table}, priority=190,conj_id={id},ip actions=load:0x{id:x}->{load},resubmit(,{next})"));
        foreach (string ip in isolatedOut)
            egress.Add($"{Default}, table=60, priority=200,ip,nw_src={ip} actions=drop");
        foreach (string ip in isolatedIn)
            ingress.Add($"{Default}, table=100, priority=200,ip,nw_dst={ip} actions=drop");
    }
}
