using System.Globalization;
using System.Text;

namespace Datapath.Netfilter.Tests;

/// <summary>
/// kube-proxy's iptables-mode nat and filter tables for services of three endpoints each (statistic
/// probabilities 0.33333333349 then 0.50000000000, as kube-proxy writes them), with a NodePort per service,
/// KUBE-MARK-MASQ, KUBE-POSTROUTING's MASQUERADE --random-fully, the filter table's KUBE-FORWARD and a REJECT
/// for a service without endpoints, and counters on a few rules ([p:b]) so iptables-restore -c sets them.
/// </summary>
internal static class KubeProxyListingRules
{
    public static string Generate(int services)
    {
        var decl = new StringBuilder("*nat\n:PREROUTING ACCEPT [120345:9876543]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [99999:100000]\n:POSTROUTING ACCEPT [100000:123456789]\n");
        decl.Append(":KUBE-MARK-DROP - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n:KUBE-NODEPORTS - [0:0]\n:KUBE-POSTROUTING - [0:0]\n:KUBE-SERVICES - [0:0]\n");
        var rules = new StringBuilder();
        rules.Append("[5:300] -A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n");
        rules.Append("-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n");
        rules.Append("[1234567:1234567890] -A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING\n");
        rules.Append("-A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000\n");
        rules.Append("-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000\n");
        rules.Append("-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n");
        rules.Append("-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0\n");
        rules.Append("-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully\n");
        var services_ = new StringBuilder();
        var nodePorts = new StringBuilder();
        var chains = new StringBuilder();
        for (int i = 0; i < services; i++)
        {
            string name = string.Create(CultureInfo.InvariantCulture, $"default/svc{i}:http");
            string svc = string.Create(CultureInfo.InvariantCulture, $"KUBE-SVC-{i:D4}AAAAAAAAAAAA");
            string ext = string.Create(CultureInfo.InvariantCulture, $"KUBE-EXT-{i:D4}AAAAAAAAAAAA");
            string ip = string.Create(CultureInfo.InvariantCulture, $"10.96.{i / 250}.{i % 250 + 1}");
            int nodePort = 30000 + i;
            decl.Append(':').Append(svc).Append(" - [0:0]\n:").Append(ext).Append(" - [0:0]\n");
            services_.Append($"-A KUBE-SERVICES -d {ip}/32 -p tcp -m comment --comment \"{name} cluster IP\" -m tcp --dport 80 -j {svc}\n");
            nodePorts.Append(string.Create(CultureInfo.InvariantCulture, $"-A KUBE-NODEPORTS -p tcp -m comment --comment \"{name}\" -m tcp --dport {nodePort} -j {ext}\n"));
            chains.Append($"-A {ext} -m comment --comment \"masquerade traffic for {name} external destinations\" -j KUBE-MARK-MASQ\n");
            chains.Append($"-A {ext} -j {svc}\n");
            chains.Append($"-A {svc} ! -s 10.222.0.0/16 -d {ip}/32 -p tcp -m comment --comment \"{name} cluster IP\" -m tcp --dport 80 -j KUBE-MARK-MASQ\n");
            for (int e = 0; e < 3; e++)
            {
                string ep = string.Create(CultureInfo.InvariantCulture, $"10.222.{e + 1}.{i % 200 + 10}");
                string sep = string.Create(CultureInfo.InvariantCulture, $"KUBE-SEP-{i:D4}{e}AAAAAAAAAAA");
                decl.Append(':').Append(sep).Append(" - [0:0]\n");
                string statistic = e switch
                {
                    0 => " -m statistic --mode random --probability 0.33333333349",
                    1 => " -m statistic --mode random --probability 0.50000000000",
                    _ => "",
                };
                chains.Append($"-A {svc} -m comment --comment \"{name} -> {ep}:8080\"{statistic} -j {sep}\n");
                chains.Append($"-A {sep} -s {ep}/32 -m comment --comment \"{name}\" -j KUBE-MARK-MASQ\n");
                chains.Append($"-A {sep} -p tcp -m comment --comment \"{name}\" -m tcp -j DNAT --to-destination {ep}:8080\n");
            }
        }
        rules.Append(services_);
        rules.Append("-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n");
        rules.Append(nodePorts).Append(chains);
        decl.Append(rules).Append("COMMIT\n");
        decl.Append("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [77:7777]\n:OUTPUT ACCEPT [0:0]\n:KUBE-EXTERNAL-SERVICES - [0:0]\n:KUBE-FORWARD - [0:0]\n:KUBE-SERVICES - [0:0]\n");
        decl.Append("-A INPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes externally-visible service portals\" -j KUBE-EXTERNAL-SERVICES\n");
        decl.Append("-A FORWARD -m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD\n");
        decl.Append("-A FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n");
        decl.Append("-A OUTPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n");
        decl.Append("-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment \"default/empty:http has no endpoints\" -m addrtype --dst-type LOCAL -m tcp --dport 31999 -j REJECT --reject-with icmp-port-unreachable\n");
        decl.Append("[3:180] -A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP\n");
        decl.Append("-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark --mark 0x4000/0x4000 -j ACCEPT\n");
        decl.Append("[98765432:123456789012] -A KUBE-FORWARD -m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n");
        decl.Append("-A KUBE-SERVICES -d 10.96.200.1/32 -p tcp -m comment --comment \"default/empty:http has no endpoints\" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable\n");
        decl.Append("COMMIT\n");
        return decl.ToString();
    }
}
