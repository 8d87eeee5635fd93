using System.Globalization;
using Datapath.Packets;

namespace Datapath.Antrea.Compile;

// Antrea 2.x's flows
// ==================
//
// The flows Antrea v2.7.0's agent installs on a node's br-int for the compiled cluster, with the feature set of the
// `--lab antrea-2` lab (defaults plus antreaProxy.proxyAll, IPv4, encap GENEVE, no TrafficControl, L7NetworkPolicy,
// Multicast, Egress QoS or DSR), as `ovs-ofctl dump-flows br-int --names --no-stats` prints them. Each group of flows
// below is what one function of the agent builds (pkg/agent/openflow):
//   - every table's miss flow (pipelineDefaultFlows): goto the next table of the IP pipeline, or drop in the root,
//     ARP and classifier tables and in Output; SessionAffinity, L3Forwarding and EgressMark have their features' own;
//   - pod connectivity (podConnectivityInitFlows): the gateway's and the tunnel's classification (reg0[0..3] the
//     source: 1 tunnel, 2 gateway, 3 pod), conntrack zone 65520 with NAT, L3Forwarding to the gateway and to the local
//     pod CIDR, TTL, the L2 output port into reg1, the commit;
//   - per local pod (InstallPodFlows): its ARP and IP spoof guards, its classification, L3 rewrite, L2 output port;
//   - per peer node (InstallNodeFlows): the ARP answer for its gateway with the global virtual MAC, its pod CIDR
//     through the tunnel (tun_dst its node IP), and its node IP exempted from Egress SNAT;
//   - AntreaProxy (serviceInitFlows with proxyAll): the virtual Service IP 169.254.0.253 and the gateway un-SNATed in
//     zone 65521, NodePortMark for the node IP and the virtual NodePort DNAT IP 169.254.0.252, the hairpin and
//     external SNAT marks;
//   - per Service port (InstallServiceFlows): the ServiceLB flow loading the group id into reg7 and selecting the
//     group (AntreaV2ServiceGroupIds numbers them), on the NodePort too (ToNodePortAddressRegMark, reg4[19]), ClientIP
//     affinity's learn flow at priority 190 (the cookie carries the group id; its hard_timeout at most 65535 s); with
//     externalTrafficPolicy Local the NodePort's flow and learn flow take the local group, and a priority-210 flow
//     for traffic from a local pod or the node (FromLocalRegMark, reg4[28]) short-circuits to the cluster group;
//   - per endpoint of any Service (InstallEndpointFlows): the DNAT flow matching reg3 (its IP) and reg4[0..15] (its
//     port), and for a local endpoint (a local pod, or the node itself for hostNetwork) the hairpin SNAT mark;
//   - Egress (egressInitFlows): no SNAT for traffic to the node, the Service CIDR or a peer node;
//   - NetworkPolicy (networkPolicyInitFlows with the PacketIn meters): established and related traffic past the
//     rule tables, the packet-in Output flows through meter 256; the cluster's NetworkPolicies (AntreaV2PolicyFlows).

/// <summary>Writes Antrea 2.x's flows for one node of a compiled cluster (see the essay above).</summary>
public static class AntreaV2Flows
{
    /// <summary>config.VirtualServiceIPv4: the source AntreaProxy SNATs hairpinned and external Service traffic to.</summary>
    public const string VirtualServiceIp = "169.254.0.253";

    /// <summary>config.VirtualNodePortDNATIPv4: where the host's ANTREA-PREROUTING/OUTPUT DNAT NodePort traffic.</summary>
    public const string VirtualNodePortDnatIp = "169.254.0.252";

    /// <summary>The conntrack zone of AntreaProxy's SNAT (SNATCtZone).</summary>
    public const int SnatCtZone = 65521;

    /// <summary>
    /// The longest ClientIP affinity AntreaProxy can give (maxSupportedAffinityTimeout): the learned flow's
    /// hard_timeout is 16 bits, so a Service's timeoutSeconds above it (the API allows 86400) is cut to it.
    /// </summary>
    public const int MaxAffinityTimeout = ushort.MaxValue;

