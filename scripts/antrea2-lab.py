#!/usr/bin/env python3
"""Writes the embedded Antrea 2.x lab (src/Antrea/Antrea2/): cluster.yaml, manifests.yaml and, per node, the flows,
groups and meters `ovs-ofctl dump-flows/dump-groups/dump-meters br-int --names --no-stats` print on an Antrea v2.7.0
node, the node's iptables-save and ipset save. The seed lab's two workers (the same pods, addresses, MACs, ofports),
with Antrea 2.x defaults plus antreaProxy.proxyAll (no kube-proxy), IPv4, encap GENEVE, tunnelCsum off, no
TrafficControl, L7NetworkPolicy, Multicast, Egress QoS or DSR.

Every flow below is one that Antrea v2.7.0 writes for this cluster; the comment before each group of flows names the
Antrea function that builds it (pkg/agent/openflow/pipeline.go, service.go, network_policy.go, egress via pipeline.go)
and the expected-flow strings of its own tests (pipeline_test.go pipelineDefaultFlows, pod_connectivity_test.go
podConnectivityInitFlows, service_test.go serviceInitFlows, network_policy_test.go networkPolicyInitFlows,
egress_test.go egressInitFlows, client_test.go Test_client_Install{Node,Pod,Service,Endpoint}Flows / ServiceGroup).
Lines are written as ovs-ofctl prints them (ct_mark=0/0x10 rather than libOpenflow's 0x0/0x10, a 0.0.0.0/0 match
omitted, resubmit(,T) rather than resubmit:T, nw_proto=6 in learn). Run from the repository root."""
import os

OUT = "src/Antrea/Antrea2"
GVMAC = "aa:bb:cc:dd:ee:ff"
SVC_CIDR = "10.96.0.0/12"
VIRTUAL_SVC_IP = "169.254.0.253"       # config.VirtualServiceIPv4
VIRTUAL_NODEPORT_IP = "169.254.0.252"  # config.VirtualNodePortDNATIPv4
CT_ZONE, SNAT_CT_ZONE = 65520, 65521
CONTROLLER_ID = 62373                  # the ofctrl controller connection id (ovs-pipeline.md's)
PACKET_IN_RATE = 5000                  # antrea-agent's default packetInRate

# Antrea 2.x's table numbers for this feature set (generatePipeline: pipelineRoot, pipelineARP, pipelineIP in
# pipeline.go's order, only the tables an activated feature's getRequiredTables names). AntreaTables.cs has them too.
TABLES = ["PipelineRootClassifier", "ARPSpoofGuard", "ARPResponder", "Classifier", "SpoofGuard", "UnSNAT",
          "ConntrackZone", "ConntrackState", "PreRoutingClassifier", "NodePortMark", "SessionAffinity", "ServiceLB",
          "EndpointDNAT", "AntreaPolicyEgressRule", "EgressRule", "EgressDefaultRule", "EgressMetric", "L3Forwarding",
          "EgressMark", "L3DecTTL", "SNATMark", "SNAT", "L2ForwardingCalc", "IngressSecurityClassifier",
          "AntreaPolicyIngressRule", "IngressRule", "IngressDefaultRule", "IngressMetric", "ConntrackCommit", "Output"]

# cookie.ID: round 1 (the agent's first round) << 48 | category << 40 | object id.
def cookie(category, obj=0):
    return "0x%x" % ((1 << 48) | (category << 40) | obj)

DEFAULT, POD_CONNECTIVITY, NETWORK_POLICY, SERVICE, EGRESS = 0, 1, 2, 3, 4

NODES = [
    dict(name="worker1", ip="10.79.1.201", mac="00:50:56:8f:4e:82", uplink="ens160", cidr="10.222.1.0/24",
         gw=("antrea-gw0", 2, "10.222.1.1", "4e:99:08:c1:53:be"), tun=("antrea-tun0", 1, "f6:02:a1:20:ca:f3"),
         pods=[  # pod, ofport, OVS port, port MAC (host end of the veth), IP, MAC, labels
             ("default/backend1", 48, "backend1-bab86f", "9e:bf:dd:84:e6:90", "10.222.1.47", "f2:32:d8:07:e2:a6", {"role": "backend"}),
             ("default/frontend", 49, "frontend-a3ba2f", "e6:88:e2:ed:64:82", "10.222.1.48", "be:2c:bf:e4:ec:c5", {"role": "frontend"}),
         ]),
    dict(name="worker2", ip="10.79.1.202", mac="00:50:56:8f:1c:f6", uplink="ens160", cidr="10.222.2.0/24",
         gw=("antrea-gw0", 2, "10.222.2.1", "02:d8:4e:3f:92:1d"), tun=("antrea-tun0", 1, "d2:6e:97:16:97:5d"),
         pods=[
             ("default/backend2", 35, "backend2-202ff6", "e6:19:5f:2b:73:65", "10.222.2.34", "c6:f4:b5:76:10:38", {"role": "backend"}),
         ]),
]
UNDERLAY = [("10.79.1.1", "00:0c:29:fa:d8:a8"), ("10.79.1.5", "00:0c:29:de:2c:c9"), ("10.79.1.200", "00:50:56:8f:f7:65")]

