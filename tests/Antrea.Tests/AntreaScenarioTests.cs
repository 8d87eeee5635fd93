using Datapath.Classifier;
using Datapath.Engine;
using Datapath.Packets;

namespace Datapath.Antrea.Tests;

public sealed class AntreaScenarioTests
{
    [Fact]
    public void Embedded_seed_scenario_builds_both_workers_with_their_ports()
    {
        var s = AntreaScenario.LoadEmbedded();
        Assert.Equal(["worker1", "worker2"], s.Cluster.Nodes.Select(n => n.Name));
        var w1 = s.GetNode("worker1").Bridge;
        Assert.Equal(
            ["1(antrea-tun0)", "2(antrea-gw0)", "3(coredns--3e3abf)", "4(antrea-o-830766)", "48(backend1-bab86f)", "49(frontend-a3ba2f)"],
            w1.Ports.Select(p => p.ToString()));
        Assert.Equal(PortKind.Tunnel, w1.GetPort("antrea-tun0").Kind);
        Assert.Equal(PortKind.Gateway, w1.GetPort("2").Kind);
        Assert.Equal(MacAddress.Parse("e6:88:e2:ed:64:82"), w1.GetPort("frontend-a3ba2f").Mac);
        Assert.Equal(1, w1.TlvMap.Count);
        Assert.Empty(w1.LoadWarnings);
        Assert.Equal(Ipv4Address.Parse("10.79.1.201"), s.GetNode("worker1").NodeIp);
        Assert.True(s.GetNode("worker1").TryResolveUnderlay(Ipv4Address.Parse("10.79.1.202"), out var mac));
        Assert.Equal(MacAddress.Parse("00:50:56:8f:1c:f6"), mac);
        Assert.NotNull(s.ReadFile("worker1.iptables"));
        Assert.Equal("frontend-a3ba2f", s.FindPod("frontend")!.Value.Pod.Port);
    }

    [Fact]
    public void Directory_scenario_with_an_unknown_port_name_reports_file_line_column()
    {
        using var copy = new SeedScenarioCopy();
        var lines = File.ReadAllLines(copy.PathOf("worker2.flows")).ToList();
        int at = lines.FindIndex(l => l.StartsWith("cookie=", StringComparison.Ordinal));
        lines[at] = "cookie=0x1, priority=1,in_port=\"nosuchport\" actions=drop";
        File.WriteAllLines(copy.PathOf("worker2.flows"), lines);
        var e = Assert.Throws<InputException>(() => AntreaScenario.Load(copy.Directory));
        Assert.Equal("worker2.flows", e.File);
        Assert.Equal(at + 1, e.Line);
        Assert.Contains("nosuchport", e.What, StringComparison.Ordinal);
    }

    /// <summary>
    /// vlanLimit is OVS's other_config:vlan-limit: under the default (1) a QinQ frame's inner tag is payload, so its flow
    /// is dl_type=0x8100; with vlanLimit: 2 the flow holds both tags and the IPv4 header behind them.
    /// </summary>
    [Theory]
    [InlineData(null, EtherTypes.Vlan, (ushort)0)]
    [InlineData(2, EtherTypes.IPv4, (ushort)(0x1000 | 100))]
    [InlineData(0, EtherTypes.IPv4, (ushort)(0x1000 | 100))]
    public void VlanLimit_sets_how_many_tags_a_received_frames_flow_holds(int? vlanLimit, ushort ethType, ushort innerTci)
    {
        using var copy = new SeedScenarioCopy();
        var s = vlanLimit is null ? AntreaScenario.Load(copy.Directory)
            : copy.LoadWith(SeedScenarioCopy.SeedWith("flows: worker1.flows", $"flows: worker1.flows\n    vlanLimit: {vlanLimit}"));
        var worker1 = s.GetNode("worker1");
        var udp = PacketBuilder.Udp(MacAddress.Parse("4e:99:08:c1:53:be"), MacAddress.Parse("aa:bb:cc:dd:ee:ff"),
            Ipv4Address.Parse("10.222.1.1"), Ipv4Address.Parse("10.222.2.34"), 5000, 53, new byte[8]);
        var qinq = PacketBuilder.WithVlan(PacketBuilder.WithVlan(udp, 100), 5, EtherTypes.QinQ);
        var trace = new Engine.Tracing.Trace();
        worker1.Process(worker1.Bridge.GetPort("antrea-gw0").OfPort, qinq, null, 0, trace);
        var flow = trace.Steps.First(t => t.Kind == Engine.Tracing.TraceKind.Ingress).Flow!.Value;
        Assert.Equal((ushort)(0x1000 | 5), flow.VlanTci);
        Assert.Equal((ethType, innerTci), (flow.EthType, flow.VlanTci2));
    }

    [Fact]
    public void Missing_directory_is_a_whole_file_error_naming_it()
    {
        var e = Assert.Throws<InputException>(() => AntreaScenario.Load("/nonexistent/scenario"));
        Assert.Equal(("/nonexistent/scenario", 0), (e.File, e.Line));
        Assert.Equal("scenario directory does not exist", e.What);
    }

    [Fact]
    public void Register_marks_print_as_the_seed_flows_write_them()
    {
        Assert.Equal("load:0x1->NXM_NX_REG0[0..15]", AntreaFields.FromGateway.LoadAction);
        Assert.Equal("reg0=0x1/0xffff", AntreaFields.FromGateway.MatchText);
        Assert.Equal("reg0=0x10000/0x10000", AntreaFields.PortFound.MatchText);
        Assert.Equal("NXM_NX_REG0[19]", AntreaFields.MacRewrite.ToString());
        Assert.Equal("Output", AntreaTables.Name(110));
        var key = new FlowKey();
        key.Regs[0] = 0x10002;
        Assert.True(AntreaFields.FromLocal.IsSet(in key));
        Assert.True(AntreaFields.PortFound.IsSet(in key));
    }
}
