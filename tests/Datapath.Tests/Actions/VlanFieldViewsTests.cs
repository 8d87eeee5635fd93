using Datapath.Classifier;
using Datapath.Engine.Actions;
using Datapath.Packets;

namespace Datapath.Engine.Tests.Actions;

/// <summary>
/// OVS's VLAN fields as views of vlan_tci: how they parse, print and write, and what OVS accepts but cannot mean
/// (set_field to dl_vlan, which ovs-ofctl sends as a write of in_port), which the OVS-judged tests cannot show.
/// </summary>
public sealed class VlanFieldViewsTests
{
    [Theory]
    [InlineData("set_field:5->vlan_vid", "set_field:4101->vlan_vid")]
    [InlineData("set_field:0x1005->vlan_vid", "set_field:4101->vlan_vid")]
    [InlineData("set_field:0x1000/0x1000->vlan_vid", "set_field:4096/0x1000->vlan_vid")]
    [InlineData("set_field:7->vlan_pcp", "set_field:7->vlan_pcp")]
    [InlineData("load:0x2->OXM_OF_VLAN_PCP[]", "load:0x2->OXM_OF_VLAN_PCP[]")]
    [InlineData("load:0x1->OXM_OF_VLAN_PCP[2]", "load:0x1->OXM_OF_VLAN_PCP[2]")]
    [InlineData("move:NXM_NX_REG0[0..3]->OXM_OF_VLAN_VID[4..7]", "move:NXM_NX_REG0[0..3]->OXM_OF_VLAN_VID[4..7]")]
    public void Prints_as_ovs_dumps_it(string text, string printed)
        => Assert.Equal(printed, ActionParser.Parse(text, null).Format(null));

    [Fact]
    public void The_views_write_their_bits_of_vlan_tci()
    {
        var key = new FlowKey { VlanTci = 0x1005 };
        foreach (var a in ActionParser.Parse("set_field:9->vlan_vid,load:0x3->OXM_OF_VLAN_PCP[],load:0x1->OXM_OF_VLAN_VID[11]", null).Items)
            ((SetFieldAction)a).Execute(ref key);
        Assert.Equal(0x6000 | 0x1000 | 0x800 | 9, key.VlanTci);
    }

    [Theory]
    [InlineData("set_field:5->dl_vlan", "dl_vlan is a match field only")]
    [InlineData("load:0x5->dl_vlan[]", "dl_vlan is a match field only")]
    [InlineData("move:NXM_NX_REG0[0..2]->dl_vlan_pcp[]", "dl_vlan_pcp is a match field only")]
    public void Writing_a_match_only_vlan_field_is_refused(string text, string error)
    {
        var e = Assert.Throws<InputException>(() => ActionParser.Parse(text, null));
        Assert.Contains(error, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bridge_with_vlan_limit_2_parses_both_tags_of_a_qinq_frame()
    {
        // OVS's other_config:vlan-limit=2: the inner tag is in the flow, so the frame is ip; with the default (1) it is
        // dl_type 0x8100 (the OVS-judged tests show that one).
        MacAddress a = MacAddress.Parse("02:00:00:00:00:0a"), b = MacAddress.Parse("02:00:00:00:00:0b");
        var frame = PacketBuilder.WithVlan(PacketBuilder.WithVlan(PacketBuilder.Udp(a, b, Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), 1, 2, new byte[8]), 100), 5, EtherTypes.QinQ);
        var br = new Bridge { VlanLimit = 2 };
        br.AddPort(1, "p1", a, PortKind.Pod);
        br.AddPort(2, "p2", b, PortKind.Pod);
        br.AddPort(3, "p3", b, PortKind.Pod);
        using (var r = new StringReader("ip,dl_vlan=5,actions=pop_vlan,goto_table:1\ntable=1,dl_vlan=100,actions=output:2\nactions=output:3"))
            br.LoadFlows(r, "limit.flows");
        using var node = new Node("n", br, Ipv4Address.Parse("192.0.2.1"), a);
        var trace = new Tracing.Trace();
        Assert.Equal(1, node.Process(1, frame, null, 0, trace).Outputs);
        Assert.Equal(2u, Assert.Single(trace.Outputs).OfPort);
        br.VlanLimit = 1;
        trace = new Tracing.Trace();
        node.Process(1, frame, null, 0, trace);
        Assert.Equal(3u, Assert.Single(trace.Outputs).OfPort);
    }
}
