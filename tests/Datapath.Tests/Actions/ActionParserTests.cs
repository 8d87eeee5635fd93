using Datapath.Classifier;
using Datapath.Engine.Actions;
using Datapath.Packets;

namespace Datapath.Engine.Tests.Actions;

public sealed class ActionParserTests
{
    private static readonly PortMap s_ports = new([new("antrea-gw0", 2u), new("antrea-tun0", 1u)]);

    // Every action form of the seed flows (src/Antrea/Scenario/worker*.flows), printed back as loaded.
    [Theory]
    [InlineData("load:0x1->NXM_NX_REG0[0..15],resubmit(,10)")]
    [InlineData("move:NXM_NX_TUN_METADATA0[28..31]->NXM_NX_REG9[28..31],load:0->NXM_NX_REG0[0..15],load:0x1->NXM_NX_REG0[19],resubmit(,30)")]
    [InlineData("move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],mod_dl_src:aa:bb:cc:dd:ee:ff,load:0x2->NXM_OF_ARP_OP[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],load:0xaabbccddeeff->NXM_NX_ARP_SHA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],load:0xade0001->NXM_OF_ARP_SPA[],IN_PORT")]
    [InlineData("NORMAL")]
    [InlineData("drop")]
    [InlineData("ct(table=31,zone=65520)")]
    [InlineData("ct(commit,table=110,zone=65520,exec(load:0x20->NXM_NX_CT_MARK[]))")]
    [InlineData("load:0x4e9908c153be->NXM_OF_ETH_DST[],resubmit(,40)")]
    [InlineData("mod_dl_dst:4e:99:08:c1:53:be,load:0x2->NXM_NX_REG1[],load:0x1->NXM_NX_REG0[16],resubmit(,105)")]
    [InlineData("conjunction(1,1/3),conjunction(2,1/3)")]
    [InlineData("dec_ttl,mod_dl_src:4e:99:08:c1:53:be,mod_dl_dst:aa:bb:cc:dd:ee:ff,load:0x1->NXM_NX_REG1[],load:0x1->NXM_NX_REG0[16],load:0xa4f01ca->NXM_NX_TUN_IPV4_DST[],resubmit(,105)")]
    [InlineData("output:NXM_NX_REG1[]")]
    // Other ovs-actions(7) forms.
    [InlineData("set_field:0x1/0xffff->reg0,set_field:10.0.0.1->nw_dst,goto_table:5")]
    [InlineData("ct(commit,zone=NXM_NX_REG4[0..15],nat(dst=10.0.0.1-10.0.0.9:80-90,random))")]
    [InlineData("ct(nat),resubmit(2,7),resubmit(,7,ct),output:9,LOCAL,output:\"antrea-gw0\"")]
    [InlineData("push_vlan:0x8100,mod_vlan_vid:10,pop_vlan,strip_vlan,group:3,note:00.01.02,CONTROLLER:65535,mod_nw_tos:8,mod_tp_dst:8080,mod_nw_src:1.2.3.4")]
    public void Parses_and_prints_back_as_loaded(string text)
    {
        var list = ActionParser.Parse(text, s_ports);
        Assert.Equal(text, list.Format(s_ports));
    }

    [Fact]
    public void Load_writes_the_bit_range()
    {
        var list = ActionParser.Parse("load:0x1->NXM_NX_REG0[16],load:0x2->NXM_NX_REG0[0..15]", null);
        var key = new FlowKey();
        foreach (var a in list.Actions)
            ((SetFieldAction)a).Execute(ref key);
        Assert.Equal(0x10002u, key.Regs[0]);
    }

    [Theory]
    [InlineData("load:0x1->NXM_NX_REG99[]", 10, "unknown field")]
    [InlineData("resubmit(,10),output:nosuchport", 21, "unknown port 'nosuchport'")]
    [InlineData("load:0x10000->NXM_NX_REG0[0..15]", 5, "does not fit")]
    [InlineData("move:NXM_NX_REG0[0..3]->NXM_NX_REG1[0..4]", 5, "has 4 bits")]
    [InlineData("frobnicate", 0, "unknown action")]
    [InlineData("ct(commit,zone=70000)", 15, "out of range")]
    [InlineData("resubmit(,300)", 10, "out of range")]
    [InlineData("conjunction(1,4/3)", 14, "invalid")]
    [InlineData("check_pkt_larger(1500)", 0, "not supported")]
    public void Reports_errors_at_their_column_in_the_action_text(string text, int offset, string message)
    {
        var e = Assert.Throws<InputException>(() => ActionParser.Parse(text, s_ports));
        Assert.Contains(message, e.What, StringComparison.Ordinal);
        Assert.Equal(ActionParser.Fragment, e.File);
        Assert.Equal(1, e.Line);
        Assert.Equal(offset + 1, e.Column);
    }
}
