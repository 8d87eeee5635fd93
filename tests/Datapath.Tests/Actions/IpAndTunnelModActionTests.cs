using Datapath.Engine.Actions;
using Datapath.Packets;

namespace Datapath.Engine.Tests.Actions;

/// <summary>
/// mod_nw_ttl, mod_nw_ecn, set_tunnel and set_tunnel64 as OVS 3.1 has them: printed as ovs-ofctl prints its own
/// actions (it reads our text back unchanged), refused where it refuses them (the verdict harness), and run on the frame.
/// </summary>
public sealed class IpAndTunnelModActionTests
{
    public static TheoryData<string, string, string> Cases => new()
    {
        { "ip", "mod_nw_ttl:64", "mod_nw_ttl:64" },
        { "ip", "mod_nw_ecn:3", "mod_nw_ecn:3" },
        { "", "set_tunnel:5", "set_tunnel:0x5" },
        { "", "set_tunnel:0x123456789", "set_tunnel64:0x123456789" },
        { "", "set_tunnel64:0x10", "set_tunnel64:0x10" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void We_print_them_as_ovs_does(string match, string written, string printed)
    {
        _ = match;
        Assert.Equal(printed, ActionParser.Parse(written, null).Format(null));
    }

    [OvsOfctlTheory]
    [MemberData(nameof(Cases))]
    public void Ovs_ofctl_reads_what_we_print_and_prints_it_the_same(string match, string written, string printed)
    {
        _ = written;
        // OVS prints its actions' own text (mod_nw_ttl, mod_nw_ecn) under OpenFlow 1.1, which has both; under 1.0 it
        // sends them as NXM loads (dump-flows then prints load:...->NXM_NX_IP_TTL[]), set_tunnel as itself.
        var (ok, output) = OvsOfctl.ParseFlow((match.Length > 0 ? match + "," : "") + "actions=" + printed, printed.StartsWith("set_tunnel", StringComparison.Ordinal) ? "OpenFlow10" : "OpenFlow11");
        Assert.True(ok, output);
        Assert.Contains("actions=" + printed, output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_frame_leaves_with_the_new_ttl_and_ecn_and_a_valid_checksum()
    {
        var br = new Bridge();
        br.AddPort(1, "p1", MacAddress.Parse("02:00:00:00:00:01"), PortKind.Pod);
        br.AddPort(2, "p2", MacAddress.Parse("02:00:00:00:00:02"), PortKind.Pod);
        using (var r = new StringReader("in_port=1,ip,actions=mod_nw_ttl:7,mod_nw_ecn:2,output:2"))
            br.LoadFlows(r, "test.flows");
        using var node = new Node("n", br, Ipv4Address.Parse("192.0.2.1"), MacAddress.Parse("02:00:00:00:00:fe"));
        var trace = new Tracing.Trace();
        node.Process(1, PacketBuilder.Udp(MacAddress.Parse("02:00:00:00:00:01"), MacAddress.Parse("02:00:00:00:00:02"),
            Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), 1000, 53, [1, 2, 3]), null, 0, trace);
        var frame = Assert.Single(trace.Outputs).Frame;
        FlowKey.Extract(frame, 2, out var key);
        Assert.Equal(7, key.NwTtl);
        Assert.Equal(2, key.NwEcn);
        Assert.Equal(0, Checksum.Fold(Checksum.Add(frame.AsSpan(EthernetHeader.Length, 20)))); // the IPv4 header checksum still holds
    }
}
