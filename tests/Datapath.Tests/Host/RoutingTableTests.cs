using Datapath.Engine.Host;
using Datapath.Packets;

namespace Datapath.Engine.Tests.Host;

public sealed class RoutingTableTests
{
    private static RoutingTable Worker1()
    {
        var t = new RoutingTable();
        foreach (var line in new[]
        {
            "default via 10.79.1.1 dev ens160 proto static",
            "10.79.1.0/24 dev ens160 proto kernel scope link src 10.79.1.201",
            "10.222.0.0/24 via 10.222.0.1 dev antrea-gw0 onlink",
            "10.222.1.0/24 dev antrea-gw0 proto kernel scope link src 10.222.1.1",
            "10.222.2.0/24 via 10.222.2.1 dev antrea-gw0 onlink",
            "172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1 linkdown",
        })
            t.Add(RouteParser.Parse(line));
        return t;
    }

    [Theory]
    [InlineData("10.222.2.34", "10.222.2.0/24 via 10.222.2.1 dev antrea-gw0 onlink")]
    [InlineData("10.222.1.47", "10.222.1.0/24 dev antrea-gw0 proto kernel scope link src 10.222.1.1")]
    [InlineData("10.222.0.5", "10.222.0.0/24 via 10.222.0.1 dev antrea-gw0 onlink")]
    [InlineData("10.79.1.202", "10.79.1.0/24 dev ens160 proto kernel scope link src 10.79.1.201")]
    [InlineData("172.17.3.4", "172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1 linkdown")]
    [InlineData("8.8.8.8", "default via 10.79.1.1 dev ens160 proto static")]
    [InlineData("10.104.65.133", "default via 10.79.1.1 dev ens160 proto static")]
    public void Longest_prefix_wins(string destination, string expected)
    {
        Assert.True(Worker1().TryLookup(Ipv4Address.Parse(destination).Value, out var route));
        Assert.Equal(expected, route.ToString());
    }

    [Fact]
    public void Lower_metric_wins_on_the_same_prefix_and_removal_falls_back()
    {
        var t = new RoutingTable();
        t.Add(RouteParser.Parse("10.0.0.0/8 via 10.79.1.5 dev ens160 metric 200"));
        t.Add(RouteParser.Parse("10.0.0.0/8 via 10.79.1.6 dev ens160 metric 100"));
        t.Add(RouteParser.Parse("0.0.0.0/0 via 10.79.1.1 dev ens160"));
        Assert.True(t.TryLookup(Ipv4Address.Parse("10.1.2.3").Value, out var r));
        Assert.Equal(Ipv4Address.Parse("10.79.1.6").Value, r.Gateway);
        Assert.Equal(2, t.Remove(Ipv4Address.Parse("10.0.0.0").Value, 8));
        Assert.True(t.TryLookup(Ipv4Address.Parse("10.1.2.3").Value, out r));
        Assert.Equal(0, r.PrefixLength);
    }

    [Fact]
    public void No_matching_route_is_a_miss()
    {
        var t = new RoutingTable();
        t.Add(RouteParser.Parse("10.222.1.0/24 dev antrea-gw0"));
        Assert.False(t.TryLookup(Ipv4Address.Parse("8.8.8.8").Value, out _));
    }
}
