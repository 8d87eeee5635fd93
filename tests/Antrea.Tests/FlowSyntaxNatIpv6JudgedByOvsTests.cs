using System.Buffers.Binary;
using Datapath.Packets;
using static Datapath.Antrea.Tests.FlowSyntaxJudgedByOvsTests;

namespace Datapath.Antrea.Tests;

// Open vSwitch 3.1 judges ct(nat) with IPv6 addresses (issue 15.4) as FlowSyntaxJudgedByOvsTests judges the rest:
// our print-back is what OVS dumps, what OVS refuses we refuse, and every port sends the frames OVS sends: an IPv6
// Service walk (the client pod on p1 reaches the ClusterIP, EndpointDNAT translates it to the endpoint on p2, the
// endpoint's answer comes back through ct(nat)) for TCP, UDP and ICMPv6 echo, and an ICMPv6 error about it.
public sealed class FlowSyntaxNatIpv6JudgedByOvsTests
{
    private static readonly MacAddress PodMac = MacAddress.Parse("02:00:00:00:00:01"), EndpointMac = MacAddress.Parse("02:00:00:00:00:02");
    private static readonly Ipv6Address Client = Ipv6Address.Parse("fd00:10:222:1::48");
    private static readonly Ipv6Address ClusterIp = Ipv6Address.Parse("fd00:10:96::a");
    private static readonly Ipv6Address Endpoint = Ipv6Address.Parse("fd00:10:222:2::34");
    private static readonly Ipv6Address NodeIp = Ipv6Address.Parse("fd00:192:168:77::100");
    private static readonly Ipv6Address Router = Ipv6Address.Parse("fd00:192:168:77::1");

