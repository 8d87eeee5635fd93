namespace Datapath.Engine.Tests;

/// <summary>
/// Every drop reason has a report name; the host stack's reasons (once an enum of their own) keep the names
/// replay, trace and ctl printed before they joined <see cref="DropReason"/>.
/// </summary>
public class DropReasonNamesTests
{
    [Fact]
    public void Every_reason_has_a_kebab_case_name()
    {
        foreach (var r in Enum.GetValues<DropReason>())
            Assert.Matches("^[a-z]+(-[a-z]+)*$", DropReasonNames.Name(r));
    }

    [Fact]
    public void Names_are_unique()
    {
        var names = Enum.GetValues<DropReason>().Select(DropReasonNames.Name).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
    }

    /// <summary>The names HostDropReasonNames gave (src/Datapath/Host/HostDropReason.cs before the merge), and the journey's own.</summary>
    [Theory]
    [InlineData(DropReason.NoSuchInterface, "no-such-interface")]
    [InlineData(DropReason.Malformed, "malformed")]
    [InlineData(DropReason.OtherHost, "other-host")]
    [InlineData(DropReason.UnsupportedProtocol, "unsupported-protocol")]
    [InlineData(DropReason.ArpIgnored, "arp-ignored")]
    [InlineData(DropReason.NetfilterDrop, "netfilter-drop")]
    [InlineData(DropReason.NetfilterReject, "netfilter-reject")]
    [InlineData(DropReason.NoRoute, "no-route")]
    [InlineData(DropReason.RouteRejected, "route-rejected")]
    [InlineData(DropReason.NotForwarded, "not-forwarded")]
    [InlineData(DropReason.TtlExpired, "ttl-expired")]
    [InlineData(DropReason.NoNeighbor, "no-neighbor")]
    [InlineData(DropReason.LinkDown, "link-down")]
    [InlineData(DropReason.MtuExceeded, "mtu-exceeded")]
    [InlineData(DropReason.HopLimit, "hop-limit")]
    public void Host_and_journey_reasons_keep_their_names(DropReason reason, string name)
        => Assert.Equal(name, DropReasonNames.Name(reason));
}
