using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Datapath.Benchmarks.Netfilter;

/// <summary>
/// Writes kube-proxy's iptables-mode nat table for N ClusterIP services of two endpoints each, in the exact
/// iptables-save form of the seed (src/Antrea/Scenario/worker1.iptables): KUBE-SERVICES → (KUBE-MARK-MASQ for
/// sources outside the pod CIDR, then) KUBE-SVC-* → statistic --mode random --probability 0.5 → KUBE-SEP-* →
/// DNAT. Chain names are kube-proxy's: "KUBE-SVC-"/"KUBE-SEP-" + the first 16 base32 characters of the
/// SHA-256 of the service port name and protocol (servicePortChainName / servicePortEndpointChainName).
/// Service i has cluster IP 10.96.0.0 + 1 + i, TCP port 80 + i % 3 (UDP 53 for every 10th); its endpoints
/// are in 10.222.0.0/16. Shared by the benchmark and the netfilter tests (linked source), which feed it to
/// the kernel's iptables-restore.
/// </summary>
internal static class KubeProxyRuleGenerator
{
    public static uint ClusterIp(int service) => 0x0A600000u + 1 + (uint)service;

    public static bool IsUdp(int service) => service % 10 == 9;

    public static ushort Port(int service) => IsUdp(service) ? (ushort)53 : (ushort)(80 + service % 3);

    private static string Ip(uint a) => string.Create(CultureInfo.InvariantCulture, $"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}");

    private static string ChainName(string prefix, string text)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        // Go's base32.StdEncoding of the hash, first 16 characters.
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var sb = new StringBuilder(prefix);
        int bits = 0, value = 0;
        foreach (byte b in hash)
        {
            value = (value << 8) | b;
            bits += 8;
            while (bits >= 5 && sb.Length < prefix.Length + 16)
            {
                sb.Append(alphabet[(value >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        return sb.ToString();
    }

    public static string Generate(int services)
    {
        var declarations = new StringBuilder();
        var rules = new StringBuilder();
        declarations.Append("*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n");
        declarations.Append(":KUBE-MARK-DROP - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n:KUBE-NODEPORTS - [0:0]\n:KUBE-POSTROUTING - [0:0]\n:KUBE-SERVICES - [0:0]\n");
        rules.Append("-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n");
        rules.Append("-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n");
        rules.Append("-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING\n");
        rules.Append("-A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000\n");
        rules.Append("-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000\n");
        rules.Append("-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n");
        rules.Append("-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0\n");
        rules.Append("-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE\n");
        var serviceRules = new StringBuilder();
        var chainRules = new StringBuilder();
        for (int i = 0; i < services; i++)
        {
            string ns = "bench", name = "svc" + i.ToString(CultureInfo.InvariantCulture);
            string proto = IsUdp(i) ? "udp" : "tcp";
            string portName = IsUdp(i) ? "dns" : "http";
            string svcPort = $"{ns}/{name}:{portName}";
            string svc = ChainName("KUBE-SVC-", svcPort + proto);
            string ip = Ip(ClusterIp(i));
            string port = Port(i).ToString(CultureInfo.InvariantCulture);
            declarations.Append(':').Append(svc).Append(" - [0:0]\n");
            serviceRules.Append($"-A KUBE-SERVICES ! -s 10.222.0.0/16 -d {ip}/32 -p {proto} -m comment --comment \"{svcPort} cluster IP\" -m {proto} --dport {port} -j KUBE-MARK-MASQ\n");
            serviceRules.Append($"-A KUBE-SERVICES -d {ip}/32 -p {proto} -m comment --comment \"{svcPort} cluster IP\" -m {proto} --dport {port} -j {svc}\n");
            for (int e = 0; e < 2; e++)
            {
                uint ep = 0x0ADE0000u + (uint)((i * 2 + e) % 65000) + 2;
                string epAddr = Ip(ep) + ":" + (IsUdp(i) ? "53" : "8080");
                string sep = ChainName("KUBE-SEP-", svcPort + proto + epAddr);
                declarations.Append(':').Append(sep).Append(" - [0:0]\n");
                string statistic = e == 0 ? " -m statistic --mode random --probability 0.50000000000" : "";
                chainRules.Append($"-A {svc} -m comment --comment \"{svcPort}\"{statistic} -j {sep}\n");
                chainRules.Append($"-A {sep} -s {Ip(ep)}/32 -m comment --comment \"{svcPort}\" -j KUBE-MARK-MASQ\n");
                chainRules.Append($"-A {sep} -p {proto} -m comment --comment \"{svcPort}\" -m {proto} -j DNAT --to-destination {epAddr}\n");
            }
        }
        rules.Append(serviceRules);
        rules.Append("-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n");
        rules.Append(chainRules);
        return declarations.Append(rules).Append("COMMIT\n").ToString();
    }
}
