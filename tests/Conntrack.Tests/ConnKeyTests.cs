using System.Runtime.CompilerServices;
using Datapath.Packets;

namespace Datapath.Conntrack.Tests;

public class ConnKeyTests
{
    private static readonly ConnKey Sample = new(1, 2, 3, 4, 5, 6, 7, IpProtocols.Tcp, ConnKey.FamilyIpv6);

    [Fact]
    public void Layout_is_five_words()
        => Assert.Equal(ConnKey.Size, Unsafe.SizeOf<ConnKey>());

    [Fact]
    public void Fields_round_trip()
    {
        Assert.Equal((5, 6, 7, IpProtocols.Tcp, ConnKey.FamilyIpv6), (Sample.SrcPort, Sample.DstPort, Sample.Zone, Sample.NwProto, Sample.Family));
        Assert.Equal(new UInt128(1, 2), Sample.Src);
        Assert.Equal(new UInt128(3, 4), Sample.Dst);
    }

    [Fact]
    public void Reverse_twice_is_identity_and_swaps_every_directional_field()
    {
        var r = Sample.Reverse();
        Assert.Equal((Sample.Dst, Sample.Src, Sample.DstPort, Sample.SrcPort), (r.Src, r.Dst, r.SrcPort, r.DstPort));
        Assert.Equal(Sample, r.Reverse());
        var echo = ConnKey.Ipv4(1, 2, 77, 8 << 8, 0, IpProtocols.Icmp);
        Assert.Equal((ushort)77, echo.Reverse().SrcPort);
        Assert.Equal((ushort)0, echo.Reverse().DstPort); // echo reply
        Assert.Equal(echo, echo.Reverse().Reverse());
    }

    /// <summary>Changing any one field changes equality and (for this seed) the hash: ConnKey.Hash and Equals cover every word.</summary>
    [Fact]
    public void Equality_and_hash_cover_every_field()
    {
        var variants = new[]
        {
            new ConnKey(9, 2, 3, 4, 5, 6, 7, IpProtocols.Tcp, ConnKey.FamilyIpv6),
            new ConnKey(1, 9, 3, 4, 5, 6, 7, IpProtocols.Tcp, ConnKey.FamilyIpv6),
            new ConnKey(1, 2, 9, 4, 5, 6, 7, IpProtocols.Tcp, ConnKey.FamilyIpv6),
            new ConnKey(1, 2, 3, 9, 5, 6, 7, IpProtocols.Tcp, ConnKey.FamilyIpv6),
            new ConnKey(1, 2, 3, 4, 9, 6, 7, IpProtocols.Tcp, ConnKey.FamilyIpv6),
            new ConnKey(1, 2, 3, 4, 5, 9, 7, IpProtocols.Tcp, ConnKey.FamilyIpv6),
            new ConnKey(1, 2, 3, 4, 5, 6, 9, IpProtocols.Tcp, ConnKey.FamilyIpv6),
            new ConnKey(1, 2, 3, 4, 5, 6, 7, IpProtocols.Udp, ConnKey.FamilyIpv6),
            new ConnKey(1, 2, 3, 4, 5, 6, 7, IpProtocols.Tcp, ConnKey.FamilyIpv4),
        };
        foreach (var v in variants)
        {
            Assert.NotEqual(Sample, v);
            Assert.NotEqual(Sample.Hash(11), v.Hash(11));
        }
        Assert.Equal(Sample.Hash(11), new ConnKey(1, 2, 3, 4, 5, 6, 7, IpProtocols.Tcp, ConnKey.FamilyIpv6).Hash(11));
    }
}