    /// <summary>The id of the agent's OpenFlow controller connection, in its controller() actions.</summary>
    public const int ControllerId = 62373;

    private static readonly HashSet<string> s_dropMissTables = new(StringComparer.Ordinal) { "PipelineRootClassifier", "ARPSpoofGuard", "ARPResponder", "Classifier", "SpoofGuard", "Output" };
    private static readonly HashSet<string> s_featureMissTables = new(StringComparer.Ordinal) { "SessionAffinity", "L3Forwarding", "EgressMark" };

    /// <summary>The flows of <paramref name="node"/>, as dump-flows --names --no-stats prints them, one line each.</summary>
    public static string For(ScenarioModel cluster, NodeModel node, IReadOnlyList<KubeServicePort> ports, IReadOnlyList<KubeNetworkPolicy> policies)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(ports);
        ArgumentNullException.ThrowIfNull(policies);
        var gw = node.Gateway ?? throw new ArgumentException($"node {node.Name} has no gateway port", nameof(node));
        var tun = node.Tunnel ?? throw new ArgumentException($"node {node.Name} has no tunnel port", nameof(node));
        string gwIp = (gw.Ip ?? "").Split('/')[0], gwMac = gw.Mac ?? "";
        string gwIn = $"in_port=\"{gw.Name ?? "antrea-gw0"}\"", tunIn = $"in_port=\"{tun.Name ?? "antrea-tun0"}\"";
        string vmac = cluster.Cluster.GlobalVirtualMac ?? AntreaFields.GlobalVirtualMac;
        int zone = cluster.Cluster.CtZone;
        var peers = cluster.Nodes.Where(n => n != node && n.PodCidr is not null).ToList();
        var f = new AntreaV2FlowSet();

        // pipelineDefaultFlows
        var tables = AntreaTables.V2FlowTables.Select(t => t.Value).ToList();
        int classifier = tables.IndexOf("Classifier");
        for (int i = 0; i < tables.Count; i++)
        {
            if (s_featureMissTables.Contains(tables[i]))
                continue;
            if (s_dropMissTables.Contains(tables[i]))
                f.Add(AntreaV2Cookie.Default, tables[i], 0, "", "drop");
            else if (i > classifier)
                f.Add(AntreaV2Cookie.Default, tables[i], 0, "", $"goto_table:{tables[i + 1]}");
        }
        f.Add(AntreaV2Cookie.Default, "PipelineRootClassifier", 200, "arp", "goto_table:ARPSpoofGuard");
        f.Add(AntreaV2Cookie.Default, "PipelineRootClassifier", 200, "ip", "goto_table:Classifier");

