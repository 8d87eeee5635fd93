using Datapath.Classifier;
using Datapath.Engine;

namespace Datapath.Antrea.Tests;

/// <summary>
/// Groups as ovs-ofctl has them: dump-groups printed as Open vSwitch 3.1 prints the same groups (the judge
/// loads them with add-group and dumps them), groups loaded before flows, mod-group and del-groups (which
/// takes the flows that use the group with it, as OpenFlow 1.1+ says).
/// </summary>
public sealed class GroupsTests
{
    // An AntreaProxy-style Service group (select, hash over the 5-tuple, DNAT in the bucket), an all group with
    // a rewrite, an indirect and a fast-failover one.
    private static readonly string[] s_groups =
    [
        "group_id=1,type=select,bucket=output:1,bucket=output:2",
        "group_id=2,type=select,selection_method=hash,fields(ip_src,nw_proto,tp_src),bucket=bucket_id:5,weight:100,actions=ct(commit,table=105,zone=65520,nat(dst=10.222.1.47:80)),bucket=bucket_id:7,weight:50,actions=output:2",
        "group_id=3,type=all,bucket=output:1,bucket=mod_dl_src:aa:bb:cc:dd:ee:ff,output:2",
        "group_id=4,type=indirect,bucket=actions=load:0x2->NXM_NX_REG0[0..15],resubmit(,40)",
        "group_id=5,type=ff,bucket=watch_port:1,actions=output:1,bucket=watch_port:2,actions=output:2",
    ];

    private static Bridge Load()
    {
        var br = new Bridge("br0");
        br.AddPort(1, "p1", Packets.MacAddress.Parse("02:00:00:00:00:01"), PortKind.Pod);
        br.AddPort(2, "p2", Packets.MacAddress.Parse("02:00:00:00:00:02"), PortKind.Pod);
        foreach (var g in s_groups)
            br.AddGroup(g);
        return br;
    }

    [JudgedFact(nameof(OvsSwitchJudge))]
    public void Dump_groups_prints_what_ovs_3_1_prints_for_the_same_groups()
    {
        using var ovs = OvsSwitchJudge.TryStart("br0", [(1u, "p1"), (2u, "p2")], [], out string? why) ?? throw new InvalidOperationException(why);
        foreach (var g in s_groups)
            ovs.Ofctl("-O", "OpenFlow15", "add-group", ovs.Bridge, g);
        string[] theirs = [.. ovs.Ofctl("--no-names", "dump-groups", ovs.Bridge).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Order(StringComparer.Ordinal)]; // after NXST_GROUP_DESC reply; OVS's order is its hash map's, ours the ids'.
        string[] ours = [.. Load().DumpGroups(NamesShown.None).Select(l => Bridge.FlowDumpIndent + l)];
        Assert.True(theirs.Length == ours.Length, string.Join("\n", theirs) + "\n---\n" + string.Join("\n", ours));
        for (int i = 0; i < theirs.Length; i++)
            Assert.Equal(theirs[i], ours[i]);
        string[] named = [.. ovs.Ofctl("--names", "dump-groups", ovs.Bridge).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Order(StringComparer.Ordinal)];
        string[] oursNamed = [.. Load().DumpGroups(NamesShown.Ports).Select(l => Bridge.FlowDumpIndent + l)];
        for (int i = 0; i < named.Length; i++)
            Assert.Equal(named[i], oursNamed[i]);
    }

    [Fact]
    public void A_lab_whose_flows_use_its_groups_loads_without_a_warning()
    {
        using var copy = new SeedScenarioCopy();
        File.WriteAllText(copy.PathOf("worker1.groups"), "group_id=7,type=select,bucket=output:3,bucket=output:4\n");
        File.AppendAllText(copy.PathOf("worker1.flows"), "table=70,priority=300,ip,nw_dst=10.96.7.7,actions=group:7\n");
        var scenario = copy.LoadWith(SeedScenarioCopy.SeedClusterYaml.Replace("    flows: worker1.flows\n", "    flows: worker1.flows\n    groups: worker1.groups\n", StringComparison.Ordinal));
        var bridge = scenario.GetNode("worker1").Bridge;
        Assert.Single(bridge.Groups);
        Assert.DoesNotContain(bridge.LoadWarnings, w => w.Contains("group", StringComparison.Ordinal));
    }

    [Fact]
    public void Mod_group_replaces_the_buckets_and_del_groups_takes_the_flows_that_use_it()
    {
        var br = Load();
        br.AddFlow("table=0,priority=10,ip,actions=group:1");
        br.AddFlow("table=0,priority=5,actions=output:1");
        br.ModifyGroup("group_id=1,type=select,bucket=output:2");
        Assert.Equal("group_id=1,type=select,bucket=bucket_id:0,actions=output:2", br.DumpGroups().First());
        Assert.Equal(["group_id=1,type=select,bucket=bucket_id:0,actions=output:2"], br.DumpGroups(groupId: 1));
        Assert.Throws<Packets.InputException>(() => br.ModifyGroup("group_id=99,type=all,bucket=output:1"));
        Assert.Throws<Packets.InputException>(() => br.AddGroup("group_id=1,type=all,bucket=output:1"));

        Assert.Equal(1, br.DeleteGroups(1));
        Assert.DoesNotContain(br.DumpGroups(), l => l.StartsWith("group_id=1,", StringComparison.Ordinal));
        Assert.Equal(["priority=5 actions=output:1"], br.DumpFlows(withStats: false, names: NamesShown.None));
        Assert.Equal(0, br.DeleteGroups(1));
        Assert.Equal(4, br.DeleteGroups(null));
        Assert.Empty(br.Groups);
    }
}
