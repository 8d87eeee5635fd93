using Datapath.Classifier;
using Datapath.Engine.Actions;
using Datapath.Packets;

namespace Datapath.Engine.Tests.Actions;

// learn(...) as OVS 3.1 reads and prints it. The expected texts are what `ovs-ofctl dump-flows` printed for
// these lines on an OVS 3.1 bridge; the judged theory asks ovs-ofctl itself (parse-flow) to read our printed
// line and print it back: the same text, so what we print loads into OVS unchanged.
public sealed class LearnActionTests
{
    private static readonly TableNameMap s_antrea = new([new(41, "SessionAffinity"), new(42, "ServiceLB")]);

    public static TheoryData<string, string, string> Cases => new()
    {
        // (the match of the learning flow, the learn as written, as OVS prints it)
        { "tcp", "learn(table=SessionAffinity,hard_timeout=300,priority=200,delete_learned,cookie=0x203000000000a,eth_type=0x800,nw_proto=6,NXM_OF_TCP_DST[],NXM_OF_IP_DST[],NXM_OF_IP_SRC[],load:NXM_NX_REG4[0..15]->NXM_NX_REG4[0..15],load:NXM_NX_REG4[26]->NXM_NX_REG4[26],load:NXM_NX_REG3[]->NXM_NX_REG3[],load:0x2->NXM_NX_REG4[16..18],load:0x1->NXM_NX_REG0[9])",
          "learn(table=41,hard_timeout=300,priority=200,delete_learned,cookie=0x203000000000a,eth_type=0x800,nw_proto=6,NXM_OF_TCP_DST[],NXM_OF_IP_DST[],NXM_OF_IP_SRC[],load:NXM_NX_REG4[0..15]->NXM_NX_REG4[0..15],load:NXM_NX_REG4[26]->NXM_NX_REG4[26],load:NXM_NX_REG3[]->NXM_NX_REG3[],load:0x2->NXM_NX_REG4[16..18],load:0x1->NXM_NX_REG0[9])" },
        { "", "learn(table=1,idle_timeout=10,hard_timeout=20,fin_idle_timeout=5,fin_hard_timeout=6,priority=7,send_flow_rem,cookie=0x5,limit=10,result_dst=reg0[1],NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[])",
          "learn(table=1,idle_timeout=10,hard_timeout=20,fin_idle_timeout=5,fin_hard_timeout=6,priority=7,send_flow_rem,cookie=0x5,limit=10,result_dst=NXM_NX_REG0[1],NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[])" },
        { "", "learn(NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],in_port=99,dl_dst=00:11:22:33:44:55,reg1[3..7]=0x5,eth_type=0x800,nw_src=10.0.0.1,load:0x1->reg2[],load:0x1234->reg3[0..15])",
          "learn(table=1,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],in_port=99,eth_dst=00:11:22:33:44:55,NXM_NX_REG1[3..7]=0x5,eth_type=0x800,ip_src=10.0.0.1,load:0x1->NXM_NX_REG2[],load:0x1234->NXM_NX_REG3[0..15])" },
        { "", "learn(table=3,eth_type=0x800,reg0=5,nw_proto=6,tcp_dst=80,NXM_NX_REG5[]=NXM_NX_REG6[],tun_id=0x10,load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[])",
          "learn(table=3,eth_type=0x800,reg0=0x5,nw_proto=6,tcp_dst=80,NXM_NX_REG5[]=NXM_NX_REG6[],tun_id=0x10,load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[])" },
        { "ipv6", "learn(table=10,delete_learned,eth_type=0x86dd,nw_proto=17,OXM_OF_IPV6_SRC[],ct_mark=3,reg0[0..1]=3,ipv6_src=fe80::1,vlan_tci=0x1005)",
          "learn(table=10,delete_learned,eth_type=0x86dd,nw_proto=17,NXM_NX_IPV6_SRC[],ct_mark=0x3,NXM_NX_REG0[0..1]=0x3,ipv6_src=fe80::1,vlan_tci=0x1005)" },
        { "ip", "learn(table=10,dl_type=0x800,NXM_OF_IP_SRC[]=NXM_OF_IP_DST[],NXM_OF_IP_DST[0..7]=NXM_OF_IP_SRC[8..15],nw_proto=6,tp_src=0x50,output:reg0[0..15],load:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],load:0xff->NXM_NX_REG0[8..15],load:0->NXM_NX_REG1[],load:0x1->reg2[0])",
          "learn(table=10,eth_type=0x800,NXM_OF_IP_SRC[]=NXM_OF_IP_DST[],NXM_OF_IP_DST[0..7]=NXM_OF_IP_SRC[8..15],nw_proto=6,tcp_src=80,output:NXM_NX_REG0[0..15],load:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],load:0xff->NXM_NX_REG0[8..15],load:0->NXM_NX_REG1[],load:0x1->NXM_NX_REG2[0])" },
        { "", "learn(table=0,priority=32768,idle_timeout=0,hard_timeout=65535,cookie=0,eth_src=00:00:00:00:00:01,reg0=0x1,eth_type=0x800,ip_src=1.2.3.4)",
          "learn(table=0,hard_timeout=65535,eth_src=00:00:00:00:00:01,reg0=0x1,eth_type=0x800,ip_src=1.2.3.4)" },
        { "", "learn(table=0,NXM_OF_IN_PORT[]=NXM_NX_REG0[0..15],load:NXM_NX_REG0[0..15]->NXM_OF_IN_PORT[],output:NXM_NX_REG1[0..15],reg5[0..15]=0xff,NXM_OF_ETH_TYPE[]=0x800)",
          "learn(table=0,NXM_OF_IN_PORT[]=NXM_NX_REG0[0..15],load:NXM_NX_REG0[0..15]->NXM_OF_IN_PORT[],output:NXM_NX_REG1[0..15],NXM_NX_REG5[0..15]=0xff,eth_type=0x800)" },
        { "udp", "learn(table=2,eth_type=0x800,nw_proto=17,NXM_OF_UDP_DST[],udp_src=53)",
          "learn(table=2,eth_type=0x800,nw_proto=17,NXM_OF_UDP_DST[],udp_src=53)" },
    };