        // featurePodConnectivity.initFlows
        const AntreaV2Cookie P = AntreaV2Cookie.PodConnectivity;
        string toGw = $"set_field:{gwMac}->eth_dst,set_field:0x20/0xf0->reg0,goto_table:L3DecTTL";
        f.Add(P, "ARPSpoofGuard", 200, $"arp,{gwIn},arp_spa={gwIp},arp_sha={gwMac}", "goto_table:ARPResponder");
        f.Add(P, "ARPResponder", 190, "arp", "NORMAL");
        f.Add(P, "Classifier", 210, $"ip,{gwIn},nw_src={gwIp}", "set_field:0x2/0xf->reg0,set_field:0x10000000/0x10000000->reg4,goto_table:SpoofGuard");
        f.Add(P, "Classifier", 200, gwIn, "set_field:0x2/0xf->reg0,set_field:0x8000000/0x8000000->reg4,goto_table:SpoofGuard");
        f.Add(P, "Classifier", 200, tunIn, "set_field:0x1/0xf->reg0,set_field:0x200/0x200->reg0,goto_table:UnSNAT");
        f.Add(P, "SpoofGuard", 200, $"ip,{gwIn}", "goto_table:UnSNAT");
        f.Add(P, "ConntrackZone", 200, "ip", Inv($"ct(table=ConntrackState,zone={zone},nat)"));
        f.Add(P, "ConntrackState", 200, "ct_state=+inv+trk,ip", "drop");
        f.Add(P, "ConntrackState", 190, "ct_state=-new+trk,ct_mark=0/0x10,ip", "goto_table:AntreaPolicyEgressRule");
        f.Add(P, "L3Forwarding", 210, $"ip,nw_dst={gwIp}", toGw);
        f.Add(P, "L3Forwarding", 210, "ct_state=+rpl+trk,ct_mark=0x2/0xf,ip", toGw);
        f.Add(P, "L3Forwarding", 200, $"ip,reg0=0/0x200,nw_dst={node.PodCidr}", "goto_table:L2ForwardingCalc");
        f.Add(P, "L3Forwarding", 0, "", "set_field:0x20/0xf0->reg0,goto_table:L2ForwardingCalc");
        f.Add(P, "L3DecTTL", 210, "ip,reg0=0x2/0xf", "goto_table:SNATMark");
        f.Add(P, "L3DecTTL", 200, "ip", "dec_ttl,goto_table:SNATMark");
        f.Add(P, "L2ForwardingCalc", 200, $"dl_dst={gwMac}", OutputPort(gw.OfPort));
        f.Add(P, "L2ForwardingCalc", 200, $"dl_dst={vmac}", OutputPort(tun.OfPort));
        f.Add(P, "IngressSecurityClassifier", 210, "pkt_mark=0x80000000/0x80000000,ct_state=-rpl+trk,ip", "goto_table:ConntrackCommit");
        f.Add(P, "ConntrackCommit", 200, "ct_state=+new+trk,ct_mark=0/0x20,ip", Inv($"ct(commit,table=Output,zone={zone},exec(move:NXM_NX_REG0[0..3]->NXM_NX_CT_MARK[0..3]))"));
        f.Add(P, "Output", 200, "reg0=0x200000/0x600000", "output:NXM_NX_REG1[]");

        // InstallPodFlows, per local pod
        foreach (var p in node.Pods)
        {
            string pin = $"in_port=\"{p.Port}\"";
            f.Add(P, "ARPSpoofGuard", 200, $"arp,{pin},arp_spa={p.Ip},arp_sha={p.Mac}", "goto_table:ARPResponder");
            f.Add(P, "Classifier", 190, pin, "set_field:0x3/0xf->reg0,set_field:0x10000000/0x10000000->reg4,goto_table:SpoofGuard");
            f.Add(P, "SpoofGuard", 200, $"ip,{pin},dl_src={p.Mac},nw_src={p.Ip}", "goto_table:UnSNAT");
            f.Add(P, "L3Forwarding", 200, $"ip,reg0=0x200/0x200,nw_dst={p.Ip}", $"set_field:{gwMac}->eth_src,set_field:{p.Mac}->eth_dst,goto_table:L3DecTTL");
            f.Add(P, "L2ForwardingCalc", 200, $"dl_dst={p.Mac}", OutputPort(p.OfPort));
        }

        // InstallNodeFlows, per peer node
        foreach (var peer in peers)
        {
            string peerGw = AntreaV010Flows.PeerGateway(peer);
            f.Add(P, "ARPResponder", 200, $"arp,arp_tpa={peerGw},arp_op=1",
                $"move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:{vmac}->eth_src,set_field:2->arp_op,move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],"
                + $"set_field:{vmac}->arp_sha,move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],set_field:{peerGw}->arp_spa,IN_PORT");
            f.Add(P, "L3Forwarding", 200, $"ip,nw_dst={peer.PodCidr}",
                $"set_field:{gwMac}->eth_src,set_field:{vmac}->eth_dst,set_field:{peer.NodeIp}->tun_dst,set_field:0x10/0xf0->reg0,goto_table:L3DecTTL");
            f.Add(AntreaV2Cookie.Egress, "EgressMark", 210, $"ip,nw_dst={peer.NodeIp}", "set_field:0x20/0xf0->reg0,goto_table:L2ForwardingCalc");
        }

        ServiceFlows(f, node, gwIp, gwMac, zone, ports);

