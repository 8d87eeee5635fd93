namespace Datapath.Netfilter.Tests;

/// <summary>
/// Every iptables-save document the tests feed the parser (besides the seed files), as constants so that
/// KernelAcceptanceTests can hand each of them to the kernel's iptables-restore in a network namespace.
/// The sets they name come from <see cref="Ipsets"/> (and the seed's ipsets.save).
/// </summary>
internal static class RuleFixtures
{
    public const string Ipsets = """
        create TEST-IPS hash:ip family inet hashsize 1024 maxelem 65536
        add TEST-IPS 10.0.0.5
        add TEST-IPS 10.0.1.0/30
        create TEST-IPPORT hash:ip,port family inet hashsize 1024 maxelem 65536
        add TEST-IPPORT 10.96.0.10,udp:53
        add TEST-IPPORT 10.96.0.10,tcp:53
        add TEST-IPPORT 10.96.0.1,443
        create TEST-NETS hash:net family inet hashsize 1024 maxelem 65536 comment
        add TEST-NETS 192.168.0.0/16 comment "lab"
        add TEST-NETS 192.168.7.0/24 nomatch
        add TEST-NETS 172.16.0.1-172.16.0.6
        """;

    public const string TcpUdp = """
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        -A FORWARD -p tcp -m tcp --sport 1000:2000 --dport 80 -j DROP
        -A FORWARD -p tcp -m tcp ! --dport 1:1024 -j REJECT --reject-with tcp-reset
        -A FORWARD -p udp -m udp --sport 53 -j DROP
        -A FORWARD -p udp --dport 53 -j ACCEPT
        -A FORWARD -p tcp -m tcp --tcp-flags SYN,ACK SYN,ACK -j DROP
        -A FORWARD -p tcp -m tcp ! --syn -j ACCEPT
        -A FORWARD -p tcp -m tcp --sport :999 -j REJECT
        COMMIT
        """;

    public const string Header = """
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD DROP [7:700]
        :OUTPUT ACCEPT [0:0]
        -A FORWARD -s 10.222.1.0/24 -d 10.222.2.0/255.255.255.0 -j ACCEPT
        -A FORWARD ! -s 10.0.0.0/8 -p icmp -j ACCEPT
        -A FORWARD -i antrea-gw+ ! -o eth0 -p 17 -j ACCEPT
        -A FORWARD ! -p tcp -i eth0 -j ACCEPT
        -A FORWARD -f -j DROP
        -A FORWARD -p all -o eth1 -j ACCEPT
        COMMIT
        """;

    public const string Icmp = """
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        -A FORWARD -p icmp -m icmp --icmp-type echo-request -j DROP
        -A FORWARD -p icmp -m icmp --icmp-type 3/3 -j REJECT --reject-with icmp-host-prohibited
        -A FORWARD -p icmp -m icmp ! --icmp-type any -j DROP
        COMMIT
        """;

    public const string Multiport = """
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        -A FORWARD -p tcp -m multiport --dports 80,443,8000:8080 -j DROP
        -A FORWARD -p udp -m multiport --sports 53,123 -j DROP
        -A FORWARD -p tcp -m multiport ! --ports 1:1023 -j REJECT
        COMMIT
        """;

    public const string Statistic = """
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        :NTH - [0:0]
        :RND - [0:0]
        -A PREROUTING -p tcp -m tcp --dport 1 -j NTH
        -A PREROUTING -p tcp -m tcp --dport 2 -j RND
        -A NTH -p tcp -m statistic --mode nth --every 3 --packet 1 -j DNAT --to-destination 10.0.0.1
        -A NTH -p tcp -m statistic --mode nth ! --every 2 --packet 0 -j DNAT --to-destination 10.0.0.2
        -A RND -m statistic --mode random --probability 0.25000000000 -j DNAT --to-destination 10.0.0.3
        -A RND -m statistic --mode random ! --probability 1.00000000000 -j DNAT --to-destination 10.0.0.4
        -A RND -m statistic --mode random --probability 0.00000000000 -j DNAT --to-destination 10.0.0.5
        COMMIT
        """;

    public const string Mark = """
        *mangle
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        -A PREROUTING -p tcp -m tcp --dport 1 -j MARK --set-xmark 0x4000/0x4000
        -A PREROUTING -p tcp -m tcp --dport 2 -j MARK --set-mark 0x2/0xff
        -A PREROUTING -p tcp -m tcp --dport 3 -j MARK --set-mark 0x7
        -A PREROUTING -p tcp -m tcp --dport 4 -j MARK --and-mark 0xff
        -A PREROUTING -p tcp -m tcp --dport 5 -j MARK --or-mark 0x100
        -A PREROUTING -p tcp -m tcp --dport 6 -j MARK --xor-mark 0x3
        -A PREROUTING -m mark --mark 0x4000/0x4000 -j MARK --set-xmark 0x1/0x1
        -A PREROUTING -m mark ! --mark 0x0 -j MARK --or-mark 0x80000000
        COMMIT
        """;

    public const string AddrType = """
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        :LOCALDST - [0:0]
        :NOTLOCALSRC - [0:0]
        :VIAETH1 - [0:0]
        -A PREROUTING -m addrtype --dst-type LOCAL -j LOCALDST
        -A PREROUTING -m addrtype ! --src-type LOCAL,BROADCAST -j NOTLOCALSRC
        -A PREROUTING -m addrtype --dst-type LOCAL --limit-iface-in -j VIAETH1
        COMMIT
        """;