# Services, in the order AntreaProxy allocates their groups (group id = ServiceGroupIDField, reg7).
SERVICES = [
    # name, cluster IP, port, node port, session affinity timeout (None: sessionAffinity None), selector, group
    ("default/backendsvc", "10.104.65.133", 80, None, None, "backend", 1),
    ("default/backendsvc-affinity", "10.104.65.140", 80, None, 10800, "backend", 2),
    ("default/frontendsvc", "10.108.240.18", 80, 30080, None, "frontend", 3),
]


def pods_with(role):
    return [(n, p) for n in NODES for p in n["pods"] if p[6].get("role") == role]


def ip_hex(ip):
    a, b, c, d = (int(x) for x in ip.split("."))
    return "0x%x" % ((a << 24) | (b << 16) | (c << 8) | d)


class Flows:
    def __init__(self):
        self.lines = []

    def add(self, category, table, priority, match, actions, obj=0):
        m = f"priority={priority}" + (f",{match}" if match else "")
        self.lines.append((TABLES.index(table), -priority, f"cookie={cookie(category, obj)}, table={table}, {m} actions={actions}"))

    def text(self):
        return "".join(l + "\n" for _, _, l in sorted(self.lines))


def node_flows(node):
    f = Flows()
    gw_name, gw_port, gw_ip, gw_mac = node["gw"]
    tun_name, tun_port, _ = node["tun"]
    peers = [n for n in NODES if n is not node]
    gw, tun = f'in_port="{gw_name}"', f'in_port="{tun_name}"'

    # pipelineDefaultFlows(false, false, isEncap=true, isIPv4=true): each table's miss flow, the next table (or drop).
    # The miss flows of SessionAffinity, L3Forwarding and EgressMark are replaced by the features' own priority-0 flows below.
    drop_tables = {"PipelineRootClassifier", "ARPSpoofGuard", "ARPResponder", "Classifier", "SpoofGuard", "Output"}
    replaced = {"SessionAffinity", "L3Forwarding", "EgressMark"}
    ip_tables = TABLES[3:]
    for i, t in enumerate(TABLES):
        if t in replaced:
            continue
        if t in drop_tables:
            f.add(DEFAULT, t, 0, "", "drop")
        elif t in ip_tables:
            f.add(DEFAULT, t, 0, "", f"goto_table:{ip_tables[ip_tables.index(t) + 1]}")
    f.add(DEFAULT, "PipelineRootClassifier", 200, "arp", "goto_table:ARPSpoofGuard")
    f.add(DEFAULT, "PipelineRootClassifier", 200, "ip", "goto_table:Classifier")

    # featurePodConnectivity.initFlows (podConnectivityInitFlows, encap, IPv4, Linux).
    P = POD_CONNECTIVITY
    f.add(P, "ARPSpoofGuard", 200, f"arp,{gw},arp_spa={gw_ip},arp_sha={gw_mac}", "goto_table:ARPResponder")
    f.add(P, "ARPResponder", 190, "arp", "NORMAL")
    f.add(P, "Classifier", 210, f"ip,{gw},nw_src={gw_ip}", "set_field:0x2/0xf->reg0,set_field:0x10000000/0x10000000->reg4,goto_table:SpoofGuard")
    f.add(P, "Classifier", 200, gw, "set_field:0x2/0xf->reg0,set_field:0x8000000/0x8000000->reg4,goto_table:SpoofGuard")
    f.add(P, "Classifier", 200, tun, "set_field:0x1/0xf->reg0,set_field:0x200/0x200->reg0,goto_table:UnSNAT")
    f.add(P, "SpoofGuard", 200, f"ip,{gw}", "goto_table:UnSNAT")
    f.add(P, "ConntrackZone", 200, "ip", f"ct(table=ConntrackState,zone={CT_ZONE},nat)")
    f.add(P, "ConntrackState", 200, "ct_state=+inv+trk,ip", "drop")
    f.add(P, "ConntrackState", 190, "ct_state=-new+trk,ct_mark=0/0x10,ip", "goto_table:AntreaPolicyEgressRule")
    f.add(P, "L3Forwarding", 210, f"ip,nw_dst={gw_ip}", f"set_field:{gw_mac}->eth_dst,set_field:0x20/0xf0->reg0,goto_table:L3DecTTL")
    f.add(P, "L3Forwarding", 210, "ct_state=+rpl+trk,ct_mark=0x2/0xf,ip", f"set_field:{gw_mac}->eth_dst,set_field:0x20/0xf0->reg0,goto_table:L3DecTTL")
    f.add(P, "L3Forwarding", 200, f"ip,reg0=0/0x200,nw_dst={node['cidr']}", "goto_table:L2ForwardingCalc")
    f.add(P, "L3Forwarding", 0, "", "set_field:0x20/0xf0->reg0,goto_table:L2ForwardingCalc")
    f.add(P, "L3DecTTL", 210, "ip,reg0=0x2/0xf", "goto_table:SNATMark")
    f.add(P, "L3DecTTL", 200, "ip", "dec_ttl,goto_table:SNATMark")
    f.add(P, "L2ForwardingCalc", 200, f"dl_dst={gw_mac}", f"set_field:{hex(gw_port)}->reg1,set_field:0x200000/0x600000->reg0,goto_table:IngressSecurityClassifier")
    f.add(P, "L2ForwardingCalc", 200, f"dl_dst={GVMAC}", f"set_field:{hex(tun_port)}->reg1,set_field:0x200000/0x600000->reg0,goto_table:IngressSecurityClassifier")
    f.add(P, "IngressSecurityClassifier", 210, "pkt_mark=0x80000000/0x80000000,ct_state=-rpl+trk,ip", "goto_table:ConntrackCommit")
    f.add(P, "ConntrackCommit", 200, "ct_state=+new+trk,ct_mark=0/0x20,ip",
          f"ct(commit,table=Output,zone={CT_ZONE},exec(move:NXM_NX_REG0[0..3]->NXM_NX_CT_MARK[0..3]))")
    f.add(P, "Output", 200, "reg0=0x200000/0x600000", "output:NXM_NX_REG1[]")

    # InstallPodFlows for each local Pod (Test_client_InstallPodFlows "IPv4").
    for _, ofport, port, _, ip, mac, _ in node["pods"]:
        pin = f'in_port="{port}"'
        f.add(P, "ARPSpoofGuard", 200, f"arp,{pin},arp_spa={ip},arp_sha={mac}", "goto_table:ARPResponder")
        f.add(P, "Classifier", 190, pin, "set_field:0x3/0xf->reg0,set_field:0x10000000/0x10000000->reg4,goto_table:SpoofGuard")
        f.add(P, "SpoofGuard", 200, f"ip,{pin},dl_src={mac},nw_src={ip}", "goto_table:UnSNAT")
        f.add(P, "L3Forwarding", 200, f"ip,reg0=0x200/0x200,nw_dst={ip}", f"set_field:{gw_mac}->eth_src,set_field:{mac}->eth_dst,goto_table:L3DecTTL")
        f.add(P, "L2ForwardingCalc", 200, f"dl_dst={mac}", f"set_field:{hex(ofport)}->reg1,set_field:0x200000/0x600000->reg0,goto_table:IngressSecurityClassifier")

    # InstallNodeFlows for each peer Node (Test_client_InstallNodeFlows "IPv4 Encap", no IPsec).
    for peer in peers:
        peer_gw = peer["gw"][2]
        f.add(P, "ARPResponder", 200, f"arp,arp_tpa={peer_gw},arp_op=1",
              f"move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:{GVMAC}->eth_src,set_field:2->arp_op,move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],"
              f"set_field:{GVMAC}->arp_sha,move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],set_field:{peer_gw}->arp_spa,IN_PORT")
        f.add(P, "L3Forwarding", 200, f"ip,nw_dst={peer['cidr']}",
              f"set_field:{gw_mac}->eth_src,set_field:{GVMAC}->eth_dst,set_field:{peer['ip']}->tun_dst,set_field:0x10/0xf0->reg0,goto_table:L3DecTTL")
        f.add(EGRESS, "EgressMark", 210, f"ip,nw_dst={peer['ip']}", "set_field:0x20/0xf0->reg0,goto_table:L2ForwardingCalc")

    # featureService.initFlows (serviceInitFlows(proxy, IPv4, proxyAll, no DSR)).
    S = SERVICE
    f.add(S, "UnSNAT", 200, f"ip,nw_dst={VIRTUAL_SVC_IP}", f"ct(table=ConntrackZone,zone={SNAT_CT_ZONE},nat)")
    f.add(S, "UnSNAT", 200, f"ip,nw_dst={gw_ip}", f"ct(table=ConntrackZone,zone={SNAT_CT_ZONE},nat)")
    f.add(S, "ConntrackState", 190, "ct_state=-new+trk,ct_mark=0x10/0x10,ip", "set_field:0x200/0x200->reg0,goto_table:AntreaPolicyEgressRule")
    f.add(S, "PreRoutingClassifier", 200, "ip", "resubmit(,NodePortMark),resubmit(,SessionAffinity),resubmit(,ServiceLB)")
    f.add(S, "NodePortMark", 200, f"ip,nw_dst={node['ip']}", "set_field:0x80000/0x80000->reg4")
    f.add(S, "NodePortMark", 200, f"ip,nw_dst={VIRTUAL_NODEPORT_IP}", "set_field:0x80000/0x80000->reg4")
    f.add(S, "SessionAffinity", 0, "", "set_field:0x10000/0x70000->reg4")
    f.add(S, "EndpointDNAT", 200, "reg0=0x4000/0x4000", f"controller(reason=no_match,id={CONTROLLER_ID},userdata=04)")
    f.add(S, "EndpointDNAT", 190, "reg4=0x20000/0x70000", "set_field:0x10000/0x70000->reg4,resubmit(,ServiceLB)")
    f.add(S, "L3Forwarding", 190, "ct_mark=0x10/0x10,reg0=0x202/0x20f", f"set_field:{gw_mac}->eth_dst,set_field:0x20/0xf0->reg0,goto_table:L3DecTTL")
    f.add(S, "SNATMark", 200, "ct_state=+new+trk,ip,reg0=0x22/0xff",
          f"ct(commit,table=SNAT,zone={CT_ZONE},exec(set_field:0x20/0x20->ct_mark,set_field:0x40/0x40->ct_mark,move:NXM_NX_REG0[0..3]->NXM_NX_CT_MARK[0..3]))")
    f.add(S, "SNATMark", 200, "ct_state=+new+trk,ip,reg0=0x12/0xff,reg4=0x200000/0x2200000",
          f"ct(commit,table=SNAT,zone={CT_ZONE},exec(set_field:0x20/0x20->ct_mark,move:NXM_NX_REG0[0..3]->NXM_NX_CT_MARK[0..3]))")
    f.add(S, "SNAT", 200, "ct_state=+new+trk,ct_mark=0x40/0x40,ip,reg0=0x2/0xf",
          f"ct(commit,table=L2ForwardingCalc,zone={SNAT_CT_ZONE},nat(src={VIRTUAL_SVC_IP}),exec(set_field:0x10/0x10->ct_mark,set_field:0x20/0x20->ct_mark,set_field:0x40/0x40->ct_mark))")
    f.add(S, "SNAT", 200, "ct_state=+new+trk,ct_mark=0x40/0x40,ip,reg0=0x3/0xf",
          f"ct(commit,table=L2ForwardingCalc,zone={SNAT_CT_ZONE},nat(src={gw_ip}),exec(set_field:0x10/0x10->ct_mark,set_field:0x20/0x20->ct_mark,set_field:0x40/0x40->ct_mark))")
    f.add(S, "SNAT", 200, "ct_state=-new-rpl+trk,ct_mark=0x20/0x20,ip", f"ct(table=L2ForwardingCalc,zone={SNAT_CT_ZONE},nat)")
    f.add(S, "SNAT", 190, "ct_state=+new+trk,ct_mark=0x20/0x20,ip,reg0=0x2/0xf",
          f"ct(commit,table=L2ForwardingCalc,zone={SNAT_CT_ZONE},nat(src={gw_ip}),exec(set_field:0x10/0x10->ct_mark,set_field:0x20/0x20->ct_mark))")
    f.add(S, "Output", 210, "ct_mark=0x40/0x40,reg0=0x200000/0x600000", "IN_PORT")

    # InstallServiceFlows per Service port (ClusterIP, NodePort on the virtual NodePort DNAT IP, session affinity's learn).
    for name, cip, port, node_port, affinity, _, group in SERVICES:
        state = "0x30000" if affinity else "0x20000"
        f.add(S, "ServiceLB", 200, f"tcp,reg4=0x10000/0x70000,nw_dst={cip},tp_dst={port}",
              f"set_field:0x200/0x200->reg0,set_field:{state}/0x70000->reg4,set_field:{hex(group)}->reg7,group:{group}")
        if node_port:
            f.add(S, "ServiceLB", 200, f"tcp,reg4=0x90000/0xf0000,tp_dst={node_port}",
                  f"set_field:0x200/0x200->reg0,set_field:{state}/0x70000->reg4,set_field:0x200000/0x200000->reg4,set_field:{hex(group)}->reg7,group:{group}")
        if affinity:
            c = cookie(SERVICE, group)
            f.add(S, "ServiceLB", 190, f"tcp,reg4=0x30000/0x70000,nw_dst={cip},tp_dst={port}",
                  f"learn(table=SessionAffinity,hard_timeout={affinity},priority=200,delete_learned,cookie={c},eth_type=0x800,nw_proto=6,"
                  "NXM_OF_TCP_DST[],NXM_OF_IP_DST[],NXM_OF_IP_SRC[],load:NXM_NX_REG4[0..15]->NXM_NX_REG4[0..15],load:NXM_NX_REG4[26]->NXM_NX_REG4[26],"
                  "load:NXM_NX_REG3[]->NXM_NX_REG3[],load:0x2->NXM_NX_REG4[16..18],load:0x1->NXM_NX_REG0[9]),set_field:0x20000/0x70000->reg4,goto_table:EndpointDNAT",
                  obj=group)

    # InstallEndpointFlows: one DNAT flow per Endpoint (IP, port, protocol) of any Service, a hairpin SNAT mark per local one.
    endpoints = sorted({(p[4], port) for _, _, port, _, _, sel, _ in SERVICES for _, p in pods_with(sel)})
    local_ips = {p[4] for p in node["pods"]}
    for ip, port in endpoints:
        f.add(S, "EndpointDNAT", 200, f"tcp,reg3={ip_hex(ip)},reg4={hex(0x20000 | port)}/0x7ffff",
              f"ct(commit,table=AntreaPolicyEgressRule,zone={CT_ZONE},nat(dst={ip}:{port}),exec(set_field:0x10/0x10->ct_mark))")
    for ip in sorted({ip for ip, _ in endpoints} & local_ips):
        f.add(S, "SNATMark", 190, f"ct_state=+new+trk,ip,nw_src={ip},nw_dst={ip}",
              f"ct(commit,table=SNAT,zone={CT_ZONE},exec(set_field:0x20/0x20->ct_mark,set_field:0x40/0x40->ct_mark,move:NXM_NX_REG0[0..3]->NXM_NX_CT_MARK[0..3]))")

    # featureEgress.initFlows (egressInitFlows: externalFlows, no exceptCIDRs) and InstallSNATBypassServiceFlows.
    E = EGRESS
    f.add(E, "L3Forwarding", 190, "ct_state=-rpl+trk,ip,reg0=0x3/0xf,reg4=0/0x100000", "goto_table:EgressMark")
    f.add(E, "L3Forwarding", 190, "ct_state=-rpl+trk,ip,reg0=0x1/0xf", f"set_field:{gw_mac}->eth_dst,goto_table:EgressMark")
    f.add(E, "EgressMark", 210, f"ip,nw_dst={node['ip']}", "set_field:0x20/0xf0->reg0,goto_table:L2ForwardingCalc")
    f.add(E, "EgressMark", 210, f"ip,nw_dst={SVC_CIDR}", "set_field:0x20/0xf0->reg0,goto_table:L2ForwardingCalc")
    f.add(E, "EgressMark", 190, "ct_state=+new+trk,ip,reg0=0x1/0xf", "drop")
    f.add(E, "EgressMark", 0, "", "set_field:0x20/0xf0->reg0,goto_table:L2ForwardingCalc")

    # featureNetworkPolicy.initFlows (networkPolicyInitFlows with OVS meters, K8s Node; proxyAll's NodePort classifier).
    N = NETWORK_POLICY
    f.add(N, "IngressSecurityClassifier", 201, "reg4=0x80000/0x80000", "goto_table:AntreaPolicyIngressRule")
    for mark in ("0x20", "0x10", "0x40"):
        f.add(N, "IngressSecurityClassifier", 200, f"reg0={mark}/0xf0", "goto_table:IngressMetric")
    f.add(N, "IngressSecurityClassifier", 200, "ct_mark=0x40/0x40", "goto_table:ConntrackCommit")
    for st in ("-new+est", "-new+rel"):
        f.add(N, "AntreaPolicyEgressRule", 64990, f"ct_state={st},ip", "goto_table:EgressMetric")
        f.add(N, "AntreaPolicyIngressRule", 64990, f"ct_state={st},ip", "goto_table:IngressMetric")
    for op in range(1, 8):  # PacketInOperationField values 1..7 (reg0[25..32]) with OutputToControllerRegMark
        f.add(N, "Output", 200, f"reg0={hex((op << 25) | 0x400000)}/0xfe600000",
              f"meter:256,controller(reason=no_match,id={CONTROLLER_ID},userdata=01.{op:02x})")

    for line in policy_flows(node):
        f.add(N, *line)
    return f.text()