        // featureEgress.initFlows
        const AntreaV2Cookie E = AntreaV2Cookie.Egress;
        f.Add(E, "L3Forwarding", 190, "ct_state=-rpl+trk,ip,reg0=0x3/0xf,reg4=0/0x100000", "goto_table:EgressMark");
        f.Add(E, "L3Forwarding", 190, "ct_state=-rpl+trk,ip,reg0=0x1/0xf", $"set_field:{gwMac}->eth_dst,goto_table:EgressMark");
        f.Add(E, "EgressMark", 210, $"ip,nw_dst={node.NodeIp}", "set_field:0x20/0xf0->reg0,goto_table:L2ForwardingCalc");
        if (cluster.Cluster.ServiceCidr is { } serviceCidr)
            f.Add(E, "EgressMark", 210, $"ip,nw_dst={serviceCidr}", "set_field:0x20/0xf0->reg0,goto_table:L2ForwardingCalc");
        f.Add(E, "EgressMark", 190, "ct_state=+new+trk,ip,reg0=0x1/0xf", "drop");
        f.Add(E, "EgressMark", 0, "", "set_field:0x20/0xf0->reg0,goto_table:L2ForwardingCalc");

        // featureNetworkPolicy.initFlows
        const AntreaV2Cookie N = AntreaV2Cookie.NetworkPolicy;
        f.Add(N, "IngressSecurityClassifier", 201, "reg4=0x80000/0x80000", "goto_table:AntreaPolicyIngressRule");
        foreach (string mark in new[] { "0x20", "0x10", "0x40" })
            f.Add(N, "IngressSecurityClassifier", 200, $"reg0={mark}/0xf0", "goto_table:IngressMetric");
        f.Add(N, "IngressSecurityClassifier", 200, "ct_mark=0x40/0x40", "goto_table:ConntrackCommit");
        foreach (string state in new[] { "-new+est", "-new+rel" })
        {
            f.Add(N, "AntreaPolicyEgressRule", 64990, $"ct_state={state},ip", "goto_table:EgressMetric");
            f.Add(N, "AntreaPolicyIngressRule", 64990, $"ct_state={state},ip", "goto_table:IngressMetric");
        }
        for (uint op = 1; op <= 7; op++) // PacketInOperationField (reg0[25..32]) with OutputToControllerRegMark (reg0[22])
            f.Add(N, "Output", 200, Inv($"reg0=0x{(op << 25) | 0x400000:x}/0xfe600000"), Inv($"meter:256,controller(reason=no_match,id={ControllerId},userdata=01.{op:x2})"));

