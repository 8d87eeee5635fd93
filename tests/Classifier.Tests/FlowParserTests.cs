using Datapath.Packets;

namespace Datapath.Classifier.Tests;

public class FlowParserTests
{
    [Fact]
    public void Seed_typo_w_dst_names_file_line_column_and_suggests_nw_dst()
    {
        // 001_79d0fd082dcdd7df.txt, table 40: the article's dump has "w_dst=" for "nw_dst=".
        const string line = " cookie=0x1040000000000, table=40, priority=200,ip,w_dst=10.96.0.0/12 actions=mod_dl_dst:4e:99:08:c1:53:be,resubmit(,105)";
        var ex = Assert.Throws<InputException>(() => FlowParser.Parse(line, null, "seed.flows", 7));
        Assert.Equal("seed.flows:7:52: unknown field 'w_dst' (did you mean nw_dst?)", ex.ToString());
    }

    [Fact]
    public void Violated_prerequisite_is_rejected_with_OVS_reason()
    {
        var ex = Assert.Throws<InputException>(() => FlowParser.Parse("priority=10,tp_dst=80 actions=drop", null, "x", 3));
        Assert.Equal(13, ex.Column);
        Assert.StartsWith("tp_dst: prerequisites not met (OFPBMC_BAD_PREREQ", ex.What, StringComparison.Ordinal);
    }

    [Fact]
    public void Prerequisite_given_after_the_field_is_accepted()
    {
        ParsedFlow f = FlowParser.Parse("tp_dst=80,tcp actions=drop", null);
        Assert.Equal("tcp,tp_dst=80", f.Match.Format(null));
    }

