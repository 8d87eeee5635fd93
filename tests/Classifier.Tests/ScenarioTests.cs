using Datapath.Packets;

namespace Datapath.Classifier.Tests;

public class ScenarioTests
{
    [Theory]
    [InlineData("worker1")]
    [InlineData("worker2")]
    public void Every_line_of_the_scenario_flows_loads(string node)
    {
        PortMap ports = node == "worker1" ? Scenario.Worker1Ports : Scenario.Worker2Ports;
        int lines = File.ReadLines(Scenario.FlowsPath(node)).Count(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'));
        FlowTableSet set = Scenario.Load(node, ports);
        Assert.Equal(lines, set.Count);
        Assert.Empty(set.LoadWarnings);
    }

    [Theory]
    [InlineData("worker1")]
    [InlineData("worker2")]
    public void Loaded_flows_dump_as_OVS_3_1_dumped_them(string node)
    {
        // tests/Data/ovs-3.1/<node>.dump-flows.txt: `ovs-ofctl --no-stats dump-flows br-int` after
        // add-flows of the same file (OVS prints load: as set_field:, so compare matches only).
        PortMap ports = node == "worker1" ? Scenario.Worker1Ports : Scenario.Worker2Ports;
        FlowTableSet set = Scenario.Load(node, ports);
        string[] expected = File.ReadAllLines(Path.Combine("Data", "ovs-3.1", node + ".dump-flows.txt"))
            .Where(l => l.Contains("actions=", StringComparison.Ordinal)).Select(MatchPart).ToArray();
        string[] actual = set.DumpFlows(ports, withStats: false).Select(MatchPart).ToArray();
        Assert.Equal(expected, actual);
    }

    private static string MatchPart(string line) => line.Trim()[..line.Trim().IndexOf(" actions=", StringComparison.Ordinal)];

    [Fact]
    public void Table50_frontend_to_backend2_tcp80_reaches_conj_id_1()
    {
        FlowTableSet set = Scenario.Load("worker1", Scenario.Worker1Ports);
        FlowKey key = Scenario.Ipv4("10.222.1.48", "10.222.2.34", IpProtocols.Tcp, 80);
        FlowKey consulted = default;
        FlowRule? rule = set.Lookup(50, in key, ref consulted);
        Assert.NotNull(rule);
        Assert.Equal("cookie=0x1050000000000, table=50, priority=190,conj_id=1,ip actions=load:0x1->NXM_NX_REG5[],resubmit(,70)",
            rule.Format(Scenario.Worker1Ports, withStats: false));
    }

    [Fact]
    public void Table50_frontend_udp53_reaches_conj_id_2()
    {
        FlowTableSet set = Scenario.Load("worker1", Scenario.Worker1Ports);
        FlowKey key = Scenario.Ipv4("10.222.1.48", "10.222.1.2", IpProtocols.Udp, 53);
        FlowKey consulted = default;
        FlowRule? rule = set.Lookup(50, in key, ref consulted);
        Assert.Equal(2u, (uint)rule!.Match.GetValue(FieldId.ConjId));
        Assert.Contains("load:0x2->NXM_NX_REG5[]", rule.ActionsText, StringComparison.Ordinal);
    }

    [Fact]
    public void Table50_frontend_to_backend2_tcp22_falls_through_to_table60_drop()
    {
        FlowTableSet set = Scenario.Load("worker1", Scenario.Worker1Ports);
        FlowKey key = Scenario.Ipv4("10.222.1.48", "10.222.2.34", IpProtocols.Tcp, 22);
        FlowKey consulted = default;
        FlowRule? rule50 = set.Lookup(50, in key, ref consulted);
        Assert.Equal(0, rule50!.Priority);
        Assert.Equal("resubmit(,60)", rule50.ActionsText);
        FlowRule? rule60 = set.Lookup(60, in key, ref consulted);
        Assert.Equal(200, rule60!.Priority);
        Assert.Equal("drop", rule60.ActionsText);
        Assert.Equal("10.222.1.48", new Ipv4Address((uint)rule60.Match.GetValue(FieldId.NwSrc)).ToString());
    }

    [Fact]
    public void Table50_established_traffic_takes_the_priority_210_rule()
    {
        FlowTableSet set = Scenario.Load("worker1", Scenario.Worker1Ports);
        FlowKey key = Scenario.Ipv4("10.222.1.48", "10.222.2.34", IpProtocols.Tcp, 80);
        key.CtState = (uint)(CtStateFlags.Established | CtStateFlags.Tracked);
        FlowKey consulted = default;
        Assert.Equal(210, set.Lookup(50, in key, ref consulted)!.Priority);
    }

    [Fact]
    public void Table0_in_port_names_resolve_through_the_port_map()
    {
        FlowTableSet set = Scenario.Load("worker1", Scenario.Worker1Ports);
        var key = new FlowKey { InPort = 49 };
        FlowKey consulted = default;
        FlowRule? rule = set.Lookup(0, in key, ref consulted);
        Assert.Equal("cookie=0x1030000000000, priority=190,in_port=\"frontend-a3ba2f\" actions=load:0x2->NXM_NX_REG0[0..15],resubmit(,10)",
            rule!.Format(Scenario.Worker1Ports, withStats: false));
        Assert.Equal(uint.MaxValue, consulted.InPort);
    }
}