        AntreaV2PolicyFlows.AddTo(f, cluster, node, policies, zone);
        return f.Text();
    }

    private static void ServiceFlows(AntreaV2FlowSet f, NodeModel node, string gwIp, string gwMac, int zone, IReadOnlyList<KubeServicePort> ports)
    {
        // featureService.initFlows (proxyAll)
        const AntreaV2Cookie S = AntreaV2Cookie.Service;
        string hairpinCommit = Inv($"ct(commit,table=SNAT,zone={zone},exec(set_field:0x20/0x20->ct_mark,set_field:0x40/0x40->ct_mark,move:NXM_NX_REG0[0..3]->NXM_NX_CT_MARK[0..3]))");
        f.Add(S, "UnSNAT", 200, $"ip,nw_dst={VirtualServiceIp}", Inv($"ct(table=ConntrackZone,zone={SnatCtZone},nat)"));
        f.Add(S, "UnSNAT", 200, $"ip,nw_dst={gwIp}", Inv($"ct(table=ConntrackZone,zone={SnatCtZone},nat)"));
        f.Add(S, "ConntrackState", 190, "ct_state=-new+trk,ct_mark=0x10/0x10,ip", "set_field:0x200/0x200->reg0,goto_table:AntreaPolicyEgressRule");
        f.Add(S, "PreRoutingClassifier", 200, "ip", "resubmit(,NodePortMark),resubmit(,SessionAffinity),resubmit(,ServiceLB)");
        f.Add(S, "NodePortMark", 200, $"ip,nw_dst={node.NodeIp}", "set_field:0x80000/0x80000->reg4");
        f.Add(S, "NodePortMark", 200, $"ip,nw_dst={VirtualNodePortDnatIp}", "set_field:0x80000/0x80000->reg4");
        f.Add(S, "SessionAffinity", 0, "", "set_field:0x10000/0x70000->reg4");
        f.Add(S, "EndpointDNAT", 200, "reg0=0x4000/0x4000", Inv($"controller(reason=no_match,id={ControllerId},userdata=04)"));
        f.Add(S, "EndpointDNAT", 190, "reg4=0x20000/0x70000", "set_field:0x10000/0x70000->reg4,resubmit(,ServiceLB)");
        f.Add(S, "L3Forwarding", 190, "ct_mark=0x10/0x10,reg0=0x202/0x20f", $"set_field:{gwMac}->eth_dst,set_field:0x20/0xf0->reg0,goto_table:L3DecTTL");
        f.Add(S, "SNATMark", 200, "ct_state=+new+trk,ip,reg0=0x22/0xff", hairpinCommit);
        f.Add(S, "SNATMark", 200, "ct_state=+new+trk,ip,reg0=0x12/0xff,reg4=0x200000/0x2200000",
            Inv($"ct(commit,table=SNAT,zone={zone},exec(set_field:0x20/0x20->ct_mark,move:NXM_NX_REG0[0..3]->NXM_NX_CT_MARK[0..3]))"));
        const string allMarks = "exec(set_field:0x10/0x10->ct_mark,set_field:0x20/0x20->ct_mark,set_field:0x40/0x40->ct_mark)";
        f.Add(S, "SNAT", 200, "ct_state=+new+trk,ct_mark=0x40/0x40,ip,reg0=0x2/0xf", Inv($"ct(commit,table=L2ForwardingCalc,zone={SnatCtZone},nat(src={VirtualServiceIp}),{allMarks})"));
        f.Add(S, "SNAT", 200, "ct_state=+new+trk,ct_mark=0x40/0x40,ip,reg0=0x3/0xf", Inv($"ct(commit,table=L2ForwardingCalc,zone={SnatCtZone},nat(src={gwIp}),{allMarks})"));
        f.Add(S, "SNAT", 200, "ct_state=-new-rpl+trk,ct_mark=0x20/0x20,ip", Inv($"ct(table=L2ForwardingCalc,zone={SnatCtZone},nat)"));
        f.Add(S, "SNAT", 190, "ct_state=+new+trk,ct_mark=0x20/0x20,ip,reg0=0x2/0xf",
            Inv($"ct(commit,table=L2ForwardingCalc,zone={SnatCtZone},nat(src={gwIp}),exec(set_field:0x10/0x10->ct_mark,set_field:0x20/0x20->ct_mark))"));
        f.Add(S, "Output", 210, "ct_mark=0x40/0x40,reg0=0x200000/0x600000", "IN_PORT");

        // InstallServiceFlows, per Service port: its groups are numbered in the compile's order (AntreaV2ServiceGroupIds).
        var groups = AntreaV2ServiceGroupIds.Number(ports);
        for (int i = 0; i < ports.Count; i++)
        {
            var port = ports[i];
            var ids = groups[i];
            string proto = port.IptablesProtocol;
            string state = port.AffinitySeconds > 0 ? "0x30000" : "0x20000";
            string Select(uint group) => Inv($"set_field:0x{group:x}->reg7,group:{group}");
            f.Add(S, "ServiceLB", 200, Inv($"{proto},reg4=0x10000/0x70000,nw_dst={port.ClusterIp},tp_dst={port.Port}"),
                $"set_field:0x200/0x200->reg0,set_field:{state}/0x70000->reg4,{Select(ids.Cluster)}");
            if (port.NodePort != 0)
            {
                string external = $"set_field:0x200/0x200->reg0,set_field:{state}/0x70000->reg4,set_field:0x200000/0x200000->reg4,";
                f.Add(S, "ServiceLB", 200, Inv($"{proto},reg4=0x90000/0xf0000,tp_dst={port.NodePort}"), external + Select(ids.External));
                // externalTrafficPolicy Local's short circuit: from a local pod or the node (FromLocalRegMark, reg4[28]) the
                // NodePort balances over the cluster group.
                if (ids.Local != 0)
                    f.Add(S, "ServiceLB", 210, Inv($"{proto},reg4=0x10090000/0x100f0000,tp_dst={port.NodePort}"), external + Select(ids.Cluster));
            }
            if (port.AffinitySeconds > 0)
            {
                f.Add(S, "ServiceLB", 190, Inv($"{proto},reg4=0x30000/0x70000,nw_dst={port.ClusterIp},tp_dst={port.Port}"), Learn(port, ids.Cluster, external: false), ids.Cluster);
                if (port.NodePort != 0)
                    f.Add(S, "ServiceLB", 190, Inv($"{proto},reg4=0xb0000/0xf0000,tp_dst={port.NodePort}"), Learn(port, ids.External, external: true), ids.External);
            }
        }

        // InstallEndpointFlows: one DNAT flow per endpoint (address, port, protocol), a hairpin mark per local endpoint.
        var endpoints = ports.SelectMany(p => p.Endpoints.Select(e => (Endpoint: AntreaV2Endpoint.Parse(e), Protocol: p.IptablesProtocol))).Distinct().ToList();
        foreach (var (e, proto) in endpoints)
            f.Add(S, "EndpointDNAT", 200, Inv($"{proto},reg3=0x{e.Address:x},reg4=0x{0x20000 | e.Port:x}/0x7ffff"),
                Inv($"ct(commit,table=AntreaPolicyEgressRule,zone={zone},nat(dst={e.Ip}:{e.Port}),exec(set_field:0x10/0x10->ct_mark))"));
        // IsLocal: the endpoint runs on this node, a pod's or (hostNetwork) the node's own address.
        var local = AntreaV2Endpoint.LocalTo(node);
        foreach (string ip in endpoints.Select(e => e.Endpoint.Ip).Where(local.Contains).Distinct(StringComparer.Ordinal))
            f.Add(S, "SNATMark", 190, $"ct_state=+new+trk,ip,nw_src={ip},nw_dst={ip}", hairpinCommit);
    }

    // serviceLearnFlow's learn(): the chosen endpoint (reg3, reg4[0..15], reg4[26]) remembered per client address.
    private static string Learn(KubeServicePort port, uint group, bool external)
    {
        ulong cookie = (1UL << 48) | ((ulong)AntreaV2Cookie.Service << 40) | group;
        (int number, string dst) = port.IptablesProtocol switch
        {
            "udp" => (17, "NXM_OF_UDP_DST[]"),
            "sctp" => (132, "OXM_OF_SCTP_DST[]"),
            _ => (6, "NXM_OF_TCP_DST[]"),
        };
        return Inv($"learn(table=SessionAffinity,hard_timeout={Math.Min(port.AffinitySeconds, MaxAffinityTimeout)},priority=200,delete_learned,cookie=0x{cookie:x},eth_type=0x800,nw_proto={number},")
            + $"{dst},NXM_OF_IP_DST[],NXM_OF_IP_SRC[],load:NXM_NX_REG4[0..15]->NXM_NX_REG4[0..15],load:NXM_NX_REG4[26]->NXM_NX_REG4[26],"
            + $"load:NXM_NX_REG3[]->NXM_NX_REG3[],load:0x2->NXM_NX_REG4[16..18],load:0x1->NXM_NX_REG0[9]{(external ? ",load:0x1->NXM_NX_REG4[21]" : "")}),"
            + "set_field:0x20000/0x70000->reg4,goto_table:EndpointDNAT";
    }

    // L2ForwardingCalc's action: the output port into reg1, OutputToOFPortRegMark (reg0[21..22] = 1).
    private static string OutputPort(uint ofport) => Inv($"set_field:0x{ofport:x}->reg1,set_field:0x200000/0x600000->reg0,goto_table:IngressSecurityClassifier");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
