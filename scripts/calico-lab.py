#!/usr/bin/env python3
"""Writes the embedded Calico lab (src/Antrea/Calico/): cluster.yaml, each node's iptables-save and the
ipsets, for a three-node RKE2-style cluster with Calico v3.26 (VXLAN) and kube-proxy in iptables mode, the
cluster of the Calico seeds: podinfo's Service (two endpoints on 9898, the seed's addresses and chain names),
backend-service (three endpoints on 8000), kube-dns and kubernetes. Chain names are kube-proxy's
(KUBE-SVC-/KUBE-SEP- + base32(sha256(...))[:16]) and veth names Calico's (cali + sha1(ns.pod)[:11]), so
they are the ones the real components would make for these objects. Run from the repository root."""
import base64, hashlib, os

OUT = "src/Antrea/Calico"
POD_CIDR, SVC_CIDR = "10.42.0.0/16", "10.43.0.0/16"
VNI, VXLAN_PORT = 4096, 4789
ROUTER = ("192.168.1.1", "00:1a:2b:3c:4d:01")

NODES = [
    # name, node IP, uplink MAC, block, vxlan.calico address, vxlan MAC
    ("master", "192.168.1.87", "52:54:00:3a:6c:87", "10.42.217.64/26", "10.42.217.65", "66:2f:1b:a4:7c:01"),
    ("worker1", "192.168.1.88", "52:54:00:3a:6c:88", "10.42.135.128/26", "10.42.135.130", "66:85:d4:1e:92:3b"),
    ("worker2", "192.168.1.89", "52:54:00:3a:6c:89", "10.42.54.192/26", "10.42.54.193", "66:f8:2d:91:be:9a"),
]
PODS = [
    # node, namespace/name, IP, MAC inside the pod, labels
    ("master", "podinfo/frontend-podinfo-7854c7cd4c-q8wz2", "10.42.217.66", "9a:3c:51:0e:77:21", {"app.kubernetes.io/name": "frontend-podinfo"}),
    ("master", "kube-system/coredns-6799fbcd5-x7k2m", "10.42.217.67", "b2:14:6f:c8:09:5d", {"k8s-app": "kube-dns"}),
    ("master", "default/simple-deployment-794f78c89-x4tzb", "10.42.217.68", "c6:7e:20:93:ad:42", {"app": "simple-deployment"}),
    ("worker1", "default/simple-deployment-794f78c89-q6k4p", "10.42.135.131", "d2:4b:8a:17:e3:60", {"app": "simple-deployment"}),
    ("worker1", "default/debug", "10.42.135.132", "ae:91:c2:5b:08:7f", {"run": "debug"}),
    ("worker2", "podinfo/frontend-podinfo-7854c7cd4c-jvdx5", "10.42.54.194", "5e:a8:33:f1:6c:04", {"app.kubernetes.io/name": "frontend-podinfo"}),
    ("worker2", "default/simple-deployment-794f78c89-4646m", "10.42.54.195", "7a:02:d9:4e:b5:18", {"app": "simple-deployment"}),
    ("worker2", "kube-system/coredns-6799fbcd5-m9t4d", "10.42.54.196", "e2:6d:05:a9:31:cc", {"k8s-app": "kube-dns"}),
]
SERVICES = [
    # port name as kube-proxy writes it, cluster IP, port, protocol, endpoints (IP:port)
    ("default/kubernetes:https", "10.43.0.1", 443, "tcp", ["192.168.1.87:6443"]),
    ("kube-system/kube-dns:dns", "10.43.0.10", 53, "udp", ["10.42.217.67:53", "10.42.54.196:53"]),
    ("kube-system/kube-dns:dns-tcp", "10.43.0.10", 53, "tcp", ["10.42.217.67:53", "10.42.54.196:53"]),
    ("kube-system/kube-dns:metrics", "10.43.0.10", 9153, "tcp", ["10.42.217.67:9153", "10.42.54.196:9153"]),
    ("podinfo/frontend-podinfo:http", "10.43.156.98", 9898, "tcp", ["10.42.217.66:9898", "10.42.54.194:9898"]),
    ("default/backend-service", "10.43.199.177", 8000, "tcp", ["10.42.135.131:8000", "10.42.217.68:8000", "10.42.54.195:8000"]),
]


def b32(text):
    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:16]


def svc_chain(name, proto):
    return "KUBE-SVC-" + b32(name + proto)


def sep_chain(name, proto, ep):
    return "KUBE-SEP-" + b32(name + proto + ep)