    [Fact]
    public void Missing_actions_is_an_error()
    {
        var ex = Assert.Throws<InputException>(() => FlowParser.Parse("ip,nw_src=10.0.0.1", null));
        Assert.Contains("must specify an action", ex.What, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_flows_stats_are_accepted_and_kept()
    {
        ParsedFlow f = FlowParser.Parse(
            " cookie=0x1000000000000, duration=3.250s, table=31, n_packets=12, n_bytes=1404, idle_age=1, priority=210,ct_state=-new+trk,ct_mark=0x20,ip,reg0=0x1/0xffff actions=resubmit(,40)",
            null);
        Assert.Equal(31, f.TableId);
        Assert.Equal(210, f.Priority);
        Assert.Equal(12, f.PacketCount);
        Assert.Equal(1404, f.ByteCount);
        Assert.Equal(TimeSpan.FromMilliseconds(3250), f.Duration);
        Assert.Equal("resubmit(,40)", f.ActionsText);
        Assert.Equal(0x1u, (uint)f.Match.GetValue(FieldId.Reg0));
        Assert.Equal(0xffffu, (uint)f.Match.GetMask(FieldId.Reg0));
        Assert.Equal((uint)CtStateFlags.Tracked, (uint)f.Match.GetValue(FieldId.CtState));
        Assert.Equal((uint)(CtStateFlags.Tracked | CtStateFlags.New), (uint)f.Match.GetMask(FieldId.CtState));
    }

    [Fact]
    public void Conjunction_clauses_are_extracted()
    {
        ParsedFlow f = FlowParser.Parse("table=50, priority=200,ip,nw_src=10.222.1.48 actions=conjunction(1,1/3),conjunction(2,1/3)", null);
        Assert.Equal([new Conjunction(1, 1, 3), new Conjunction(2, 1, 3)], f.Conjunctions);
    }

    [Theory]
    [InlineData("conjunction(1,1/1)", "conjunction must have at least 2 clauses")]
    [InlineData("conjunction(1,1/65)", "conjunction must have at most 64 clauses")]
    [InlineData("conjunction(1,0/2)", "clause index must be positive")]
    [InlineData("conjunction(1,3/2)", "clause index must be less than or equal to number of clauses")]
    [InlineData("conjunction(1)", "\"conjunction\" syntax is \"conjunction(id,i/n)\"")]
    [InlineData("conjunction(1,1/2),output:3", "\"conjunction\" actions may be used along with \"note\" but not any other kind of action (such as the \"output\" action used here)")]
    public void Conjunction_errors_use_OVS_wording(string actions, string message)
    {
        var ex = Assert.Throws<InputException>(() => FlowParser.Parse("ip actions=" + actions, null));
        Assert.Equal(message, ex.What);
    }

    [Fact]
    public void Conjunction_with_note_is_allowed()
    {
        ParsedFlow f = FlowParser.Parse("ip actions=note:01.02,conjunction(7,2/2)", null);
        Assert.Equal([new Conjunction(7, 2, 2)], f.Conjunctions);
    }

    [Theory]
    [InlineData("priority=5,ip,nw_src=10.0.0.0/8", "priority=5,ip,nw_src=10.0.0.0/8")]
    [InlineData("ip,nw_dst=10.0.1.0/255.0.255.0", "ip,nw_dst=10.0.1.0/255.0.255.0")]
    [InlineData("tcp,tp_dst=0x50/0xfff0", "tcp,tp_dst=0x50/0xfff0")]
    [InlineData("dl_dst=01:00:00:00:00:00/01:00:00:00:00:00", "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00")]
    [InlineData("NXM_NX_REG0=0x10000/0x10000,ip", "ip,reg0=0x10000/0x10000")]
    [InlineData("reg3=0", "reg3=0")]
    [InlineData("ct_state=+new-est,ip", "ct_state=+new-est,ip")]
    [InlineData("ct_state=0x21,ip", "ct_state=new|trk,ip")]
    [InlineData("tcp,tcp_flags=+syn-ack", "tcp,tcp_flags=+syn-ack")]
    [InlineData("ipv6,ipv6_src=fe80::/64", "ipv6,ipv6_src=fe80::/64")]
    [InlineData("icmp6,icmpv6_type=135,nd_target=fe80::1", "icmp6,icmp_type=135,nd_target=fe80::1")]
    [InlineData("icmp,icmp_type=8", "icmp,icmp_type=8")]
    [InlineData("ip,nw_frag=later", "ip,nw_frag=later")]
    [InlineData("udp6,tp_src=53", "udp6,tp_src=53")]
    [InlineData("arp,arp_op=2,arp_tpa=10.0.0.1", "arp,arp_tpa=10.0.0.1,arp_op=2")]
    [InlineData("dl_type=0x88cc", "dl_type=0x88cc")]
    [InlineData("in_port=LOCAL", "in_port=LOCAL")]
    [InlineData("in_port=7,tun_id=0x5,tun_dst=10.0.0.2", "tun_id=0x5,tun_dst=10.0.0.2,in_port=7")]
    [InlineData("in_port=7,tun_ipv6_dst=fd00::2,tun_flags=+oam,tun_ipv6_src=fd00::/64,tun_id=0x5", "tun_id=0x5,tun_ipv6_src=fd00::/64,tun_ipv6_dst=fd00::2,tun_flags=+oam,in_port=7")]
    [InlineData("NXM_NX_TUN_IPV6_DST=fd00::2", "tun_ipv6_dst=fd00::2")]
    [InlineData("conj_id=9,ip", "conj_id=9,ip")]
    [InlineData("priority=32768,ip", "ip")]
    public void Matches_print_in_OVS_order_and_form(string input, string printed)
    {
        ParsedFlow f = FlowParser.Parse(input + " actions=drop", null);
        Assert.Equal(printed, f.Match.Format(null, f.Priority));
        ParsedFlow again = FlowParser.Parse(printed + " actions=drop", null);
        Assert.Equal(f.Match, again.Match);
    }

    [Fact]
    public void Unknown_port_name_is_an_error_at_the_value()
    {
        var ex = Assert.Throws<InputException>(() => FlowParser.Parse("in_port=\"nope\" actions=drop", Scenario.Worker1Ports));
        Assert.Equal(9, ex.Column);
        Assert.Contains("unknown port 'nope'", ex.What, StringComparison.Ordinal);
    }

    [Fact]
    public void Masking_an_unmaskable_field_is_an_error()
    {
        var ex = Assert.Throws<InputException>(() => FlowParser.Parse("ip,nw_proto=6/0xf0 actions=drop", null));
        Assert.Contains("does not support masking", ex.What, StringComparison.Ordinal);
    }
}