    private static IPortMap Names => new PortMap([], s_antrea);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Prints_as_OVS_3_1_prints_it(string match, string written, string printed)
    {
        var learn = Assert.IsType<LearnAction>(Assert.Single(ActionParser.Parse(written, Names).Actions));
        Assert.Equal(printed, learn.ToString());
        Assert.Null(learn.Check(new FlowParserMatch(match).Match));
        // Printed again, it parses to the same text (a round trip of our own).
        Assert.Equal(printed, ActionParser.Parse(printed, Names).Format(null));
    }

    [Fact]
    public void Table_names_print_when_names_are_shown()
    {
        var list = ActionParser.Parse("learn(table=SessionAffinity,NXM_OF_IP_SRC[],eth_type=0x800)", Names);
        Assert.StartsWith("learn(table=SessionAffinity,", list.Format(Names), StringComparison.Ordinal);
    }

    [OvsOfctlTheory]
    [MemberData(nameof(Cases))]
    public void Ovs_ofctl_reads_what_we_print_and_prints_it_the_same(string match, string written, string printed)
    {
        _ = written;
        string flow = (match.Length > 0 ? match + "," : "") + "actions=" + printed;
        var (ok, output) = OvsOfctl.ParseFlow(flow);
        Assert.True(ok, output);
        Assert.Contains("actions=" + printed, output, StringComparison.Ordinal);
    }

    // What OVS refuses, refused with its reason.
    [Theory]
    [InlineData("", "learn(table=1,nw_dst=10.0.0.0/8)", "wildcards not allowed here")]
    [InlineData("", "learn(table=1,NXM_OF_IP_SRC[],eth_type=0x800)", "prerequisites")]
    [InlineData("", "learn(table=1,eth_type=0x800,NXM_OF_IP_SRC[])", "source field nw_src lacks correct prerequisites")]
    [InlineData("", "learn(table=255,NXM_OF_ETH_SRC[])", "table 255")]
    [InlineData("", "learn(table=1,result_dst=reg0[0..1],NXM_OF_ETH_SRC[])", "single bit")]
    [InlineData("", "learn(table=1,NXM_NX_REG0[0..3]=NXM_NX_REG1[0..4])", "differ")]
    [InlineData("", "learn(table=1,load:0x10->NXM_NX_REG0[0..3])", "does not fit into 4 bits")]
    [InlineData("", "learn(table=1,load:NXM_NX_REG0[]->NXM_NX_CT_STATE[])", "read-only")]
    [InlineData("", "learn(table=1,ip,NXM_OF_IP_SRC[])", "unknown keyword ip")]
    [InlineData("", "learn(table=1,reg1[0..3]=0x1f)", "does not fit into 4 bits")]
    public void Refuses_what_ovs_refuses(string match, string written, string why)
    {
        var e = Assert.Throws<InputException>(() =>
        {
            var list = ActionParser.Parse(written, null);
            ActionValidator.Check(list, new FlowParserMatch(match).Match);
        });
        Assert.Contains(why, e.What, StringComparison.Ordinal);
    }

    [Fact]
    public void Execute_builds_the_flow_of_antreas_session_affinity_from_the_packet()
    {
        var learn = (LearnAction)ActionParser.Parse((string)Cases.First()[1], Names).Actions[0];
        var key = new FlowKey { EthType = EtherTypes.IPv4, NwProto = IpProtocols.Tcp, NwSrc = Ipv4Address.Parse("10.10.0.1").Value, NwDst = Ipv4Address.Parse("10.96.76.15").Value, TpDst = 80 };
        key.Regs[4] = 0x4000050; // EndpointPortField 80, and bit 26
        key.Regs[3] = Ipv4Address.Parse("10.10.0.5").Value; // EndpointIPField
        var flow = learn.Execute(in key);
        Assert.Equal(41, flow.Table);
        Assert.Equal("tcp,nw_src=10.10.0.1,nw_dst=10.96.76.15,tp_dst=80", flow.Match.Format(null, flow.Priority).Replace("priority=200,", "", StringComparison.Ordinal));
        Assert.Equal("load:0x50->NXM_NX_REG4[0..15],load:0x1->NXM_NX_REG4[26],load:0xa0a0005->NXM_NX_REG3[],load:0x2->NXM_NX_REG4[16..18],load:0x1->NXM_NX_REG0[9]", flow.ActionsText);
        Assert.Equal("table=41 tcp,nw_src=10.10.0.1,nw_dst=10.96.76.15,tp_dst=80 priority=200 cookie=0x203000000000a hard=300 actions=" + flow.ActionsText, flow.TraceText());
    }

    /// <summary>A learning flow's match, from flow syntax.</summary>
    private sealed class FlowParserMatch(string text)
    {
        public Match Match { get; } = text.Length == 0 ? Match.CatchAll : FlowParser.Parse(text + ",actions=drop", null).Match;
    }
}
