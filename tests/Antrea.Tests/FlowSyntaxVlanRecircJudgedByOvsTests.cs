using Datapath.Packets;
using static Datapath.Antrea.Tests.FlowSyntaxJudgedByOvsTests;

namespace Datapath.Antrea.Tests;

// Open vSwitch 3.1 judges the writes of the 802.1Q tag through OVS's fields (set_field vlan_vid/vlan_pcp/vlan_tci,
// load and move of OXM_OF_VLAN_VID/PCP), QinQ (a second push_vlan, a tag beyond the flow's two, vlan-limit 1), and the
// push/pop stack across a ct(table=N) recirculation (issue 15.4), as FlowSyntaxJudgedByOvsTests judges the rest: our
// print-back is what OVS dumps, what OVS refuses we refuse, and every port sends the frames OVS sends.
public sealed class FlowSyntaxVlanRecircJudgedByOvsTests
{
    /// <summary>A flow and the OpenFlow version of the dump ("nxm": ovs-ofctl's default).</summary>
    public static TheoryData<string, string> Printed => new()
    {
        // set_field:N->vlan_vid takes OpenFlow 1.2's present bit (0x1000) whether written or not, and prints in decimal.
        { "dl_vlan=3,actions=set_field:4101->vlan_vid", "of15" },
        { "vlan_tci=0x1000/0x1000,actions=set_field:3->vlan_pcp", "of15" },
        { "actions=set_field:0x1005->vlan_tci", "of15" },
        { "dl_vlan=3,actions=load:0x5->OXM_OF_VLAN_VID[]", "nxm" },
        { "dl_vlan=3,actions=push:OXM_OF_VLAN_VID[],pop:NXM_NX_REG0[0..11]", "nxm" },
        { "dl_vlan=3,actions=move:NXM_NX_REG0[0..11]->OXM_OF_VLAN_VID[]", "nxm" },
        // Two pushes without a tag in the match: the most OVS keeps, and only OpenFlow 1.1+ can carry them.
        { "actions=push_vlan:0x8100,push_vlan:0x88a8", "of15" },
        { "dl_vlan=5,actions=push_vlan:0x88a8,set_field:4103->vlan_vid", "of15" },
    };

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(Printed))]
    public void Our_dump_of_a_vlan_write_is_what_ovs_dumps_for_it(string flow, string version) => AssertOvsDumpsOurPrintBack(flow, version);

    /// <summary>What OVS refuses, refused with its reason: the flow, then the column and words of our error.</summary>
    public static TheoryData<string, string> Refused => new()
    {
        // check_SET_FIELD: vlan_vid and vlan_pcp need a tag in the match (or from an earlier action), also after a pop.
        { "actions=set_field:4101->vlan_vid", "1:9: set_field:4101->vlan_vid: actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT): set_field vlan_vid lacks correct prerequisites" },
        { "actions=set_field:3->vlan_pcp", "1:9: set_field:3->vlan_pcp: actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT): set_field vlan_pcp lacks correct prerequisites" },
        { "actions=load:0x5->OXM_OF_VLAN_VID[]", "1:9: load:0x5->OXM_OF_VLAN_VID[]: actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT)" },
        { "dl_vlan=5,actions=pop_vlan,set_field:4103->vlan_vid", "1:28: set_field:4103->vlan_vid: actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT)" },
        { "vlan_tci=0x1000/0x1000,actions=set_field:0->vlan_tci,set_field:3->vlan_pcp", "1:54: set_field:3->vlan_pcp: actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT)" },
        // Values outside the field.
        { "dl_vlan=5,actions=set_field:0x2000->vlan_vid", "1:29: set_field: 0x2000 is not a valid value for field vlan_vid" },
        { "dl_vlan=5,actions=set_field:8->vlan_pcp", "1:29: set_field: 8 is not a valid value for field vlan_pcp" },
        { "dl_vlan=5,actions=load:0x1000->OXM_OF_VLAN_VID[]", "1:24: load: value 0x1000 does not fit in 12 bits of OXM_OF_VLAN_VID[]" },
        { "dl_vlan=5,actions=load:8->OXM_OF_VLAN_PCP[]", "1:24: load: value 8 does not fit in 3 bits of OXM_OF_VLAN_PCP[]" },
        { "dl_vlan=5,actions=load:1->OXM_OF_VLAN_VID[12]", "1:43: bits 12..12 are outside OXM_OF_VLAN_VID, which has 12 bits" },
        // check_PUSH_VLAN: a third tag (OVS's flow keeps two).
        { "dl_vlan=5,actions=push_vlan:0x8100,push_vlan:0x8100", "1:36: push_vlan:0x8100: actions are invalid with specified match (OFPBAC_BAD_TAG)" },
        { "actions=push_vlan:0x8100,push_vlan:0x8100,push_vlan:0x88a8", "1:43: push_vlan:0x88a8: actions are invalid with specified match (OFPBAC_BAD_TAG)" },
        // dl_vlan_pcp has no OpenFlow encoding: OVS sends a malformed action its switch refuses (OFPBAC_BAD_SET_LEN).
        { "dl_vlan=1,actions=set_field:3->dl_vlan_pcp", "1:32: dl_vlan_pcp is a match field only" },
    };

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(Refused))]
    public void What_ovs_refuses_in_a_vlan_write_we_refuse_with_its_reason(string flow, string error) => AssertOvsAndWeRefuse(flow, error);

    /// <summary>Flows, then the frame that enters p1 (a name of <see cref="VlanFrame"/>).</summary>
    public static TheoryData<string, string> Frames => new()
    {
        // set_field through OVS's VLAN fields on a tagged packet; vlan_tci's present bit pushes a tag or pops it.
        { "dl_vlan=5,actions=set_field:4105->vlan_vid,output:2", "tagged5" },
        { "dl_vlan=5,actions=set_field:6->vlan_pcp,output:2", "tagged5" },
        { "dl_vlan=5,actions=load:0x9->OXM_OF_VLAN_VID[],load:0x2->OXM_OF_VLAN_PCP[],output:2", "tagged5" },
        { "dl_vlan=5,actions=load:0x7->NXM_NX_REG0[0..11],move:NXM_NX_REG0[0..11]->OXM_OF_VLAN_VID[],output:2", "tagged5" },
        { "dl_vlan=5,actions=push:OXM_OF_VLAN_VID[],pop:NXM_NX_REG1[0..11],output:NXM_NX_REG1[0..2]", "tagged5" },
        { "actions=set_field:0x6005->vlan_tci,output:2", "udp" },
        { "actions=set_field:0->vlan_tci,output:2", "tagged5" },
        { "actions=set_field:0x5->vlan_tci,output:2", "tagged5" },
        { "actions=load:0x1007->NXM_OF_VLAN_TCI[],output:2", "udp" },
        // vlan_pcp needs a tag: on an untagged packet the write is skipped.
        { "actions=resubmit(,1)\ntable=1,vlan_tci=0x1000/0x1000,actions=set_field:5->vlan_pcp,output:2\ntable=1,actions=pop_vlan,resubmit(,2)\ntable=2,actions=output:3", "tagged5" },
        // QinQ: a push onto a tagged packet adds a second tag (802.1ad or 802.1Q), dl_vlan then matches the new outer
        // one, and pop_vlan brings the old one back.
        { "actions=push_vlan:0x88a8,output:2", "tagged5" },
        { "actions=push_vlan:0x88a8,set_field:4105->vlan_vid,goto_table:1\ntable=1,dl_vlan=9,actions=output:2\ntable=1,actions=output:3", "tagged5" },
        { "actions=push_vlan:0x8100,mod_vlan_vid:9,pop_vlan,goto_table:1\ntable=1,dl_vlan=5,actions=output:2\ntable=1,actions=output:3", "tagged5" },
        { "actions=push_vlan:0x88a8,mod_vlan_vid:9,output:2,pop_vlan,output:3", "tagged5" },
        // A tag beyond the flow's two: OVS's commit pops both and pushes the outer back, so the original tag is lost.
        { "actions=push_vlan:0x8100,mod_vlan_vid:9,push_vlan:0x88a8,mod_vlan_vid:10,output:2", "tagged5" },
        { "actions=push_vlan:0x8100,mod_vlan_vid:9,output:3,push_vlan:0x88a8,mod_vlan_vid:10,output:2", "tagged5" },
        // vlan-limit 1 (OVS's default): the inner tag of a QinQ frame is payload, dl_type is its TPID; pushes keep it.
        { "dl_type=0x8100,actions=output:2\nactions=output:3", "qinq" },
        { "dl_vlan=5,actions=output:2\nactions=output:3", "qinq" },
        { "ip,actions=output:2\nactions=output:3", "qinq" },
        { "actions=push_vlan:0x8100,mod_vlan_vid:9,output:2", "qinq" },
        { "actions=push_vlan:0x8100,mod_vlan_vid:9,push_vlan:0x8100,mod_vlan_vid:10,output:2", "qinq" },
        { "actions=pop_vlan,output:2", "qinq" },
    };

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(Frames))]
    public void Every_port_sends_what_ovs_sends_after_a_vlan_write(string flows, string frame)
        => AssertEveryPortSendsWhatOvsSends(flows, VlanFrame(frame));

    /// <summary>
    /// Flows, then the frame that enters p1: the push/pop stack is frozen with a ct(table=N) recirculation and the pass it
    /// resumes pops it (OVS's frozen_state.stack). Not judged here: an action set at ct(table=N), on which OVS 3.1's
    /// ovs-vswitchd aborts (recirc_alloc_id__ asserts action_set_len <= ofpacts_len); FrozenStateTests has ours.
    /// </summary>
    public static TheoryData<string, string> RecircFrames => new()
    {
        { "ip,actions=load:0x2->NXM_NX_REG0[],push:NXM_NX_REG0[],load:0->NXM_NX_REG0[],ct(table=1)\ntable=1,actions=pop:NXM_NX_REG1[],output:NXM_NX_REG1[]", "udp" },
        { "ip,actions=load:0x3->NXM_NX_REG0[],push:NXM_NX_REG0[],ct(table=1)\ntable=1,ip,actions=load:0x2->NXM_NX_REG0[],push:NXM_NX_REG0[],ct(table=2)\ntable=2,actions=pop:NXM_NX_REG1[],pop:NXM_NX_REG2[],output:NXM_NX_REG1[],output:NXM_NX_REG2[]", "udp" },
        { "ip,actions=push:OXM_OF_VLAN_VID[],pop_vlan,ct(table=1)\ntable=1,actions=pop:NXM_NX_REG0[0..11],resubmit(,2)\ntable=2,reg0=5,vlan_tci=0,actions=output:2\ntable=2,actions=output:3", "tagged5" },
        { "ip,actions=push:NXM_NX_REG5[],ct(table=1)\ntable=1,actions=pop:NXM_NX_REG0[],pop:NXM_NX_REG1[],output:3", "udp" },
        // clone(ct(table=N)) forks: a copy recirculates (with the stack), the packet goes on after the clone untracked.
        { "ip,actions=clone(ct(table=1)),output:3\ntable=1,actions=output:2", "udp" },
        { "ip,actions=clone(ct(table=1),output:4),output:3\ntable=1,ct_state=+trk,actions=output:2", "udp" },
        { "ip,actions=load:0x2->NXM_NX_REG0[],push:NXM_NX_REG0[],clone(ct(table=1)),pop:NXM_NX_REG1[],output:NXM_NX_REG1[]\ntable=1,actions=pop:NXM_NX_REG2[],resubmit(,2)\ntable=2,reg2=2,actions=output:4\ntable=2,actions=output:3", "udp" },
        { "ip,actions=clone(ct(commit,nat(dst=10.10.0.9),table=1)),output:3\ntable=1,ct_state=+dnat,actions=output:2", "udp" },
        { "ip,actions=clone(ct(table=1)),clone(ct(zone=5,table=2)),output:3\ntable=1,actions=output:2\ntable=2,ct_zone=5,actions=output:4", "udp" },
    };

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(RecircFrames))]
    public void Every_port_sends_what_ovs_sends_when_the_stack_crosses_a_recirculation(string flows, string frame)
        => AssertEveryPortSendsWhatOvsSends(flows, VlanFrame(frame));

    /// <summary>Flows, then the frame that enters p1: ofproto/trace's "Datapath actions" of every pass, as `trace --format ovs` prints them.</summary>
    public static TheoryData<string, string> TracedDatapathActions => new()
    {
        { "actions=push_vlan:0x88a8,output:2", "tagged5" },
        { "actions=push_vlan:0x8100,mod_vlan_vid:12,output:3", "udp" },
        { "actions=set_field:0x1005->vlan_tci,output:2", "udp" },
        { "actions=set_field:0->vlan_tci,output:2", "tagged5" },
        { "ip,actions=push_vlan:0x88a8,set_field:4105->vlan_vid,clone(ct(table=1)),push_vlan:0x8100,mod_vlan_vid:10,output:3\ntable=1,ct_state=+trk,actions=pop_vlan,output:2", "tagged5" },
        { "ip,actions=clone(ct(table=1)),output:3\ntable=1,actions=output:2", "udp" },
    };

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(TracedDatapathActions))]
    public void Our_ovs_trace_datapath_actions_are_what_ofproto_trace_prints(string flows, string frame)
    {
        byte[] f = VlanFrame(frame);
        using var ovs = StartOvs();
        var br = LoadInBoth(ovs, flows);
        string[] theirs = [.. ovs.Appctl("ofproto/trace", ovs.Bridge, "in_port=1", Convert.ToHexString(f)).Split('\n')
            .Where(l => l.StartsWith("Datapath actions: ", StringComparison.Ordinal)).Select(WithoutRecircIds)];

        using var node = new Engine.Node("n", br, Ipv4Address.Parse("192.0.2.1"), MacAddress.Parse("02:00:00:00:00:01"));
        var trace = new Engine.Tracing.Trace();
        node.Process(1, f, null, 0, trace);
        string[] ours = [.. trace.Passes.Select(p => WithoutRecircIds("Datapath actions: " + (p.OvsDatapathActions ?? "drop")))];
        Assert.Equal(theirs, ours);
    }

    // recirc ids count over the daemon's life in OVS: compared as the same shape.
    private static string WithoutRecircIds(string line) => System.Text.RegularExpressions.Regex.Replace(line.Trim(), @"recirc\(0x[0-9a-f]+\)", "recirc(ID)");

    /// <summary>The shared frames, and "qinq": the UDP frame under an 802.1ad tag (VID 5) over an 802.1Q one (VID 100).</summary>
    internal static byte[] VlanFrame(string name)
        => name == "qinq" ? PacketBuilder.WithVlan(PacketBuilder.WithVlan(Frame("udp"), 100), 5, EtherTypes.QinQ) : Frame(name);
}
