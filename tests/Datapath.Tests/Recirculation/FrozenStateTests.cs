using Datapath.Packets;

namespace Datapath.Engine.Tests.Recirculation;

/// <summary>
/// What a ct(table=N) recirculation freezes besides the table and the registers (OVS's frozen_state): the push/pop
/// stack and the action set come back in the pass it resumes, and name its recirc_id, so the flow cache keeps two
/// packets with different stacks apart.
/// </summary>
public sealed class FrozenStateTests : IDisposable
{
    private static readonly MacAddress A = MacAddress.Parse("02:00:00:00:00:0a"), B = MacAddress.Parse("02:00:00:00:00:0b");
    private readonly Node _node;
    private readonly Ports _sent = new();

    public FrozenStateTests()
    {
        var br = new Bridge();
        for (uint p = 1; p <= 4; p++)
            br.AddPort(p, "p" + p, p % 2 == 1 ? A : B, PortKind.Pod);
        _node = new Node("n", br, Ipv4Address.Parse("192.0.2.1"), A);
    }

    public void Dispose() => _node.Dispose();

    private static byte[] Udp(ushort sport = 4000)
        => PacketBuilder.Udp(A, B, Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), sport, 53, new byte[8]);

    private void Load(string flows)
    {
        using var r = new StringReader(flows);
        _node.Bridge.LoadFlows(r, "frozen.flows");
    }

    [Fact]
    public void The_stack_pushed_before_ct_table_is_popped_in_the_pass_it_resumes()
    {
        // reg0 is cleared before ct(): only the stack carries the 2 into table 1, whose pops read it back.
        Load("ip,actions=load:0x2->NXM_NX_REG0[],push:NXM_NX_REG0[],load:0x4->NXM_NX_REG0[],push:NXM_NX_REG0[],load:0->NXM_NX_REG0[],ct(table=1)\n"
             + "table=1,actions=pop:NXM_NX_REG1[],pop:NXM_NX_REG2[],output:NXM_NX_REG2[],output:NXM_NX_REG1[]");
        Assert.Equal(2, _node.Process(1, Udp(), _sent, 0).Outputs);
        Assert.Equal([2u, 4u], _sent.Taken());
    }

    [Fact]
    public void Packets_with_different_stacks_resume_with_different_recirc_ids_through_the_cache()
    {
        // The pass after ct(table=1) matches nothing of what differs (in_port is wildcarded there by recirc_id):
        // only the frozen stack tells the two packets apart, so a recirc_id without it would send both to port 2.
        Load("in_port=1,ip,actions=load:0x2->NXM_NX_REG0[],goto_table:1\n"
             + "in_port=3,ip,actions=load:0x4->NXM_NX_REG0[],goto_table:1\n"
             + "table=1,ip,actions=push:NXM_NX_REG0[],load:0->NXM_NX_REG0[],ct(table=2)\n"
             + "table=2,actions=pop:NXM_NX_REG1[],output:NXM_NX_REG1[]");
        for (int round = 0; round < 2; round++)
        {
            _node.Process(1, Udp(), _sent, 0);
            _node.Process(3, Udp(), _sent, 0);
        }
        Assert.Equal([2u, 4u, 2u, 4u], _sent.Taken());
        Assert.True(_node.CacheStats.Hits > 0, "the second round runs from the flow cache");
    }

    [Fact]
    public void The_action_set_written_before_ct_table_runs_at_the_end_of_the_pass_it_resumes()
    {
        // OVS 3.1 means this (frozen_state keeps the action set) but aborts on it: recirc_alloc_id__ asserts
        // action_set_len <= ofpacts_len, and a ct(table=N) freezes no actions. We carry the set: it runs once, after
        // the recirculated pass, with the set_field written there too.
        Load("ip,actions=write_actions(mod_dl_dst:02:00:00:00:00:99,output:2),goto_table:1\n"
             + "table=1,ip,actions=ct(table=2)\n"
             + "table=2,ct_state=+trk,actions=write_actions(output:4)");
        var trace = new Tracing.Trace();
        Assert.Equal(1, _node.Process(1, Udp(), null, 0, trace).Outputs);
        var sent = Assert.Single(trace.Outputs);
        Assert.Equal(4u, sent.OfPort);
        Assert.Equal(MacAddress.Parse("02:00:00:00:00:99"), MacAddress.Read(sent.Frame));
    }

    [Fact]
    public void A_ct_table_inside_clone_forks_a_copy_that_resumes_after_the_packets_pass_also_from_the_cache()
    {
        // OVS's clone(ct(...),recirc(id)),3: the packet leaves by port 3 untracked, the copy resumes at table 1 tracked.
        Load("ip,actions=clone(ct(table=1)),output:3\n"
             + "table=1,ct_state=+trk,actions=output:2\n"
             + "table=1,actions=output:4");
        for (int round = 0; round < 2; round++)
            Assert.Equal(2, _node.Process(1, Udp(), _sent, 0).Outputs);
        Assert.Equal([3u, 2u, 3u, 2u], _sent.Taken());
        Assert.True(_node.CacheStats.Hits > 0, "the second packet runs from the flow cache");
    }

    /// <summary>The ports frames went out of, in order.</summary>
    private sealed class Ports : IPacketSink
    {
        private readonly List<uint> _ports = [];

        public void Output(Node node, BridgePort port, ReadOnlySpan<byte> frame) => _ports.Add(port.OfPort);

        public uint[] Taken()
        {
            uint[] t = [.. _ports];
            _ports.Clear();
            return t;
        }
    }
}