def policy_flows(node):
    """The seed's two K8s NetworkPolicies as Antrea 2.x installs them on this Node: rules are realized where their
    appliedTo Pods run, conj ids come from the agent's own allocator (1, 2, ... in the order the rules arrive)."""
    local = {p[0]: p for p in node["pods"]}
    frontend, backends = pods_with("frontend"), pods_with("backend")
    rules = []  # (direction, appliedTo pods here, peers (IPs or None: any), port (proto, port))
    if "default/frontend" in local:
        fe = [local["default/frontend"]]
        rules.append(("egress", fe, [p[4] for _, p in backends], ("tcp", 80)))
        rules.append(("egress", fe, None, ("udp", 53)))
        rules.append(("ingress", fe, None, ("tcp", 80)))
    be_here = [p for k, p in local.items() if p[6].get("role") == "backend"]
    if be_here:
        rules.append(("ingress", be_here, [p[4] for _, p in frontend], ("tcp", 80)))
    # Egress isolation: frontendpolicy (Egress rules) and backendpolicy (Egress, no rule) both isolate their Pods.
    egress_isolated = [p for p in node["pods"] if p[6].get("role") in ("frontend", "backend")]
    ingress_isolated = egress_isolated

    out = []
    conj = {}  # (table, priority, match) -> [conjunction actions]

    def dim(table, match, action):
        conj.setdefault((table, 200, match), []).append(action)

    for i, (direction, applied, peers, (proto, port)) in enumerate(rules, start=1):
        if direction == "egress":
            table, metric = "EgressRule", "EgressMetric"
            for p in applied:
                dim(table, f"ip,nw_src={p[4]}", f"conjunction({i},1/3)")
            for ip in peers or [None]:
                dim(table, f"ip,nw_dst={ip}" if ip else "ip", f"conjunction({i},2/3)")
            label = f"set_field:{hex(i << 32)}/0xffffffff00000000->ct_label"
            out.append((table, 190, f"conj_id={i},ip", f"set_field:{hex(i)}->reg5,ct(commit,table={metric},zone={CT_ZONE},exec({label}))"))
            for st in ("+new", "-new"):
                out.append((metric, 200, f"ct_state={st},ct_label={hex(i << 32)}/0xffffffff00000000,ip", "goto_table:L3Forwarding"))
        else:
            table, metric = "IngressRule", "IngressMetric"
            for ip in peers or [None]:
                dim(table, f"ip,nw_src={ip}" if ip else "ip", f"conjunction({i},1/3)")
            for p in applied:
                dim(table, f"reg1={hex(p[1])}", f"conjunction({i},2/3)")
            label = f"set_field:{hex(i)}/0xffffffff->ct_label"
            out.append((table, 190, f"conj_id={i},ip", f"set_field:{hex(i)}->reg6,ct(commit,table={metric},zone={CT_ZONE},exec({label}))"))
            for st in ("+new", "-new"):
                out.append((metric, 200, f"ct_state={st},ct_label={hex(i)}/0xffffffff,ip", "goto_table:ConntrackCommit"))
        dim(table, f"{proto},tp_dst={port}", f"conjunction({i},3/3)")
    for (table, prio, match), actions in conj.items():
        out.append((table, prio, match, ",".join(actions)))
    for p in egress_isolated:
        out.append(("EgressDefaultRule", 200, f"ip,nw_src={p[4]}", "drop"))
    for p in ingress_isolated:
        out.append(("IngressDefaultRule", 200, f"reg1={hex(p[1])}", "drop"))
    return out