    public const string Conntrack = """
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        -A FORWARD -m conntrack --ctstate INVALID -j DROP
        -A FORWARD -m conntrack --ctstate DNAT --ctorigdst 10.96.0.0/12 --ctorigdstport 80 -j ACCEPT
        -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
        -A FORWARD -m conntrack --ctproto udp --ctdir REPLY -j ACCEPT
        -A FORWARD -m conntrack ! --ctstatus ASSURED --ctorigsrc 10.222.1.0/24 -j REJECT
        -A FORWARD -m state --state NEW -j ACCEPT
        COMMIT
        """;

    public const string Set = """
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        -A FORWARD -m set --match-set TEST-IPS src -j DROP
        -A FORWARD -m set --match-set TEST-IPPORT dst,dst -j ACCEPT
        -A FORWARD -m set --match-set TEST-NETS dst -j REJECT
        -A FORWARD -m set ! --match-set ANTREA-POD-IP dst -j DROP
        COMMIT
        """;

    /// <summary>kube-proxy's sessionAffinity: ClientIP (iptables mode) for one service with two endpoints.</summary>
    public const string Recent = """
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        :KUBE-SERVICES - [0:0]
        :KUBE-SVC-AFFINITY - [0:0]
        :KUBE-SEP-ONE - [0:0]
        :KUBE-SEP-TWO - [0:0]
        -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
        -A KUBE-SERVICES -d 10.100.0.1/32 -p tcp -m comment --comment "default/sticky: cluster IP" -m tcp --dport 80 -j KUBE-SVC-AFFINITY
        -A KUBE-SVC-AFFINITY -m comment --comment "default/sticky:" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-ONE --mask 255.255.255.255 --rsource -j KUBE-SEP-ONE
        -A KUBE-SVC-AFFINITY -m comment --comment "default/sticky:" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-TWO --mask 255.255.255.255 --rsource -j KUBE-SEP-TWO
        -A KUBE-SVC-AFFINITY -m comment --comment "default/sticky:" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-ONE
        -A KUBE-SVC-AFFINITY -m comment --comment "default/sticky:" -j KUBE-SEP-TWO
        -A KUBE-SEP-ONE -p tcp -m comment --comment "default/sticky:" -m recent --set --name KUBE-SEP-ONE --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.222.1.10:8080
        -A KUBE-SEP-TWO -p tcp -m comment --comment "default/sticky:" -m recent --set --name KUBE-SEP-TWO --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.222.2.10:8080
        COMMIT
        """;

    public const string Recent2 = """
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        -A FORWARD -p tcp -m tcp --dport 22 -m recent --update --seconds 60 --hitcount 3 --name SSH --rsource -j DROP
        -A FORWARD -p tcp -m tcp --dport 22 -m recent --set --name SSH --rsource -j ACCEPT
        -A FORWARD -p tcp -m tcp --dport 23 -m recent --remove --name SSH --rsource -j ACCEPT
        -A FORWARD -p tcp -m tcp --dport 24 -m recent --rcheck --name DST --rdest -j DROP
        -A FORWARD -p tcp -m tcp --dport 24 -m recent --set --name DST --rdest -j ACCEPT
        COMMIT
        """;

    public const string Targets = """
        *raw
        :PREROUTING ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        -A PREROUTING -p tcp -m tcp --dport 9999 -j TRACE
        COMMIT
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :CHECK - [0:0]
        :DEEPER - [0:0]
        -A FORWARD -p tcp -m tcp --dport 9999 -j LOG --log-prefix "trace me: " --log-level 4
        -A FORWARD -p tcp -m tcp --dport 1 -j REJECT --reject-with icmp-admin-prohibited
        -A FORWARD -p tcp -m tcp --dport 2 -j REJECT
        -A FORWARD -p tcp -m tcp --dport 3 -g CHECK
        -A FORWARD -p tcp -m tcp --dport 3 -j DROP
        -A FORWARD -p tcp -m tcp --dport 4 -j CHECK
        -A FORWARD -p tcp -m tcp --dport 4 -j DROP
        -A FORWARD -p tcp
        -A CHECK -j DEEPER
        -A CHECK -p tcp -m tcp --dport 5 -j ACCEPT
        -A DEEPER -p tcp -m tcp --dport 3 -j RETURN
        -A DEEPER -j LOG
        COMMIT
        """;

    public const string Nat = """
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        -A PREROUTING -d 10.1.0.1/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.2.0.1-10.2.0.4:8080-8090 --random --persistent
        -A PREROUTING -d 10.1.0.2/32 -p udp -j DNAT --to-destination :5353
        -A PREROUTING -d 10.1.0.3/32 -j DNAT --to-destination 10.2.0.9
        -A POSTROUTING -s 10.222.0.0/16 -o eth1 -p tcp -j SNAT --to-source 192.0.2.1:20000-30000 --random-fully
        -A POSTROUTING -o eth0 -p tcp -j MASQUERADE --to-ports 1024-2048 --random-fully
        -A POSTROUTING -o eth0 -j MASQUERADE --random
        COMMIT
        """;
}
