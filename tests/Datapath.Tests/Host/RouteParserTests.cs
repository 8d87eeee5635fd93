using Datapath.Engine.Host;
using Datapath.Packets;

namespace Datapath.Engine.Tests.Host;

public sealed class RouteParserTests
{
    // `ip route` on worker1 and worker2 (cluster.yaml, from seed 004): each prints back as it was read.
    [Theory]
    [InlineData("default via 10.79.1.1 dev ens160 proto static")]
    [InlineData("10.79.1.0/24 dev ens160 proto kernel scope link src 10.79.1.201")]
    [InlineData("10.222.0.0/24 via 10.222.0.1 dev antrea-gw0 onlink")]
    [InlineData("10.222.1.0/24 dev antrea-gw0 proto kernel scope link src 10.222.1.1")]
    [InlineData("172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1 linkdown")]
    [InlineData("blackhole 10.1.0.0/16")]
    [InlineData("192.168.7.7 via 10.79.1.5 dev ens160 metric 100")]
    public void Seed_route_lines_round_trip(string line)
        => Assert.Equal(line, RouteParser.Parse(line).ToString());

    [Fact]
    public void Parse_reads_every_field()
    {
        var r = RouteParser.Parse("10.222.2.0/24 via 10.222.2.1 dev antrea-gw0 onlink");
        Assert.Equal(Ipv4Address.Parse("10.222.2.0").Value, r.Destination);
        Assert.Equal(24, r.PrefixLength);
        Assert.Equal(Ipv4Address.Parse("10.222.2.1").Value, r.Gateway);
        Assert.Equal("antrea-gw0", r.Device);
        Assert.True(r.OnLink);
        var k = RouteParser.Parse("10.79.1.0/24 dev ens160 proto kernel scope link src 10.79.1.201");
        Assert.Equal("kernel", k.Protocol);
        Assert.Equal("link", k.Scope);
        Assert.Equal(Ipv4Address.Parse("10.79.1.201").Value, k.PreferredSource);
        Assert.True(RouteParser.Parse("172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1 linkdown").LinkDown);
    }

    [Theory]
    [InlineData("10.222.2.0/24 via 10.222.2.1 dev antrea-gw0 bogus", 45, "unsupported route keyword 'bogus'")]
    [InlineData("10.222.2.1/24 dev antrea-gw0", 1, "bits after /24")]
    [InlineData("10.222.2.0/24 via 10.222.2.x dev antrea-gw0", 19, "via '10.222.2.x' is not an IPv4 address")]
    [InlineData("10.222.2.0/24 via 10.222.2.1", 29, "route needs 'dev DEVICE'")]
    [InlineData("10.222.2.0/24 dev", 15, "'dev' needs a value")]
    public void Bad_lines_name_file_line_and_column(string line, int column, string message)
    {
        var e = Assert.Throws<InputException>(() => RouteParser.Parse(line, "cluster.yaml", 27));
        Assert.Equal(27, e.Line);
        Assert.Equal(column, e.Column);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.StartsWith($"cluster.yaml:27:{column}: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_route_on_a_device_the_host_does_not_have_is_located_at_the_device()
    {
        var config = new HostStackConfig
        {
            Name = "worker1",
            Interfaces = [new HostInterface("ens160", MacAddress.Parse("00:50:56:00:00:01"), Ipv4Address.Parse("10.79.1.201"), 24)],
            Routes = ["default via 10.79.1.1 dev ens160", "10.222.2.0/24 via 10.222.2.1 dev antrea-gw9 onlink"],
            RoutesFile = "cluster.yaml",
            RoutesFirstLine = 40,
        };
        var e = Assert.Throws<InputException>(() => HostStack.Create(config));
        Assert.Equal("cluster.yaml:41:34: route names device 'antrea-gw9', which host worker1 does not have", e.Message);
        Assert.Equal("its devices are ens160, lo", e.Hint);
    }

    [Fact]
    public void An_empty_route_line_is_located()
    {
        var e = Assert.Throws<InputException>(() => RouteParser.Parse("   ", "cluster.yaml", 9));
        Assert.Equal("cluster.yaml:9:1: empty route", e.Message);
    }
}