def node_groups(node):
    lines = []
    for name, cip, port, node_port, affinity, sel, group in SERVICES:
        buckets = []
        for i, (n, p) in enumerate(sorted(pods_with(sel), key=lambda np: tuple(int(x) for x in np[1][4].split(".")))):
            remote = "" if n is node else "set_field:0x4000000/0x4000000->reg4,"  # RemoteEndpointRegMark
            back = "ServiceLB" if affinity else "EndpointDNAT"
            buckets.append(f"bucket=bucket_id:{i},weight:100,actions={remote}set_field:{ip_hex(p[4])}->reg3,set_field:{hex(port)}/0xffff->reg4,resubmit(,{back})")
        lines.append(f"group_id={group},type=select," + ",".join(buckets))
    return "".join(l + "\n" for l in lines)


def meters():
    return "".join(f"meter={m},pktps,burst,bands=type=drop,rate={PACKET_IN_RATE},burst_size={2 * PACKET_IN_RATE}\n" for m in (256, 257, 258))


def iptables(node):
    gw_name = node["gw"][0]
    return f"""# iptables-save on {node['name']}: the chains Antrea 2.x's route client writes (pkg/agent/route/route_linux.go,
# syncIPTables and restoreIptablesData) with antreaProxy.proxyAll on, encap GENEVE, no kube-proxy, no Egress IPs.
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:ANTREA-OUTPUT - [0:0]
:ANTREA-PREROUTING - [0:0]
-A PREROUTING -m comment --comment "Antrea: jump to Antrea prerouting rules" -j ANTREA-PREROUTING
-A OUTPUT -m comment --comment "Antrea: jump to Antrea output rules" -j ANTREA-OUTPUT
-A ANTREA-OUTPUT -o {gw_name} -m comment --comment "Antrea: mark LOCAL output packets" -m addrtype --src-type LOCAL -j MARK --set-xmark 0x80000000/0x80000000
COMMIT
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:ANTREA-OUTPUT - [0:0]
:ANTREA-PREROUTING - [0:0]
-A PREROUTING -m comment --comment "Antrea: jump to Antrea prerouting rules" -j ANTREA-PREROUTING
-A OUTPUT -m comment --comment "Antrea: jump to Antrea output rules" -j ANTREA-OUTPUT
# Antrea also writes five NOTRACK rules here (`-j CT --notrack`: GENEVE UDP 6081 to and from LOCAL addresses, and
# traffic to and from the ANTREA-EXTERNAL-IP set). This datapath's netfilter has no CT target yet; none of them
# changes a packet of this lab (the bridge's tunnel frames do not pass the host stack, the set is empty).
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:ANTREA-FORWARD - [0:0]
:ANTREA-INPUT - [0:0]
:ANTREA-OUTPUT - [0:0]
-A INPUT -m comment --comment "Antrea: jump to Antrea input rules" -j ANTREA-INPUT
-A FORWARD -m comment --comment "Antrea: jump to Antrea forwarding rules" -j ANTREA-FORWARD
-A OUTPUT -m comment --comment "Antrea: jump to Antrea output rules" -j ANTREA-OUTPUT
-A ANTREA-FORWARD -i {gw_name} -m comment --comment "Antrea: accept packets from local Pods" -j ACCEPT
-A ANTREA-FORWARD -o {gw_name} -m comment --comment "Antrea: accept packets to local Pods" -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:ANTREA-OUTPUT - [0:0]
:ANTREA-POSTROUTING - [0:0]
:ANTREA-PREROUTING - [0:0]
-A PREROUTING -m comment --comment "Antrea: jump to Antrea prerouting rules" -j ANTREA-PREROUTING
-A OUTPUT -m comment --comment "Antrea: jump to Antrea output rules" -j ANTREA-OUTPUT
-A POSTROUTING -m comment --comment "Antrea: jump to Antrea postrouting rules" -j ANTREA-POSTROUTING
-A ANTREA-OUTPUT -m comment --comment "Antrea: DNAT local to NodePort packets" -m set --match-set ANTREA-NODEPORT-IP dst,dst -j DNAT --to-destination {VIRTUAL_NODEPORT_IP}
-A ANTREA-POSTROUTING -s {node['cidr']} ! -o {gw_name} -m comment --comment "Antrea: masquerade Pod to external packets" -m set ! --match-set ANTREA-POD-IP dst -j MASQUERADE
-A ANTREA-POSTROUTING -o {gw_name} -m comment --comment "Antrea: masquerade LOCAL traffic" -m addrtype ! --src-type LOCAL --limit-iface-out -m addrtype --src-type LOCAL -j MASQUERADE --random-fully
-A ANTREA-POSTROUTING -s {VIRTUAL_SVC_IP}/32 -m comment --comment "Antrea: masquerade OVS virtual source IP" -j MASQUERADE
-A ANTREA-PREROUTING -m comment --comment "Antrea: DNAT external to NodePort packets" -m set --match-set ANTREA-NODEPORT-IP dst,dst -j DNAT --to-destination {VIRTUAL_NODEPORT_IP}
COMMIT
"""


