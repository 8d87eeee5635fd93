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
        create cali40masq-ipam-pools hash:net family inet hashsize 1024 maxelem 1048576
        add cali40masq-ipam-pools 10.42.0.0/16
        create cali40all-ipam-pools hash:net family inet hashsize 1024 maxelem 1048576
        add cali40all-ipam-pools 10.42.0.0/16
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

    /// <summary>
    /// The semantics of seeds 002 and 003 on one node (KernelSemanticsTests sends packets through it in the kernel
    /// and here): Calico's raw/mangle/nat/filter chains (MARK --set-xmark 0x0/0xf0000, addrtype ! --src-type LOCAL
    /// --limit-iface-out then --src-type LOCAL, match-set src and ! match-set dst, MASQUERADE --random-fully),
    /// kube-proxy's KUBE-MARK-MASQ/KUBE-POSTROUTING (--or-mark, --xor-mark), Docker's DOCKER, DOCKER-USER and
    /// DOCKER-ISOLATION-STAGE-1/2 with MASQUERADE --to-ports, every MARK form, and count-only probe rules.
    /// </summary>
    public const string SeedSemantics = """
        *raw
        :PREROUTING ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :cali-OUTPUT - [0:0]
        :cali-PREROUTING - [0:0]
        :cali-to-host-endpoint - [0:0]
        -A PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" -j cali-PREROUTING
        -A OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT
        -A cali-OUTPUT -m comment --comment "cali:njdnLwYeGqBJyMxW" -j MARK --set-xmark 0x0/0xf0000
        -A cali-OUTPUT -m comment --comment "cali:rz86uTUcEZAfFsh7" -j cali-to-host-endpoint
        -A cali-OUTPUT -m comment --comment "cali:pN0F5zD0b8yf9W1Z" -m mark --mark 0x10000/0x10000 -j ACCEPT
        -A cali-PREROUTING -m comment --comment "cali:XFX5xbM8B9qR10JG" -j MARK --set-xmark 0x0/0xf0000
        -A cali-PREROUTING -i cali+ -m comment --comment "cali:EWMPb0zVROM-woQp" -j MARK --set-xmark 0x40000/0x40000
        -A cali-PREROUTING -m comment --comment "cali:PWuxTAIaFCtsg5Qa" -m mark --mark 0x40000/0x40000 -m set --match-set cali40all-ipam-pools src
        COMMIT
        *mangle
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        :MARKS - [0:0]
        :cali-POSTROUTING - [0:0]
        :cali-to-host-endpoint - [0:0]
        -A OUTPUT -p udp -m udp --dport 1001:1009 -j MARKS
        -A POSTROUTING -m comment --comment "cali:O3lYWMrLQYEMJtB5" -j cali-POSTROUTING
        -A MARKS -p udp -m udp --dport 1001 -j MARK --set-xmark 0x4000/0x4000
        -A MARKS -p udp -m udp --dport 1002 -j MARK --set-mark 0x2/0xff
        -A MARKS -p udp -m udp --dport 1003 -j MARK --and-mark 0xff
        -A MARKS -p udp -m udp --dport 1004 -j MARK --or-mark 0x100
        -A MARKS -p udp -m udp --dport 1005 -j MARK --xor-mark 0x3
        -A MARKS -p udp -m udp --dport 1006 -j MARK --set-mark 0x7
        -A MARKS -p udp -m udp --dport 1007 -j MARK --set-xmark 0x5/0xf
        -A MARKS -m mark --mark 0x4001
        -A MARKS -m mark --mark 0x102
        -A MARKS -m mark --mark 0x34
        -A MARKS -m mark --mark 0x101
        -A MARKS -m mark --mark 0x6
        -A MARKS -m mark --mark 0x7
        -A MARKS -m mark --mark 0x400005
        -A MARKS -m mark --mark 0x4f0005
        -A MARKS -m mark ! --mark 0x4000/0x4000
        -A cali-POSTROUTING -m comment --comment "cali:nnqPh8lh2VOogSzX" -j MARK --set-xmark 0x0/0xf0000
        -A cali-POSTROUTING -m comment --comment "cali:nquN8Jw8Tz72pcBW" -m conntrack --ctstate DNAT -j cali-to-host-endpoint
        -A cali-POSTROUTING -m comment --comment "cali:Fgnh-SXgpGTGrmV6" -m conntrack --ctstate DNAT -m mark --mark 0x10000/0x10000 -j RETURN
        COMMIT
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        :DOCKER - [0:0]
        :KUBE-MARK-MASQ - [0:0]
        :KUBE-NODEPORTS - [0:0]
        :KUBE-POSTROUTING - [0:0]
        :KUBE-SEP-OYNVDBAPYJ623W6H - [0:0]
        :KUBE-SERVICES - [0:0]
        :KUBE-SVC-Y4T5L63IYP3YFEBS - [0:0]
        :cali-OUTPUT - [0:0]
        :cali-POSTROUTING - [0:0]
        :cali-PREROUTING - [0:0]
        :cali-fip-dnat - [0:0]
        :cali-fip-snat - [0:0]
        :cali-nat-outgoing - [0:0]
        -A PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" -j cali-PREROUTING
        -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
        -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
        -A PREROUTING -m addrtype --dst-type LOCAL --limit-iface-in
        -A PREROUTING -m addrtype --dst-type BROADCAST
        -A PREROUTING -m addrtype --src-type UNICAST ! --dst-type LOCAL,BROADCAST
        -A OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT
        -A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
        -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
        -A OUTPUT -m addrtype --src-type LOCAL --dst-type UNICAST
        -A OUTPUT -m addrtype --dst-type LOCAL --limit-iface-out
        -A POSTROUTING -m comment --comment "cali:O3lYWMrLQYEMJtB5" -j cali-POSTROUTING
        -A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
        -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -p udp -m udp --dport 5000 -j MASQUERADE --to-ports 20000-20010 --random-fully
        -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
        -A DOCKER -i docker0 -j RETURN
        -A DOCKER ! -i docker0 -p udp -m udp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
        -A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
        -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
        -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
        -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
        -A KUBE-SEP-OYNVDBAPYJ623W6H -s 10.42.54.194/32 -m comment --comment "podinfo/frontend-podinfo:http" -j KUBE-MARK-MASQ
        -A KUBE-SEP-OYNVDBAPYJ623W6H -p udp -m comment --comment "podinfo/frontend-podinfo:http" -m udp -j DNAT --to-destination 10.42.54.194:9898
        -A KUBE-SERVICES -d 10.43.156.98/32 -p udp -m comment --comment "podinfo/frontend-podinfo:http cluster IP" -m udp --dport 9898 -j KUBE-SVC-Y4T5L63IYP3YFEBS
        -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
        -A KUBE-SVC-Y4T5L63IYP3YFEBS ! -s 10.42.0.0/16 -d 10.43.156.98/32 -p udp -m comment --comment "podinfo/frontend-podinfo:http cluster IP" -m udp --dport 9898 -j KUBE-MARK-MASQ
        -A KUBE-SVC-Y4T5L63IYP3YFEBS -m comment --comment "podinfo/frontend-podinfo:http -> 10.42.54.194:9898" -j KUBE-SEP-OYNVDBAPYJ623W6H
        -A cali-OUTPUT -m comment --comment "cali:GBTAv2p5CwevEyJm" -j cali-fip-dnat
        -A cali-POSTROUTING -m comment --comment "cali:Z-c7XtVd2Bq7s_hA" -j cali-fip-snat
        -A cali-POSTROUTING -m comment --comment "cali:nYKhEzDlr11Jccal" -j cali-nat-outgoing
        -A cali-POSTROUTING -o vxlan.calico -m comment --comment "cali:e9dnSgSVNmIcpVhP" -m addrtype ! --src-type LOCAL --limit-iface-out -m addrtype --src-type LOCAL -j MASQUERADE --random-fully
        -A cali-PREROUTING -m comment --comment "cali:r6XmIziWUJsdOK6Z" -j cali-fip-dnat
        -A cali-nat-outgoing -m comment --comment "cali:flqWnvo8yq4ULQLa" -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully
        COMMIT
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD DROP [0:0]
        :OUTPUT ACCEPT [0:0]
        :DOCKER - [0:0]
        :DOCKER-ISOLATION-STAGE-1 - [0:0]
        :DOCKER-ISOLATION-STAGE-2 - [0:0]
        :DOCKER-USER - [0:0]
        :KUBE-FORWARD - [0:0]
        :SETS - [0:0]
        :cali-OUTPUT - [0:0]
        -A INPUT -p udp -j DROP
        -A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
        -A FORWARD -j DOCKER-USER
        -A FORWARD -j DOCKER-ISOLATION-STAGE-1
        -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
        -A FORWARD -o docker0 -j DOCKER
        -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
        -A FORWARD -i docker0 -o docker0 -j ACCEPT
        -A FORWARD -i cali+ -m comment --comment "cali:S93hcgKJrXEqnTfs" -j ACCEPT
        -A OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT
        -A OUTPUT -j SETS
        -A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p udp -m udp --dport 80 -j ACCEPT
        -A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
        -A DOCKER-ISOLATION-STAGE-1 -j RETURN
        -A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
        -A DOCKER-ISOLATION-STAGE-2 -j RETURN
        -A DOCKER-USER -j RETURN
        -A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
        -A SETS -m set --match-set TEST-IPS dst
        -A SETS -m set ! --match-set TEST-IPS dst
        -A SETS -m set --match-set TEST-IPPORT dst,dst
        -A SETS -m set --match-set TEST-IPPORT dst,src
        -A SETS -m set --match-set TEST-NETS dst
        -A SETS -m set ! --match-set cali40all-ipam-pools dst
        -A SETS -m set --match-set cali40all-ipam-pools src
        -A cali-OUTPUT -m comment --comment "cali:iC1pSPgbvgQzkUk_" -j MARK --set-xmark 0x0/0xf0000
        COMMIT
        """;
}
