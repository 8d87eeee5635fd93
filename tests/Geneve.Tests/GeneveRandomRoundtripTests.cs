using Datapath.Packets;

namespace Datapath.Geneve.Tests;

/// <summary>decap(encap(x)) == x over thousands of random inner frames, tunnel fields and options.</summary>
public class GeneveRandomRoundtripTests
{
    /// <summary>The TLV map of the random round trips (IPv4 and IPv6 outers): two 4-byte and two 8-byte options.</summary>
    internal static readonly TlvMap s_map = TlvMap.Parse(
        "{class=0xffff,type=0,len=4}->tun_metadata0,{class=0x102,type=0x85,len=8}->tun_metadata1," +
        "{class=0x103,type=1,len=4}->tun_metadata4,{class=0x0,type=0xff,len=8}->tun_metadata7");

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Decap_of_encap_is_identity(int seed)
    {
        var rng = new Random(seed);
        var buf = new byte[2048];
        for (int i = 0; i < 2000; i++)
        {
            var inner = RandomInner(rng);
            var key = default(FlowKey);
            key.TunSrc = (uint)rng.Next(1, int.MaxValue);
            key.TunDst = (uint)rng.Next(1, int.MaxValue);
            RandomTunnelFields(rng, ref key);

            Assert.True(GeneveEncapsulator.TryEncapsulate(inner, in key, in s_map, MacAddress.Parse("02:00:00:00:00:01"),
                MacAddress.Parse("02:00:00:00:00:02"), buf, out int n));
            var decoded = default(FlowKey);
            Assert.True(GeneveDecapsulator.TryDecapsulate(buf.AsSpan(0, n), in s_map, out int offset, out int length, ref decoded, out var reason), reason.ToString());
            Assert.Equal(inner, buf.AsSpan(offset, length).ToArray());

            Assert.Equal(key.TunSrc, decoded.TunSrc);
            Assert.Equal(key.TunDst, decoded.TunDst);
            AssertTunnelFieldsDecoded(in key, in decoded);
        }
    }

    /// <summary>Random tun_id, tos, ttl, flags and tun_metadata (present bits and values) on <paramref name="key"/>.</summary>
    internal static void RandomTunnelFields(Random rng, ref FlowKey key)
    {
        key.TunId = (ulong)rng.NextInt64();
        key.TunTos = (byte)rng.Next(256);
        key.TunTtl = (byte)rng.Next(256);
        key.TunFlags = (ushort)rng.Next(16);
        key.TunMetadataPresent = (uint)rng.Next(256);
        for (int m = 0; m < 8; m++)
            key.TunMetadata[m] = (ulong)rng.NextInt64();
    }

    /// <summary>
    /// What decap gives back of <see cref="RandomTunnelFields"/> through <see cref="s_map"/>: the
    /// 24-bit VNI, tos, ttl (64 for 0), the public flags (OAM), and the mapped options only (4-byte
    /// ones truncated).
    /// </summary>
    internal static void AssertTunnelFieldsDecoded(in FlowKey key, in FlowKey decoded)
    {
        Assert.Equal(key.TunId & 0xFF_FFFF, decoded.TunId);
        Assert.Equal(key.TunTos, decoded.TunTos);
        Assert.Equal(key.TunTtl == 0 ? 64 : key.TunTtl, decoded.TunTtl);
        Assert.Equal(key.TunFlags & GeneveTunnelFlags.PublicMask, decoded.TunFlags);
        uint expectedPresent = key.TunMetadataPresent & s_map.MappedIndexes;
        Assert.Equal(expectedPresent, decoded.TunMetadataPresent);
        foreach (var e in s_map.Entries)
        {
            ulong expected = (expectedPresent & (1u << e.Index)) == 0 ? 0
                : e.Length == 4 ? (uint)key.TunMetadata[e.Index] : key.TunMetadata[e.Index];
            Assert.Equal(expected, decoded.TunMetadata[e.Index]);
        }
    }

    [Fact]
    public void Unknown_non_critical_options_inserted_anywhere_are_skipped()
    {
        var rng = new Random(7);
        var buf = new byte[2048];
        var frame = new byte[2048];
        for (int i = 0; i < 1000; i++)
        {
            var inner = RandomInner(rng);
            // GENEVE header with 1..4 unknown non-critical options of random sizes around a mapped one.
            int pos = 8;
            int mappedAt = rng.Next(0, 4);
            for (int k = 0; k < 4; k++)
            {
                if (k == mappedAt)
                {
                    GeneveOption.TryWrite(buf.AsSpan(pos), 0xFFFF, 0, [0, 0, 0, (byte)i], out int w);
                    pos += w;
                }
                var data = new byte[4 * rng.Next(0, 4)];
                rng.NextBytes(data);
                GeneveOption.TryWrite(buf.AsSpan(pos), (ushort)rng.Next(0x200, 0xFF00), (byte)rng.Next(0, 0x80), data, out int n);
                pos += n;
            }
            GeneveHeader.TryWrite(buf, (uint)i, EtherTypes.TransparentEthernetBridging, (pos - 8) / 4, false, false, out _);
            inner.CopyTo(buf.AsSpan(pos));
            var outer = new GeneveOuterFields { Source = new Ipv4Address(1), Destination = new Ipv4Address(2), Ttl = 64, UdpSource = 50000, UdpDestination = 6081, UdpChecksum = true };
            Assert.True(GeneveOuterFrame.TryWrap(buf.AsSpan(0, pos + inner.Length), in outer, frame, out int total));
            var key = default(FlowKey);
            Assert.True(GeneveDecapsulator.TryDecapsulate(frame.AsSpan(0, total), in s_map, out int offset, ref key, out var reason), reason.ToString());
            Assert.Equal(inner, frame.AsSpan(offset, total - offset).ToArray());
            Assert.Equal(1u, key.TunMetadataPresent);
            Assert.Equal((ulong)(byte)i, key.TunMetadata[0]);
        }
    }

    internal static byte[] RandomInner(Random rng)
    {
        var src = new MacAddress((ulong)rng.NextInt64() & 0xFEFF_FFFF_FFFF);
        var dst = new MacAddress((ulong)rng.NextInt64());
        var sip = new Ipv4Address((uint)rng.Next());
        var dip = new Ipv4Address((uint)rng.Next());
        switch (rng.Next(4))
        {
            case 0:
                return PacketBuilder.Tcp(src, dst, sip, dip, (ushort)rng.Next(65536), (ushort)rng.Next(65536), (TcpFlags)rng.Next(0x1000),
                    (uint)rng.Next(), payload: RandomBytes(rng, rng.Next(0, 1400)));
            case 1:
                return PacketBuilder.Udp(src, dst, sip, dip, (ushort)rng.Next(65536), (ushort)rng.Next(65536), RandomBytes(rng, rng.Next(0, 1400)));
            case 2:
                return PacketBuilder.Arp(1, src, sip, MacAddress.Zero, dip, src, MacAddress.Broadcast);
            default:
                return RandomBytes(rng, rng.Next(14, 1500));   // anything Ethernet-sized
        }
    }

    private static byte[] RandomBytes(Random rng, int length)
    {
        var b = new byte[length];
        rng.NextBytes(b);
        return b;
    }
}
