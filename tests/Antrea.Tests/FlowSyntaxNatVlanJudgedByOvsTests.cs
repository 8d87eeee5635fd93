using static Datapath.Antrea.Tests.FlowSyntaxJudgedByOvsTests;

namespace Datapath.Antrea.Tests;

// Open vSwitch 3.1 judges ct(nat) without an address (issue 15.4) as FlowSyntaxJudgedByOvsTests judges the rest:
// our print-back is what OVS dumps, what OVS refuses we refuse, and every port sends the frames OVS sends.
public sealed class FlowSyntaxNatVlanJudgedByOvsTests
{
    /// <summary>A flow and the OpenFlow version of the dump ("nxm": ovs-ofctl's default).</summary>
    public static TheoryData<string, string> Printed => new()
    {
        { "ip,actions=ct(commit,nat(src))", "nxm" },
        { "ip,actions=ct(commit,nat(dst))", "nxm" },
        // format_NAT prints the flags only after an address: nat(src,random) dumps as nat(src).
        { "ip,actions=ct(commit,nat(src,random))", "nxm" },
        { "ip,actions=ct(commit,nat(src=10.0.0.1:80-80))", "of15" },
    };

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(Printed))]
    public void Our_dump_of_a_nat_flow_is_what_ovs_dumps_for_it(string flow, string version) => AssertOvsDumpsOurPrintBack(flow, version);

    /// <summary>What OVS refuses, refused with its reason: the flow, then the column and words of our error.</summary>
    public static TheoryData<string, string> Refused => new()
    {
        // OVS check_NAT: an IPv4 range under a match that is not ip.
        { "ipv6,actions=ct(commit,nat(src=10.0.0.1))", "1:14: ct(commit,nat(src=10.0.0.1)): actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT)" },
        { "ip,actions=ct(commit,nat(src,dst))", "1:22: ct: nat: only one of src= and dst= may be given" },
        { "ip,actions=ct(commit,nat(random))", "1:22: ct: nat: flags need src= or dst=" },
    };

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(Refused))]
    public void What_ovs_refuses_in_nat_we_refuse_with_its_reason(string flow, string error) => AssertOvsAndWeRefuse(flow, error);

    /// <summary>Flows, then the frame that enters p1 (a name of <see cref="FlowSyntaxJudgedByOvsTests.Frame"/>).</summary>
    public static TheoryData<string, string> Frames => new()
    {
        // nat(src)/nat(dst) without an address keep the tuple when it is free, and mark the packet +snat/+dnat.
        { "ip,actions=ct(commit,nat(src)),output:2", "udp" },
        { "ip,actions=ct(commit,nat(dst),table=1)\ntable=1,ct_state=+dnat,ip,actions=output:2\ntable=1,actions=output:3", "udp" },
        { "ip,actions=ct(commit,nat(src),table=1)\ntable=1,ct_state=+snat,ip,actions=output:2\ntable=1,actions=output:3", "udp" },
        { "ip,actions=ct(commit,nat(src=10.10.0.9:5000),table=1)\ntable=1,ct_state=+snat,ip,actions=output:2\ntable=1,actions=output:3", "udp" },
    };

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(Frames))]
    public void Every_port_sends_what_ovs_sends_after_nat(string flows, string frame)
        => AssertEveryPortSendsWhatOvsSends(flows, Frame(frame));
}
