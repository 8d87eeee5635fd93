using Datapath.Classifier;
using Datapath.Engine.Tracing;
using Datapath.Packets;

namespace Datapath.Engine.Tests;

/// <summary>Bridge behaviour on small hand-made tables: limits, drops per reason, groups, load-time errors.</summary>
public sealed partial class BridgeTests : IDisposable
{
    private static readonly MacAddress A = MacAddress.Parse("02:00:00:00:00:0a");
    private static readonly MacAddress B = MacAddress.Parse("02:00:00:00:00:0b");
    private readonly Node _node;

    public BridgeTests()
    {
        var br = new Bridge();
        br.AddPort(1, "p1", A, PortKind.Pod);
        br.AddPort(2, "p2", B, PortKind.Pod);
        br.AddPort(3, "p3", B, PortKind.Pod);
        _node = new Node("n", br, Ipv4Address.Parse("192.0.2.1"), A);
    }

    public void Dispose() => _node.Dispose();

    private Bridge Br => _node.Bridge;

    private static byte[] Tcp(byte ttl = 64, ushort dport = 80)
        => PacketBuilder.Tcp(A, B, Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), 1234, dport, TcpFlags.Syn, ttl: ttl);

    private void Load(string flows)
    {
        using var r = new StringReader(flows);
        Br.LoadFlows(r, "test.flows");
    }

    [Fact]
    public void Resubmit_loop_is_a_counted_drop_not_a_hang()
    {
        Load("table=0,actions=resubmit(,0)");
        var v = _node.Process(1, Tcp(), null, 0);
        Assert.Equal((DropReason?)DropReason.ResubmitDepth, v.DropReason);
        Assert.Equal(1, Br.Drops.Get(DropReason.ResubmitDepth));
    }

    [Fact]
    public void Forward_resubmits_do_not_count_against_depth_but_total_is_limited()
    {
        // 0 -> 1 -> 0 ... with two resubmits per rule: exponential fan-out hits MAX_RESUBMITS.
        Load("table=0,actions=resubmit(,1),resubmit(,1)\ntable=1,actions=resubmit(,0),resubmit(,0)");
        var v = _node.Process(1, Tcp(), null, 0);
        Assert.True(v.DropReason is DropReason.TooManyResubmits or DropReason.ResubmitDepth);
    }

    [Fact]
    public void Dec_ttl_expiry_drops_with_its_reason()
    {
        Load("table=0,ip,actions=dec_ttl,output:2");
        Assert.Equal((DropReason?)DropReason.TtlExpired, _node.Process(1, Tcp(ttl: 1), null, 0).DropReason);
        var sink = new List<byte[]>();
        var trace = new Trace();
        Assert.Equal(1, _node.Process(1, Tcp(ttl: 5), null, 0, trace).Outputs);
        Assert.Equal(4, trace.Outputs[0].Frame[22]);
        Assert.Equal(0, Checksum.Fold(Checksum.Add(trace.Outputs[0].Frame.AsSpan(14, 20))));
    }

    [Fact]
    public void Output_to_missing_port_and_table_miss_are_counted()
    {
        Load("table=0,tcp,tp_dst=80,actions=output:9\ntable=0,tcp,tp_dst=81,actions=resubmit(,5)");
        Assert.Equal((DropReason?)DropReason.OutputPortMissing, _node.Process(1, Tcp(), null, 0).DropReason);
        var v = _node.Process(1, Tcp(dport: 81), null, 0);
        Assert.Equal((DropReason?)DropReason.NoMatch, v.DropReason);
        Assert.Equal(5, v.DropTable);
        Assert.Contains(Br.LoadWarnings, w => w.StartsWith("test.flows:2:", StringComparison.Ordinal) && w.Contains("table 5", StringComparison.Ordinal));
    }

    [Fact]
    public void A_flows_file_loads_as_one_bundle_all_or_nothing()
    {
        // A bad action on the last line: the error names it, and none of the file is loaded.
        var ex = Assert.Throws<InputException>(() =>
            Load("table=0,tcp,actions=output:2\ntable=0,udp,actions=output:3\ntable=0,icmp,actions=frobnicate"));
        Assert.StartsWith("test.flows:3:", ex.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, Br.Tables.Count);

        // A later line with an earlier one's match and priority replaces it, as separate adds do.
        Load("table=0,priority=5,tcp,actions=output:2\ntable=0,priority=5,tcp,actions=output:3");
        var rule = Assert.Single(Br.Tables.Rules(0));
        Assert.Contains("output:3", rule.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Multiple_outputs_make_a_copy_each_with_its_own_rewrites()
    {
        Load("table=0,actions=output:2,mod_dl_dst:02:00:00:00:00:99,output:3");
        var trace = new Trace();
        Assert.Equal(2, _node.Process(1, Tcp(), null, 0, trace).Outputs);
        Assert.Equal(B, MacAddress.Read(trace.Outputs[0].Frame));
        Assert.Equal(MacAddress.Parse("02:00:00:00:00:99"), MacAddress.Read(trace.Outputs[1].Frame));
    }

    [Fact]
    public void Groups_select_one_bucket_per_flow_and_all_runs_every_bucket()
    {
        Br.AddGroup("group_id=1,type=select,selection_method=hash,bucket=weight:100,actions=output:2,bucket=weight:100,actions=output:3");
        Br.AddGroup("group_id=2,type=all,bucket=output:2,bucket=output:3");
        Load("table=0,tcp,tp_dst=80,actions=group:1\ntable=0,tcp,tp_dst=81,actions=group:2");
        var first = new Trace();
        _node.Process(1, Tcp(), null, 0, first);
        var again = new Trace();
        _node.Process(1, Tcp(), null, 0, again);
        Assert.Single(first.Outputs);
        Assert.Equal(first.Outputs[0].Port, again.Outputs[0].Port);
        Assert.Equal(2, _node.Process(1, Tcp(dport: 81), null, 0).Outputs);
        Assert.Equal("group_id=2,type=all,bucket=bucket_id:0,actions=output:2,bucket=bucket_id:1,actions=output:3", Br.Groups.Last().Format(null));
    }

    [Fact]
    public void A_hash_starts_a_comment_anywhere_in_a_flows_or_groups_file_as_ovs_ofctl_reads_them()
    {
        // ds_get_preprocessed_line: everything from '#' on is gone; a line left blank is skipped.
        using (var groups = new StringReader("group_id=4,type=all,bucket=output:2 # to p2\n   # only a comment\n"))
            Br.LoadGroups(groups, "test.groups");
        Load("table=0,tcp,tp_dst=80,actions=group:4   # web to p2\n#\ntable=0,priority=1,actions=drop#all else");
        Assert.Equal("group_id=4,type=all,bucket=bucket_id:0,actions=output:2", Br.DumpGroups().Single());
        Assert.Equal(["tcp,tp_dst=80 actions=group:4", "priority=1 actions=drop"], Br.DumpFlows(withStats: false).ToArray());
        var e = Assert.Throws<InputException>(() => Load("\ntable=0,ip,nw_dts=10.0.0.1,actions=drop # typo"));
        Assert.Equal((2, 12), (e.Line, e.Column)); // at nw_dts, the comment cut after it
    }

    [Fact]
    public void Action_on_a_field_the_match_cannot_have_is_a_load_error_with_position()
    {
        var e = Assert.Throws<InputException>(() => Load("\ntable=0,arp,actions=mod_tp_dst:80"));
        Assert.Equal("test.flows", e.File);
        Assert.Equal(2, e.Line);
        Assert.Equal(21, e.Column);
    }

    [Fact]
    public void Unknown_port_name_is_a_load_error()
    {
        var e = Assert.Throws<InputException>(() => Load("table=0,actions=output:nope"));
        Assert.Contains("nope", e.What, StringComparison.Ordinal);
        Assert.Equal(24, e.Column);
    }

    [Fact]
    public void Controller_is_counted_as_a_punt()
    {
        Load("table=0,actions=controller");
        var v = _node.Process(1, Tcp(), null, 0);
        Assert.Equal((DropReason?)DropReason.ControllerPunt, v.DropReason);
        Assert.Equal(1, Br.Punts);
    }

    [Fact]
    public void Push_and_pop_vlan_change_the_frame()
    {
        Load("table=0,in_port=1,actions=push_vlan:0x8100,mod_vlan_vid:10,output:2\ntable=0,in_port=2,actions=pop_vlan,output:3");
        var trace = new Trace();
        _node.Process(1, Tcp(), null, 0, trace);
        var tagged = trace.Outputs[0].Frame;
        Assert.Equal(Tcp().Length + 4, tagged.Length);
        Assert.Equal(0x81, tagged[12]);
        Assert.Equal(10, tagged[15]);
        var back = new Trace();
        _node.Process(2, tagged, null, 0, back);
        Assert.Equal(Tcp(), back.Outputs[0].Frame);
    }

    [Fact]
    public void Translation_allocates_nothing_once_warm()
    {
        Load("table=0,ip,actions=resubmit(,1)\ntable=1,ip,actions=dec_ttl,mod_dl_dst:02:00:00:00:00:99,output:2");
        var f = Tcp();
        for (int i = 0; i < 100; i++)
            _node.Process(1, f, null, 0);
        // The runtime may allocate on this thread while tiering a method up (call counting); a steady
        // state allocates nothing, so the best of three rounds must be zero.
        long best = long.MaxValue;
        for (int round = 0; round < 3 && best != 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
                _node.Process(1, f, null, 0);
            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, best);
    }
}