def ipsets(node):
    lines = ["create ANTREA-POD-IP hash:net family inet hashsize 1024 maxelem 65536"]
    lines += [f"add ANTREA-POD-IP {n['cidr']}" for n in NODES]
    lines.append("create ANTREA-NODEPORT-IP hash:ip,port family inet hashsize 1024 maxelem 65536")
    lines += [f"add ANTREA-NODEPORT-IP {node['ip']},tcp:{np}" for _, _, _, np, _, _, _ in SERVICES if np]
    lines.append("create ANTREA-EXTERNAL-IP hash:ip family inet hashsize 1024 maxelem 65536")
    return "".join(l + "\n" for l in lines)


def cluster_yaml():
    y = ["""# The Antrea 2.x lab (`--lab antrea-2`; written by scripts/antrea2-lab.py): the seed lab's two workers, their Pods,
# addresses, MACs and ofports, laid out in the pipeline Antrea v2.7.0 realizes with this feature set:
#   Antrea 2.x defaults (AntreaProxy, AntreaPolicy, Egress, PacketIn meters) plus antreaProxy.proxyAll (no kube-proxy:
#   NodePort through 169.254.0.252), IPv4 only, encap GENEVE (tunnelCsum false), no TrafficControl, L7NetworkPolicy,
#   Multicast, EgressTrafficShaping or LoadBalancerModeDSR.
# Flows, groups and meters are what `ovs-ofctl dump-flows/dump-groups br-int --names --no-stats` and `ovs-ofctl -O
# OpenFlow13 dump-meters` print on such a node; the hosts' iptables are Antrea's own ANTREA-* chains.
# Services: backendsvc (ClusterIP, both backends), backendsvc-affinity (sessionAffinity: ClientIP, 10800 s),
# frontendsvc (NodePort 30080 -> the frontend); NetworkPolicies: the seed's frontendpolicy and backendpolicy.
cluster:
  podCIDR: 10.222.0.0/16
  serviceCIDR: 10.96.0.0/12
  globalVirtualMAC: aa:bb:cc:dd:ee:ff
  tunnel: { type: geneve, udpPort: 6081, vni: 0, csum: false }
  ctZone: 65520
nodes:"""]
    for n in NODES:
        gw_name, gw_port, gw_ip, gw_mac = n["gw"]
        tun_name, tun_port, tun_mac = n["tun"]
        peers = [p for p in NODES if p is not n]
        y.append(f"""  - name: {n['name']}
    nodeIP: {n['ip']}
    nodeMAC: {n['mac']}
    uplink: {n['uplink']}
    podCIDR: {n['cidr']}
    gateway: {{ name: {gw_name}, ofport: {gw_port}, ip: {gw_ip}/24, mac: {gw_mac}, mtu: 1450 }}
    tunnel: {{ name: {tun_name}, ofport: {tun_port}, mac: {tun_mac} }}
    pods:""")
        for pod, ofport, port, port_mac, ip, mac, labels in n["pods"]:
            lab = ", ".join(f"{k}: {v}" for k, v in labels.items())
            y.append(f"      - {{ pod: {pod}, ofport: {ofport}, port: {port}, portMAC: {port_mac}, ip: {ip}, mac: {mac}, labels: {{ {lab} }} }}")
        y.append("    routes:   # the Node route controller's and AntreaProxy's routes (proxyAll)")
        net = n["ip"].rsplit(".", 1)[0] + ".0/24"
        y.append(f"      - default via 10.79.1.1 dev {n['uplink']} proto static")
        y.append(f"      - {net} dev {n['uplink']} proto kernel scope link src {n['ip']}")
        y.append(f"      - {n['cidr']} dev {gw_name} proto kernel scope link src {gw_ip}")
        for p in peers:
            y.append(f"      - {p['cidr']} via {p['gw'][2]} dev {gw_name} onlink")
        y.append(f"      - {SVC_CIDR} via {VIRTUAL_SVC_IP} dev {gw_name}")
        y.append(f"      - {VIRTUAL_NODEPORT_IP} via {VIRTUAL_SVC_IP} dev {gw_name}")
        y.append(f"      - {VIRTUAL_SVC_IP} dev {gw_name} scope link")
        y.append("    neighbors:  # the virtual Service IP's permanent entry; the uplink's; peer gateways are ARPed (ARPResponder)")
        y.append(f"      - {{ ip: {VIRTUAL_SVC_IP}, mac: {GVMAC}, dev: {gw_name} }}")
        for ip, mac in UNDERLAY + [(p["ip"], p["mac"]) for p in peers]:
            y.append(f"      - {{ ip: {ip}, mac: {mac}, dev: {n['uplink']} }}")
        y.append(f"""    flows: {n['name']}.flows
    groups: {n['name']}.groups
    meters: {n['name']}.meters
    tables: antrea-2   # br-int's Flow_Table names, as the agent names them
    iptables: {n['name']}.iptables
    ipsets: {n['name']}.ipsets""")
    y.append("services:")
    for name, cip, port, node_port, affinity, sel, group in SERVICES:
        eps = ", ".join(f"{p[4]}:{port}" for _, p in pods_with(sel))
        np = f", nodePort: {node_port}" if node_port else ""
        y.append(f"  - {{ name: {name}, clusterIP: {cip}, port: {port}{np}, protocol: TCP, endpoints: [{eps}] }}")
    return "\n".join(y) + "\n"