def veth(pod):
    ns, name = pod.split("/")
    return "cali" + hashlib.sha1(f"{ns}.{name}".encode()).hexdigest()[:11]


def cali_id(*parts):
    """A Calico rule id: 16 characters of URL-safe base64 of a hash of the rule (Calico hashes the chain and rule)."""
    return base64.urlsafe_b64encode(hashlib.sha224("|".join(parts).encode()).digest()).decode()[:16]


def cali(chain, rule, seed_id=None):
    return f'-A {chain} -m comment --comment "cali:{seed_id or cali_id(chain, rule)}" {rule}' if not rule.startswith("-i ") and not rule.startswith("-o ") and not rule.startswith("-p ") \
        else f'-A {chain} {rule.split(" ", 2)[0]} {rule.split(" ", 2)[1]} -m comment --comment "cali:{seed_id or cali_id(chain, rule)}" {rule.split(" ", 2)[2]}'


def probability(i, n):
    """kube-proxy's 1/(n-i), as the kernel stores it (a 31-bit fraction) and iptables-save prints it (%.11f)."""
    p = 1.0 / (n - i)
    stored = round(p * 0x80000000)  # libxt_statistic: lround(0x80000000 * p)
    return f"{stored / 0x80000000:.11f}"


def nat(node):
    chains = ["DOCKER", "KUBE-KUBELET-CANARY", "KUBE-MARK-MASQ", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-PROXY-CANARY"]
    rules = [
        '-A PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" -j cali-PREROUTING',
        '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
        '-A OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT',
        '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER',
        '-A POSTROUTING -m comment --comment "cali:O3lYWMrLQYEMJtB5" -j cali-POSTROUTING',
        '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
        '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
        '-A DOCKER -i docker0 -j RETURN',
        '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
        '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
        '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
        '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]
    services, sep_rules, svc_rules = [], [], []
    for name, cip, port, proto, eps in SERVICES:
        svc = svc_chain(name, proto)
        chains.append(svc)
        services.append(f'-A KUBE-SERVICES -d {cip}/32 -p {proto} -m comment --comment "{name} cluster IP" -m {proto} --dport {port} -j {svc}')
        svc_rules.append(f'-A {svc} ! -s {POD_CIDR} -d {cip}/32 -p {proto} -m comment --comment "{name} cluster IP" -m {proto} --dport {port} -j KUBE-MARK-MASQ')
        for i, ep in enumerate(eps):
            sep = sep_chain(name, proto, ep)
            chains.append(sep)
            stat = f" -m statistic --mode random --probability {probability(i, len(eps))}" if i < len(eps) - 1 else ""
            svc_rules.append(f'-A {svc} -m comment --comment "{name} -> {ep}"{stat} -j {sep}')
            sep_rules.append(f'-A {sep} -s {ep.split(":")[0]}/32 -m comment --comment "{name}" -j KUBE-MARK-MASQ')
            sep_rules.append(f'-A {sep} -p {proto} -m comment --comment "{name}" -m {proto} -j DNAT --to-destination {ep}')
    services.append('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')
    chains.append("KUBE-SERVICES")
    chains += ["cali-OUTPUT", "cali-POSTROUTING", "cali-PREROUTING", "cali-fip-dnat", "cali-fip-snat", "cali-nat-outgoing"]
    calico = [
        '-A cali-OUTPUT -m comment --comment "cali:GBTAv2p5CwevEyJm" -j cali-fip-dnat',
        '-A cali-POSTROUTING -m comment --comment "cali:Z-c7XtVd2Bq7s_hA" -j cali-fip-snat',
        '-A cali-POSTROUTING -m comment --comment "cali:nYKhEzDlr11Jccal" -j cali-nat-outgoing',
        '-A cali-POSTROUTING -o vxlan.calico -m comment --comment "cali:e9dnSgSVNmIcpVhP" -m addrtype ! --src-type LOCAL --limit-iface-out -m addrtype --src-type LOCAL -j MASQUERADE --random-fully',
        '-A cali-PREROUTING -m comment --comment "cali:r6XmIziWUJsdOK6Z" -j cali-fip-dnat',
        '-A cali-nat-outgoing -m comment --comment "cali:flqWnvo8yq4ULQLa" -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully',
    ]
    return table("nat", ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"], chains, rules + sep_rules + services + svc_rules + calico)


def filter_(node):
    pods = [p for p in PODS if p[0] == node]
    chains = ["KUBE-EXTERNAL-SERVICES", "KUBE-FIREWALL", "KUBE-FORWARD", "KUBE-KUBELET-CANARY", "KUBE-NODEPORTS", "KUBE-PROXY-CANARY",
              "KUBE-PROXY-FIREWALL", "KUBE-SERVICES", "cali-FORWARD", "cali-INPUT", "cali-OUTPUT", "cali-from-hep-forward",
              "cali-from-host-endpoint", "cali-from-wl-dispatch", "cali-to-hep-forward", "cali-to-host-endpoint", "cali-to-wl-dispatch",
              "cali-wl-to-host", "cali-pri-kns.default", "cali-pri-kns.kube-system", "cali-pri-kns.podinfo",
              "cali-pro-kns.default", "cali-pro-kns.kube-system", "cali-pro-kns.podinfo"]
    rules = [
        '-A INPUT -m comment --comment "cali:Cz_u1IQiXIMmKD4c" -j cali-INPUT',
        '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
        '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
        '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
        '-A INPUT -j KUBE-FIREWALL',
        '-A FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD',
        '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
        '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
        '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
        '-A FORWARD -m comment --comment "cali:S93hcgKJrXEqnTfs" -m comment --comment "Policy explicitly accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT',
        '-A FORWARD -m comment --comment "cali:mp77cMpurHhyjLrM" -j MARK --set-xmark 0x10000/0x10000',
        '-A OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT',
        '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
        '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A OUTPUT -j KUBE-FIREWALL',
        '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
        '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
        '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
        '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ]
    c = []
    c.append(cali("cali-FORWARD", "-j MARK --set-xmark 0x0/0xe0000", "vjrMJCRpqwy5oRoX"))
    c.append(cali("cali-FORWARD", "-m mark --mark 0x0/0x10000 -j cali-from-hep-forward", "A_sPAO0mcxbT9mOV"))
    c.append(cali("cali-FORWARD", "-i cali+ -j cali-from-wl-dispatch", "8ZoYfO5HKXWbB3pk"))
    c.append(cali("cali-FORWARD", "-o cali+ -j cali-to-wl-dispatch", "jdEuaPBe14V2hutn"))
    c.append(cali("cali-FORWARD", "-j cali-to-hep-forward", "12bc6HljsMKsmfr-"))
    c.append(cali("cali-INPUT", '-p udp -m comment --comment "Allow IPv4 VXLAN packets from allowed hosts" -m multiport --dports 4789 -m set --match-set cali40all-vxlan-net src -m addrtype --dst-type LOCAL -j ACCEPT', "J76FwxInZIsk7uKY"))
    c.append(cali("cali-INPUT", '-p udp -m comment --comment "Drop IPv4 VXLAN packets from non-allowed hosts" -m multiport --dports 4789 -m addrtype --dst-type LOCAL -j DROP', "4cgmbdWsLmozYhJh"))
    c.append(cali("cali-INPUT", "-i cali+ -g cali-wl-to-host", "t45BUBhpu3Wsmi1_"))
    c.append(cali("cali-INPUT", "-m mark --mark 0x10000/0x10000 -j ACCEPT", "NOmsycyknYZaGOFf"))
    c.append(cali("cali-INPUT", "-j MARK --set-xmark 0x0/0xf0000", "Or0B7eoenKO2p8Bf"))
    c.append(cali("cali-INPUT", "-j cali-from-host-endpoint", "AmIfvPGG2lYUK6mj"))
    c.append(cali("cali-INPUT", '-m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT', "79fWWn1SpufdO7SE"))
    c.append(cali("cali-OUTPUT", "-m mark --mark 0x10000/0x10000 -j ACCEPT", "Mq1_rAdXXH3YkrzW"))
    c.append(cali("cali-OUTPUT", "-o cali+ -j RETURN", "69FkRTJDvD5Vu6Vl"))
    c.append(cali("cali-OUTPUT", "-j MARK --set-xmark 0x0/0xf0000", "iC1pSPgbvgQzkUk_"))
    c.append(cali("cali-OUTPUT", "-m conntrack ! --ctstate DNAT -j cali-to-host-endpoint", "1F4VWEsQu0QbRwKf"))
    c.append(cali("cali-OUTPUT", '-m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT', "m8Eqm15x1MjD24LO"))
    c.append(cali("cali-wl-to-host", "-j cali-from-wl-dispatch", "Ee9Sbo10IpVujdIY"))
    c.append(cali("cali-wl-to-host", '-m comment --comment "Configured DefaultEndpointToHostAction" -j ACCEPT', "nSZbcOoG1xPONxb8"))
    for ns in ["default", "kube-system", "podinfo"]:
        for chain in [f"cali-pri-kns.{ns}", f"cali-pro-kns.{ns}"]:
            c.append(cali(chain, "-j MARK --set-xmark 0x10000/0x10000"))
            c.append(cali(chain, "-m mark --mark 0x10000/0x10000 -j RETURN"))
    for _, pod, ip, mac, _ in pods:
        dev, ns = veth(pod), pod.split("/")[0]
        fw, tw = f"cali-fw-{dev}", f"cali-tw-{dev}"
        chains += [fw, tw]
        c.append(cali("cali-from-wl-dispatch", f"-i {dev} -g {fw}"))
        c.append(cali("cali-to-wl-dispatch", f"-o {dev} -g {tw}"))
        for chain, profile in [(fw, f"cali-pro-kns.{ns}"), (tw, f"cali-pri-kns.{ns}")]:
            c.append(cali(chain, "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"))
            c.append(cali(chain, "-m conntrack --ctstate INVALID -j DROP"))
            c.append(cali(chain, "-j MARK --set-xmark 0x0/0x10000"))
            if chain == fw:
                c.append(cali(chain, '-p udp -m comment --comment "Drop VXLAN encapped packets originating in workloads" -m multiport --dports 4789 -j DROP'))
            c.append(cali(chain, f"-j {profile}"))
            c.append(cali(chain, '-m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN'))
            c.append(cali(chain, '-m comment --comment "Drop if no profiles matched" -j DROP'))
    c.append(cali("cali-from-wl-dispatch", '-m comment --comment "Unknown interface" -j DROP'))
    c.append(cali("cali-to-wl-dispatch", '-m comment --comment "Unknown interface" -j DROP'))
    return table("filter", ["INPUT", "FORWARD", "OUTPUT"], chains, rules + c)


def mangle(node):
    chains = ["KUBE-IPTABLES-HINT", "KUBE-KUBELET-CANARY", "KUBE-PROXY-CANARY", "cali-POSTROUTING", "cali-PREROUTING", "cali-from-host-endpoint", "cali-to-host-endpoint"]
    rules = [
        '-A PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" -j cali-PREROUTING',
        '-A POSTROUTING -m comment --comment "cali:O3lYWMrLQYEMJtB5" -j cali-POSTROUTING',
        cali("cali-POSTROUTING", "-m mark --mark 0x10000/0x10000 -j RETURN", "NX-7roTexQ3fGRfU"),
        cali("cali-POSTROUTING", "-j MARK --set-xmark 0x0/0xf0000", "nnqPh8lh2VOogSzX"),
        cali("cali-POSTROUTING", "-m conntrack --ctstate DNAT -j cali-to-host-endpoint", "nquN8Jw8Tz72pcBW"),
        cali("cali-POSTROUTING", '-m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j RETURN', "jWrgvDJjxM4MH9Cy"),
        cali("cali-PREROUTING", "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "6BJqBjBC7crtA-7-"),
        cali("cali-PREROUTING", "-m mark --mark 0x10000/0x10000 -j ACCEPT", "KX7AGNd6rMcDUai6"),
        cali("cali-PREROUTING", "-j cali-from-host-endpoint", "wNH7KsA3ILKJBsY9"),
        cali("cali-PREROUTING", '-m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT', "Cg96MgVuoPm7UMRo"),
    ]
    return table("mangle", ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"], chains, rules)


def raw(node):
    # Only the policies: seed 002's xtables-monitor trace walks raw OUTPUT straight to its policy (the article's
    # `iptables -t raw -L` of another moment shows a cali-OUTPUT jump the trace never takes); the lab follows the trace.
    return table("raw", ["PREROUTING", "OUTPUT"], [], [])


def table(name, builtins, chains, rules):
    lines = [f"*{name}"] + [f":{c} ACCEPT [0:0]" for c in builtins] + [f":{c} - [0:0]" for c in chains] + rules + ["COMMIT"]
    return "\n".join(lines) + "\n"


def iptables(node):
    head = (f"# Generated by iptables-save v1.8.9 (nf_tables): {node} of the Calico lab (scripts/calico-lab.py).\n"
            "# kube-proxy's rules as kube-proxy writes them (-m tcp --dport in KUBE-SERVICES and the KUBE-MARK-MASQ rules;\n"
            "# the seeds' listings leave the port out), Calico v3.26's cali-* chains in VXLAN mode.\n")
    return head + raw(node) + mangle(node) + nat(node) + filter_(node)


def ipsets():
    nodes = "".join(f"add cali40all-vxlan-net {n[1]}/32\n" for n in NODES)
    return ("create cali40all-ipam-pools hash:net family inet hashsize 1024 maxelem 1048576\n"
            f"add cali40all-ipam-pools {POD_CIDR}\n"
            "create cali40masq-ipam-pools hash:net family inet hashsize 1024 maxelem 1048576\n"
            f"add cali40masq-ipam-pools {POD_CIDR}\n"
            "create cali40all-vxlan-net hash:net family inet hashsize 1024 maxelem 1048576\n" + nodes)


def cluster_yaml():
    y = ["# The Calico lab: the cluster of the Calico seeds, an RKE2-style cluster of three nodes with Calico v3.26",
         "# in VXLAN mode (vxlan.calico, VNI 4096, UDP 4789) and kube-proxy in iptables mode. Pods sit on routed veths",
         "# (cali*, gateway 169.254.1.1 answered by proxy ARP with ee:ee:ee:ee:ee:ee), one /26 block per node, and",
         "# reach other nodes' blocks via their vxlan.calico address. Written by scripts/calico-lab.py.",
         "cluster:",
         "  cni: calico",
         f"  podCIDR: {POD_CIDR}",
         f"  serviceCIDR: {SVC_CIDR}",
         f"  tunnel: {{ type: vxlan, udpPort: {VXLAN_PORT}, vni: {VNI} }}",
         "nodes:"]
    for name, ip, mac, block, vip, vmac in NODES:
        y += [f"  - name: {name}", f"    nodeIP: {ip}", f"    nodeMAC: {mac}", "    uplink: enp3s0", f"    podCIDR: {block}",
              f"    vxlan: {{ name: vxlan.calico, ip: {vip}/32, mac: {vmac}, mtu: 1450 }}"]
        pods = [p for p in PODS if p[0] == name]
        y.append("    pods:    # the cali veth (host side: ee:ee:ee:ee:ee:ee, proxy ARP), the pod's IP and MAC")
        for _, pod, pip, pmac, labels in pods:
            lab = ", ".join(f"{k}: {v}" for k, v in labels.items())
            y.append(f"      - {{ pod: {pod}, port: {veth(pod)}, ip: {pip}, mac: {pmac}, labels: {{ {lab} }} }}")
        y.append("    routes:  # `ip route`")
        y.append(f"      - default via {ROUTER[0]} dev enp3s0 proto static")
        for other in NODES:
            if other[0] != name:
                y.append(f"      - {other[3]} via {other[4]} dev vxlan.calico onlink")
        y.append(f"      - blackhole {block} proto 80")
        for _, pod, pip, _, _ in pods:
            y.append(f"      - {pip} dev {veth(pod)} scope link")
        if name == "worker1":
            y.append("      - 172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1 linkdown")
        y.append(f"      - 192.168.1.0/24 dev enp3s0 proto kernel scope link src {ip}")
        y.append("    neighbors: # `ip neigh`: the underlay, the other nodes' vxlan.calico (Calico's permanent entries), the pods")
        y.append(f"      - {{ ip: {ROUTER[0]}, mac: {ROUTER[1]}, dev: enp3s0 }}")
        y += [f"      - {{ ip: {o[1]}, mac: {o[2]}, dev: enp3s0 }}" for o in NODES if o[0] != name]
        y += [f"      - {{ ip: {o[4]}, mac: {o[5]}, dev: vxlan.calico }}" for o in NODES if o[0] != name]
        for _, pod, pip, pmac, _ in pods:
            y.append(f"      - {{ ip: {pip}, mac: {pmac}, dev: {veth(pod)} }}")
        y.append("    fdb:     # `bridge fdb show dev vxlan.calico`: each remote VTEP's MAC and node")
        y += [f"      - {{ mac: {o[5]}, dst: {o[1]} }}" for o in NODES if o[0] != name]
        y += [f"    iptables: {name}.iptables", "    ipsets: ipsets.save"]
    y.append("services:   # `kubectl get svc` / `kubectl get ep` and the KUBE-SVC/KUBE-SEP chains")
    for pname, cip, port, proto, eps in SERVICES:
        y.append(f"  - {{ name: {pname}, clusterIP: {cip}, port: {port}, protocol: {proto.upper()}, endpoints: [{', '.join(eps)}] }}")
    return "\n".join(y) + "\n"


os.makedirs(OUT, exist_ok=True)
with open(f"{OUT}/cluster.yaml", "w") as f:
    f.write(cluster_yaml())
for n in NODES:
    with open(f"{OUT}/{n[0]}.iptables", "w") as f:
        f.write(iptables(n[0]))
with open(f"{OUT}/ipsets.save", "w") as f:
    f.write(ipsets())
