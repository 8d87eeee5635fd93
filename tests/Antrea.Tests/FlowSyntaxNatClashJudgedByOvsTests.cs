using Datapath.Packets;
using static Datapath.Antrea.Tests.FlowSyntaxJudgedByOvsTests;

namespace Datapath.Antrea.Tests;

// Open vSwitch 3.1 judges a DNAT whose reply tuple is taken: one client port to two services of one endpoint (a
// ClusterIP, then a NodePort) — the second connection's reply would be the first one's, and OVS's userspace conntrack
// (nat_get_unique_tuple) moves its source port instead of refusing it. Every port must send what OVS sends. And
// what a flow does after a ct(nat) that does not recirculate lands on the translated packet.
public sealed class FlowSyntaxNatClashJudgedByOvsTests
{
    private static readonly MacAddress Client = MacAddress.Parse("02:00:00:00:00:01"), Server = MacAddress.Parse("02:00:00:00:00:02");

    private const string TwoServices =
        "udp,nw_dst=10.10.0.100,actions=ct(commit,nat(dst=10.10.0.2:53)),output:2\n" +
        "udp,nw_dst=10.10.0.101,actions=ct(commit,nat(dst=10.10.0.2:53)),output:2\n" +
        "tcp,nw_dst=10.10.0.100,actions=ct(commit,nat(dst=10.10.0.2:80)),output:2\n" +
        "tcp,nw_dst=10.10.0.101,actions=ct(commit,nat(dst=10.10.0.2:80)),output:2";

    private static byte[] Udp(string dst, ushort dport, ushort sport = 4000)
        => PacketBuilder.Udp(Client, Server, Ipv4Address.Parse("10.10.0.1"), Ipv4Address.Parse(dst), sport, dport, new byte[18]);

    private static byte[] Syn(string dst, ushort dport, ushort sport)
        => PacketBuilder.Tcp(Client, Server, Ipv4Address.Parse("10.10.0.1"), Ipv4Address.Parse(dst), sport, dport, TcpFlags.Syn, seq: 1000);

    [JudgedFact(nameof(OvsSwitchJudge))]
    public void The_second_service_to_the_same_endpoint_moves_the_source_port_as_ovs_does()
        => AssertEveryPortSendsWhatOvsSends(TwoServices, (1u, Udp("10.10.0.100", 53)), (1u, Udp("10.10.0.101", 5353)));

    [JudgedFact(nameof(OvsSwitchJudge))]
    public void A_third_moves_it_once_more_and_a_tcp_client_below_1024_stays_in_its_class()
        => AssertEveryPortSendsWhatOvsSends(TwoServices,
            (1u, Udp("10.10.0.100", 53)), (1u, Udp("10.10.0.101", 5353)), (1u, Udp("10.10.0.101", 5353, sport: 4001)),
            (1u, Syn("10.10.0.100", 80, 700)), (1u, Syn("10.10.0.101", 8080, 700)));

    [JudgedFact(nameof(OvsSwitchJudge))]
    public void A_rewrite_after_a_ct_nat_without_recirculation_lands_on_the_translated_packet()
        => AssertEveryPortSendsWhatOvsSends(
            "udp,actions=ct(commit,nat(dst=10.10.0.2:53)),mod_dl_dst:02:00:00:00:00:09,dec_ttl,output:2,mod_tp_dst:5353,output:3",
            (1u, Udp("10.10.0.100", 53)), (1u, Udp("10.10.0.100", 53)));
}
