using Datapath.Engine.Tracing;
using Datapath.Packets;

namespace Datapath.Engine.Tests;

// Two ovs-actions(7) details of the translator, each checked against what OVS 3.1's
// `ovs-appctl ofproto/trace` answers for the same flows (on a dummy-datapath bridge with ports 1, 2
// and 3; the expected datapath actions are quoted in each test): resubmit(port) sets in_port for its
// lookup only, and dec_ttl at TTL 0 or 1 is a packet-in (OFPR_INVALID_TTL) that stops only its own
// action list.
public sealed partial class BridgeTests
{
    [Fact]
    public void Resubmit_with_a_port_changes_in_port_for_its_lookup_only()
    {
        // OVS 3.1: "0. in_port=1 resubmit:2 / 0. in_port=2 resubmit(,1) / 1. in_port=1 output:3",
        // "Datapath actions: 3": the rule found with in_port=2 runs with the packet's in_port, 1.
        Load("in_port=1,actions=resubmit(2)\nin_port=2,actions=resubmit(,1)\ntable=1,in_port=1,actions=output:3");
        var trace = new Trace();
        var v = _node.Process(1, Tcp(), null, 0, trace);
        Assert.Equal(1, v.Outputs);
        Assert.Equal(3u, Assert.Single(trace.Outputs).OfPort);
        Assert.Equal(new int?[] { 0, 0, 1 }, trace.Steps.Where(s => s.Kind == TraceKind.OpenFlow).Select(s => s.Table).ToArray());
    }

    [Fact]
    public void Output_in_port_after_resubmit_with_a_port_is_the_packets_own_port()
    {
        // The looked-up rule's IN_PORT is the original in_port (OVS: "otherwise OFPP_NORMAL and
        // OFPP_IN_PORT will have surprising behavior").
        Load("in_port=1,actions=resubmit(2)\nin_port=2,actions=output:IN_PORT");
        var trace = new Trace();
        Assert.Equal(1, _node.Process(1, Tcp(), null, 0, trace).Outputs);
        Assert.Equal(1u, Assert.Single(trace.Outputs).OfPort);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public void Dec_ttl_at_ttl_0_or_1_is_a_counted_packet_in_and_no_output(byte ttl)
    {
        // OVS 3.1: ">> IPv4 decrement TTL exception", "Datapath actions: userspace(pid=0,controller(reason=2,...))".
        Load("ip,in_port=1,actions=dec_ttl,output:3");
        var v = _node.Process(1, Tcp(ttl), null, 0);
        Assert.Equal(0, v.Outputs);
        Assert.Equal((DropReason?)DropReason.TtlExpired, v.DropReason);
        Assert.Equal(1, Br.Punts);
        Assert.Equal(1, Br.Drops.Get(DropReason.TtlExpired));
    }

    [Fact]
    public void Dec_ttl_expiry_inside_a_resubmit_lets_the_outer_actions_go_on()
    {
        // OVS 3.1 for nw_ttl=0: "Datapath actions: userspace(...controller(reason=2...)),1": the
        // outer list's output:3 runs after the inner list stopped at dec_ttl.
        Load("ip,in_port=1,actions=resubmit(,1),output:3\ntable=1,ip,actions=dec_ttl,output:2");
        var trace = new Trace();
        var v = _node.Process(1, Tcp(ttl: 1), null, 0, trace);
        Assert.Equal(1, v.Outputs);
        Assert.Equal(3u, Assert.Single(trace.Outputs).OfPort);
        Assert.Equal(1, Br.Punts);
        Assert.Equal(0, Br.Drops.Get(DropReason.TtlExpired));
    }

    [Fact]
    public void Dec_ttl_above_1_decrements_and_sends_no_packet_in()
    {
        Load("ip,in_port=1,actions=dec_ttl,output:3");
        var trace = new Trace();
        Assert.Equal(1, _node.Process(1, Tcp(ttl: 2), null, 0, trace).Outputs);
        Assert.Equal(1, trace.Outputs[0].Frame[22]);
        Assert.Equal(0, Br.Punts);
    }
}