def manifests():
    docs = []
    for n in NODES:
        for pod, _, _, _, _, _, labels in n["pods"]:
            ns, name = pod.split("/")
            lab = ", ".join(f"{k}: {v}" for k, v in labels.items())
            docs.append(f"apiVersion: v1\nkind: Pod\nmetadata: {{ name: {name}, labels: {{ {lab} }} }}\nspec:\n"
                        f"  containers: [ {{ image: dumlutimuralp/networktest, name: {name} }} ]\n  nodeName: {n['name']}")
    docs[0] = "# The seed's test application (three Pods, the two NetworkPolicies) with the Antrea 2.x lab's Services.\n" + docs[0]
    for name, cip, port, node_port, affinity, sel, group in SERVICES:
        ns, n = name.split("/")
        spec = [f"  clusterIP: {cip}", f"  ports: [ {{ port: {port}, protocol: TCP, targetPort: 80{', nodePort: %d' % node_port if node_port else ''} }} ]",
                f"  selector: {{ role: {sel} }}", f"  type: {'NodePort' if node_port else 'ClusterIP'}"]
        if affinity:
            spec += ["  sessionAffinity: ClientIP", f"  sessionAffinityConfig: {{ clientIP: {{ timeoutSeconds: {affinity} }} }}"]
        docs.append(f"apiVersion: v1\nkind: Service\nmetadata: {{ name: {n}, namespace: {ns} }}\nspec:\n" + "\n".join(spec))
    docs.append("""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: frontendpolicy, namespace: default }
spec:
  podSelector: { matchLabels: { role: frontend } }
  policyTypes: [ Egress, Ingress ]
  egress:
  - to: [ { podSelector: { matchLabels: { role: backend } } } ]
    ports: [ { protocol: TCP, port: 80 } ]
  - ports: [ { protocol: UDP, port: 53 } ]
  ingress:
  - ports: [ { protocol: TCP, port: 80 } ]""")
    docs.append("""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: backendpolicy, namespace: default }
spec:
  podSelector: { matchLabels: { role: backend } }
  policyTypes: [ Ingress, Egress ]
  ingress:
  - from: [ { podSelector: { matchLabels: { role: frontend } } } ]
    ports: [ { protocol: TCP, port: 80 } ]""")
    return "\n---\n".join(docs) + "\n"


def write(name, text):
    with open(os.path.join(OUT, name), "w") as fh:
        fh.write(text)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    write("cluster.yaml", cluster_yaml())
    write("manifests.yaml", manifests())
    for node in NODES:
        write(f"{node['name']}.flows", node_flows(node))
        write(f"{node['name']}.groups", node_groups(node))
        write(f"{node['name']}.meters", meters())
        write(f"{node['name']}.iptables", iptables(node))
        write(f"{node['name']}.ipsets", ipsets(node))
