using System.Globalization;
using Datapath.Packets;

namespace Datapath.Antrea.Compile;

/// <summary>An IPv4 network (<c>10.222.1.0/24</c>) as the compile allocates from it: its addresses as numbers.</summary>
internal readonly record struct CidrBlock(uint Network, int Length)
{
    /// <summary>A CIDR cluster.yaml's reader has checked (address/len, no bits after the prefix).</summary>
    public static CidrBlock Parse(string cidr)
    {
        ArgumentNullException.ThrowIfNull(cidr);
        int slash = cidr.IndexOf('/', StringComparison.Ordinal);
        return new CidrBlock(Ipv4Address.Parse(cidr[..slash]).Value, int.Parse(cidr.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture));
    }

    public uint Mask => Ipv4Address.PrefixMask(Length);

    /// <summary>The last address (the broadcast address of the network).</summary>
    public uint Last => Network | ~Mask;

    public bool Contains(uint address) => (address & Mask) == Network;

    public bool Contains(string address) => Ipv4Address.TryParse(address, out var a) && Contains(a.Value);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{new Ipv4Address(Network)}/{Length}");
}
