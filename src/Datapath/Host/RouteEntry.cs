using System.Globalization;
using System.Text;
using Datapath.Packets;

namespace Datapath.Engine.Host;

/// <summary>Where a route points (the route type of <c>ip route</c>; only unicast routes forward).</summary>
public enum RouteType
{
    Unicast,
    /// <summary><c>blackhole PREFIX</c>: silently discarded.</summary>
    Blackhole,
    /// <summary><c>unreachable PREFIX</c>: discarded with ICMP host unreachable.</summary>
    Unreachable,
    /// <summary><c>prohibit PREFIX</c>: discarded with ICMP administratively prohibited.</summary>
    Prohibit,
}

/// <summary>
/// One route of the main table as <c>ip route</c> prints it:
/// <c>10.222.2.0/24 via 10.222.2.1 dev antrea-gw0 onlink</c>,
/// <c>10.79.1.0/24 dev ens160 proto kernel scope link src 10.79.1.201</c>, <c>default via 10.79.1.1 dev ens160 proto static</c>.
/// Addresses are host order; <see cref="Destination"/> has no bits after the prefix.
/// </summary>
public sealed record RouteEntry
{
    public RouteEntry(uint destination, int prefixLength, string? device, uint gateway = 0, RouteType type = RouteType.Unicast)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)prefixLength, 32u, nameof(prefixLength));
        uint mask = prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength);
        if ((destination & ~mask) != 0)
            throw new ArgumentException($"{new Ipv4Address(destination)}/{prefixLength} has bits after the prefix", nameof(destination));
        if (type == RouteType.Unicast && device is null)
            throw new ArgumentException("a unicast route needs a device", nameof(device));
        Destination = destination;
        PrefixLength = prefixLength;
        Device = device;
        Gateway = gateway;
        Type = type;
    }

    public uint Destination { get; }
    public int PrefixLength { get; }
    public uint Mask => PrefixLength == 0 ? 0 : uint.MaxValue << (32 - PrefixLength);
    public RouteType Type { get; }
    /// <summary>The output device (<c>dev</c>); null only for blackhole/unreachable/prohibit routes.</summary>
    public string? Device { get; }
    /// <summary>The next hop (<c>via</c>), 0 for a directly connected (<c>scope link</c>) route.</summary>
    public uint Gateway { get; }
    /// <summary><c>onlink</c>: the gateway is reachable on the device even though no subnet of the device holds it.</summary>
    public bool OnLink { get; init; }
    /// <summary><c>proto</c>: kernel, static, boot, dhcp... (informational).</summary>
    public string? Protocol { get; init; }
    /// <summary><c>scope</c>: link, host, global (informational; link when there is no gateway).</summary>
    public string? Scope { get; init; }
    /// <summary>The preferred source address (<c>src</c>) for locally generated packets, 0 when not given.</summary>
    public uint PreferredSource { get; init; }
    public int Metric { get; init; }
    /// <summary>The device has no carrier (<c>linkdown</c>, printed by the kernel, not configured).</summary>
    public bool LinkDown { get; init; }

    public bool Contains(uint address) => ((address ^ Destination) & Mask) == 0;

    /// <summary>The line as <c>ip route</c> prints it.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        if (Type != RouteType.Unicast)
            sb.Append(Type.ToString().ToLowerInvariant()).Append(' ');
        if (PrefixLength == 0 && Destination == 0)
            sb.Append("default");
        else
        {
            sb.Append(new Ipv4Address(Destination).ToString());
            if (PrefixLength != 32)
                sb.Append('/').Append(PrefixLength.ToString(CultureInfo.InvariantCulture));
        }
        if (Gateway != 0)
            sb.Append(" via ").Append(new Ipv4Address(Gateway).ToString());
        if (Device is not null)
            sb.Append(" dev ").Append(Device);
        if (Protocol is not null)
            sb.Append(" proto ").Append(Protocol);
        if (Scope is not null)
            sb.Append(" scope ").Append(Scope);
        if (PreferredSource != 0)
            sb.Append(" src ").Append(new Ipv4Address(PreferredSource).ToString());
        if (Metric != 0)
            sb.Append(" metric ").Append(Metric.ToString(CultureInfo.InvariantCulture));
        if (OnLink)
            sb.Append(" onlink");
        if (LinkDown)
            sb.Append(" linkdown");
        return sb.ToString();
    }
}