    /// <summary>A flow and the OpenFlow version of the dump ("nxm": ovs-ofctl's default).</summary>
    public static TheoryData<string, string> Printed => new()
    {
        { "ipv6,actions=ct(commit,nat(src=fd00::1))", "nxm" },
        { "ipv6,actions=ct(commit,nat(dst=[fd00::1]:80))", "of15" },
        // brackets only before a port: [fd00::1] alone dumps bare, a range with ports dumps both ends bracketed
        { "ipv6,actions=ct(commit,nat(src=[fd00::1]))", "nxm" },
        { "ipv6,actions=ct(commit,nat(src=[fd00::1]-[fd00::5]:1000-2000))", "of15" },
        { "ipv6,actions=ct(commit,nat(src=fd00::1-[fd00::5]:80))", "nxm" },
        { "ipv6,actions=ct(commit,nat(src=fd00::1-fd00::5))", "nxm" },
        // without brackets the colon belongs to the address: fd00::1:80 is one address, no port
        { "ipv6,actions=ct(commit,nat(dst=fd00::1:80))", "nxm" },
        { "tcp6,actions=ct(commit,zone=65520,nat(dst=[FD00:10:0::A]:8080,persistent,random),table=1)", "of15" },
        { "ipv6,actions=ct(commit,nat(src=::))", "nxm" },
        // an IPv4-mapped address prints dotted, as inet_ntop prints it
        { "ipv6,actions=ct(commit,nat(src=::FFFF:10.0.0.1))", "nxm" },
    };

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(Printed))]
    public void Our_dump_of_an_ipv6_nat_flow_is_what_ovs_dumps_for_it(string flow, string version) => AssertOvsDumpsOurPrintBack(flow, version);

    /// <summary>What OVS refuses, refused with its reason: the flow, then the column and words of our error.</summary>
    public static TheoryData<string, string> Refused => new()
    {
        // A port after an unbracketed IPv6 range: the second address swallows the port, the rest is garbage.
        { "ipv6,actions=ct(commit,nat(src=fd00::1-fd00::5:1000-2000))", "1:24: ct: nat: garbage (-2000) after nat range \"fd00::1-fd00::5:1000-2000\" (pos: 20)" },
        { "ipv6,actions=ct(commit,nat(src=fd00::5-fd00::1))", "1:24: ct: nat: invalid nat range \"fd00::5-fd00::1\"" },
        { "ipv6,actions=ct(commit,nat(src=[fd00::1))", "1:24: ct: nat: garbage ([fd00::1) after nat range \"[fd00::1\" (pos: 0)" },
        { "ipv6,actions=ct(commit,nat(dst=[fd00::1]:))", "1:24: ct: nat: invalid nat range \"[fd00::1]:\"" },
        // OVS check_NAT: an IPv6 range needs a match on ipv6.
        { "ip,actions=ct(commit,nat(src=fd00::1))", "1:12: ct(commit,nat(src=fd00::1)): actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT)" },
        { "tcp,actions=ct(commit,nat(dst=[fd00::1]:80))", "1:13: ct(commit,nat(dst=[fd00::1]:80)): actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT)" },
        // decode_NXAST_RAW_CT: without commit only a bare nat.
        { "ipv6,actions=ct(nat(src=fd00::1))", "1:17: ct: nat(src=fd00::1) needs commit (OFPBAC_BAD_ARGUMENT)" },
        { "ipv6,actions=ct(nat(dst))", "1:17: ct: nat(dst) needs commit (OFPBAC_BAD_ARGUMENT)" },
    };

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(Refused))]
    public void What_ovs_refuses_in_ipv6_nat_we_refuse_with_its_reason(string flow, string error) => AssertOvsAndWeRefuse(flow, error);

    // EndpointDNAT to the endpoint's port 8080 in zone 65520; the endpoint's side goes back through ct(nat). Table 1 sends
    // what is +dnat towards the endpoint (p2), what is +snat (the un-DNATed answer: OVS marks a reply with the reverse of
    // the connection's translation) to the pod (p1), anything else to p3, so ct_state shows in where the frames leave.
    private const string EndpointDnat =
        "table=0,in_port=1,ipv6,actions=ct(commit,table=1,zone=65520,nat(dst=[fd00:10:222:2::34]:8080))\n" +
        "table=0,in_port=2,ipv6,actions=ct(table=1,zone=65520,nat)\n" +
        "table=1,ct_state=+trk+dnat-snat,ipv6,actions=output:2\n" +
        "table=1,ct_state=+trk+snat-dnat,ipv6,actions=output:1\n" +
        "table=1,actions=output:3";

    // SNAT of the pod's traffic to the node's address (port 1500 for TCP/UDP), the answer un-SNATed: +snat out p2, +dnat out p1.
    private const string NodeSnat =
        "table=0,in_port=1,ipv6,actions=ct(commit,table=1,zone=65521,nat(src=[fd00:192:168:77::100]:1500))\n" +
        "table=0,in_port=2,ipv6,actions=ct(table=1,zone=65521,nat)\n" +
        "table=1,ct_state=+trk+snat-dnat,ipv6,actions=output:2\n" +
        "table=1,ct_state=+trk+dnat-snat,ipv6,actions=output:1\n" +
        "table=1,actions=output:3";

    // The connection is NATed by one flow and its other packets pass a bare ct(commit,nat) of another table: the binding
    // applies to both directions (the request translated again, the reply un-NATed), and the commit creates nothing new.
    private const string NatedElsewhere =
        "table=0,priority=200,in_port=1,tcp6,tcp_flags=+syn-ack,actions=ct(commit,table=1,zone=7,nat(dst=[fd00:10:222:2::34]:8080))\n" +
        "table=0,ipv6,actions=ct(commit,table=1,zone=7,nat)\n" +
        "table=1,in_port=1,ct_state=+trk+dnat,ipv6,actions=output:2\n" +
        "table=1,in_port=2,ct_state=+trk+est+rpl+snat,ipv6,actions=output:1\n" +
        "table=1,actions=output:3";

    /// <summary>Flows, then the walk: frames of <see cref="Walk"/> by name, each with the port it enters (name@port).</summary>
    public static TheoryData<string, string> Frames => new()
    {
        { EndpointDnat, "tcpSyn@1 tcpSynAck@2 tcpAck@1" },
        { EndpointDnat, "udpQuery@1 udpAnswer@2" },
        { EndpointDnat, "echoToClusterIp@1 echoReplyFromEndpoint@2" },
        // The endpoint's port unreachable about the DNATed datagram is +rel; it quotes the ClusterIP again.
        { EndpointDnat.Replace("+trk+snat-dnat,", "+trk+rel+snat,", StringComparison.Ordinal), "udpQuery@1 portUnreachableFromEndpoint@2" },
        { NodeSnat, "tcpSyn@1 tcpSynAckToNode@2" },
        { NodeSnat, "udpQuery@1 udpAnswerToNode@2" },
        // ICMPv6 echo keeps its identifier (OVS translates only TCP and UDP ports).
        { NodeSnat, "echoToClusterIp@1 echoReplyToNode@2" },
        // A router's time exceeded about the SNATed echo goes to the pod, its source kept, the quoted echo restored.
        { NodeSnat.Replace("+trk+dnat-snat,", "+trk+rel+dnat,", StringComparison.Ordinal), "echoToClusterIp@1 timeExceededFromRouter@2" },
        { NatedElsewhere, "tcpSyn@1 tcpSynAck@2 tcpAck@1" },
    };

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(Frames))]
    public void Every_port_sends_what_ovs_sends_after_ipv6_nat(string flows, string walk)
        => AssertEveryPortSendsWhatOvsSends(flows, [.. walk.Split(' ').Select(step => (uint.Parse(step[(step.IndexOf('@') + 1)..], System.Globalization.CultureInfo.InvariantCulture), Walk(step[..step.IndexOf('@')])))]);

    /// <summary>
    /// The one known difference (docs/classifier.md): for an IPv6 error OVS 3.1 fixes the outer source's change at the
    /// checksum offset of the connection's protocol inside the ICMPv6 message (16 for TCP: the first word of the quoted
    /// source address), then recomputes the ICMPv6 checksum over that. We quote the pod's own address intact, as the
    /// kernel does; every other byte of every frame is OVS's.
    /// </summary>
    [JudgedFact(nameof(OvsSwitchJudge))]
    public void Packet_too_big_about_a_tcp6_segment_differs_from_ovs_only_where_ovs_overwrites_the_quote()
    {
        var (ours, theirs) = SendThroughBoth(EndpointDnat.Replace("+trk+snat-dnat,", "+trk+rel+snat,", StringComparison.Ordinal),
            (1, Walk("tcpSyn")), (2, Walk("tcpSynAck")), (2, Walk("packetTooBigFromEndpoint")));
        Assert.Equal(3, ours.Length);
        Assert.Equal(theirs.Length, ours.Length);
        string ourError = Assert.Single(ours, o => o.StartsWith("p1:", StringComparison.Ordinal));
        string theirError = Assert.Single(theirs, o => o.StartsWith("p1:", StringComparison.Ordinal));
        Assert.Equal(theirs.Where(o => o != theirError), ours.Where(o => o != ourError));
        byte[] a = Convert.FromHexString(ourError[3..]), b = Convert.FromHexString(theirError[3..]);
        const int IcmpChecksum = 14 + 40 + 2, QuotedSource = 14 + 40 + 8 + 8;
        Assert.Equal(a.Length, b.Length);
        Assert.Equal(Enumerable.Range(0, a.Length).Where(i => a[i] != b[i]).Except([IcmpChecksum, IcmpChecksum + 1, QuotedSource, QuotedSource + 1]), []);
        Assert.Equal(Client, Ipv6Address.Read(a.AsSpan(QuotedSource)));
        Assert.NotEqual(Client, Ipv6Address.Read(b.AsSpan(QuotedSource)));
        Assert.Equal(ClusterIp, Ipv6Address.Read(a.AsSpan(QuotedSource + 16)));
    }

    /// <summary>
    /// A second known difference (docs/classifier.md): OVS 3.1's userspace conntrack runs its NAT tuple search for a new
    /// connection committed by a bare ct(commit,nat) with no translation asked for, and stores a reply tuple with source
    /// :: and destination port 0 (dpctl/dump-conntrack shows it), so the answer is a new connection of its own. We commit
    /// the connection untranslated, as the kernel datapath does (ovs_ct_nat: no src or dst, not NATed): the answer is
    /// +est+rpl. The frames themselves are the same bytes.
    /// </summary>
    [JudgedFact(nameof(OvsSwitchJudge))]
    public void A_new_connection_committed_by_a_bare_ct_commit_nat_is_answered_as_the_kernel_answers_it_not_as_ovs_3_1()
    {
        const string flows =
            "table=0,ipv6,actions=ct(commit,table=1,zone=9,nat)\n" +
            "table=1,ct_state=+trk+new,ipv6,actions=output:3\n" +
            "table=1,ct_state=+trk+est+rpl,ipv6,actions=output:1\n" +
            "table=1,actions=output:4";
        var (ours, theirs) = SendThroughBoth(flows, (1, Walk("udpQuery")), (2, Walk("udpAnswerFromClusterIp")));
        string query = "p3:" + Convert.ToHexString(Walk("udpQuery")), answer = Convert.ToHexString(Walk("udpAnswerFromClusterIp"));
        Assert.Equal(new[] { query, "p3:" + answer }.Order(StringComparer.Ordinal), theirs);
        Assert.Equal(new[] { query, "p1:" + answer }.Order(StringComparer.Ordinal), ours);
    }

    private static byte[] Walk(string name)
    {
        byte[] payload = [0x61, 0x62, 0x63, 0x64, 0x65, 0x66];
        var syn = PacketBuilder.Tcp6(PodMac, EndpointMac, Client, ClusterIp, 40000, 80, TcpFlags.Syn, 1000, payload: payload);
        var udpToEndpoint = PacketBuilder.Udp6(PodMac, EndpointMac, Client, Endpoint, 5000, 8080, payload);
        var synToEndpoint = PacketBuilder.Tcp6(PodMac, EndpointMac, Client, Endpoint, 40000, 8080, TcpFlags.Syn, 1000, payload: payload);
        var echoToNet = PacketBuilder.Icmpv6Echo(PodMac, EndpointMac, NodeIp, ClusterIp, reply: false, 77, 1, payload);
        return name switch
        {
            "tcpSyn" => syn,
            "tcpSynAck" => PacketBuilder.Tcp6(EndpointMac, PodMac, Endpoint, Client, 8080, 40000, TcpFlags.Syn | TcpFlags.Ack, 7, 1001),
            "tcpAck" => PacketBuilder.Tcp6(PodMac, EndpointMac, Client, ClusterIp, 40000, 80, TcpFlags.Ack, 1001, 8, payload: payload),
            "tcpSynAckToNode" => PacketBuilder.Tcp6(EndpointMac, PodMac, ClusterIp, NodeIp, 80, 1500, TcpFlags.Syn | TcpFlags.Ack, 7, 1001),
            "udpQuery" => PacketBuilder.Udp6(PodMac, EndpointMac, Client, ClusterIp, 5000, 53, payload),
            "udpAnswer" => PacketBuilder.Udp6(EndpointMac, PodMac, Endpoint, Client, 8080, 5000, payload),
            "udpAnswerFromClusterIp" => PacketBuilder.Udp6(EndpointMac, PodMac, ClusterIp, Client, 53, 5000, payload),
            "udpAnswerToNode" => PacketBuilder.Udp6(EndpointMac, PodMac, ClusterIp, NodeIp, 53, 1500, payload),
            "echoToClusterIp" => PacketBuilder.Icmpv6Echo(PodMac, EndpointMac, Client, ClusterIp, reply: false, 77, 1, payload),
            "echoReplyFromEndpoint" => PacketBuilder.Icmpv6Echo(EndpointMac, PodMac, Endpoint, Client, reply: true, 77, 1, payload),
            "echoReplyToNode" => PacketBuilder.Icmpv6Echo(EndpointMac, PodMac, ClusterIp, NodeIp, reply: true, 77, 1, payload),
            // Destination unreachable, port unreachable (RFC 4443 3.1), quoting the datagram as the endpoint received it.
            "portUnreachableFromEndpoint" => Icmpv6Error(EndpointMac, PodMac, Endpoint, Client, 1, 4, 0, udpToEndpoint),
            // Packet too big (RFC 4443 3.2), MTU 1280, quoting the SYN as the endpoint received it.
            "packetTooBigFromEndpoint" => Icmpv6Error(EndpointMac, PodMac, Endpoint, Client, 2, 0, 1280, synToEndpoint),
            // Time exceeded, hop limit (RFC 4443 3.3), quoting the echo as it left the node.
            "timeExceededFromRouter" => Icmpv6Error(EndpointMac, PodMac, Router, NodeIp, 3, 0, 0, echoToNet),
            _ => throw new ArgumentException($"no frame {name}", nameof(name)),
        };
    }

    private static byte[] Icmpv6Error(MacAddress src, MacAddress dst, Ipv6Address sip, Ipv6Address dip, byte type, byte code, uint word, byte[] quotedFrame)
    {
        var quoted = quotedFrame.AsSpan(EthernetHeader.Length);
        var l4 = new byte[8 + quoted.Length];
        l4[0] = type;
        l4[1] = code;
        BinaryPrimitives.WriteUInt32BigEndian(l4.AsSpan(4), word);
        quoted.CopyTo(l4.AsSpan(8));
        return PacketBuilder.Ipv6(src, dst, sip, dip, IpProtocols.Icmpv6, l4);
    }
}
