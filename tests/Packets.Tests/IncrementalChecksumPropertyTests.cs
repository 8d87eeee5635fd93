using System.Buffers.Binary;

namespace Datapath.Packets.Tests;

/// <summary>
/// Property: after any sequence of PacketEditor rewrites (addresses, ports, TTL, TOS/ECN, ICMP
/// type/code, IPv6 addresses and hop limit) the incrementally updated checksums equal a full
/// recompute (RFC 1624), over many random packets. Seeded, so failures reproduce.
/// </summary>
public class IncrementalChecksumPropertyTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Incremental_equals_full_recompute(int seed)
    {
        var rnd = new Random(seed);
        for (int i = 0; i < 2500; i++)
        {
            byte[] f = RandomFrame(rnd, out bool udpNoChecksum);
            FlowKey.Extract(f, 1, out var original);
            Assert.Equal(ParseFlags.None, original.Layout.Flags & (ParseFlags.Truncated | ParseFlags.Malformed));
            var modified = original;
            int rewrites = rnd.Next(1, 6);
            for (int r = 0; r < rewrites; r++)
                Mutate(rnd, ref modified);
            Assert.True(PacketEditor.ApplyKey(f, original, modified), $"seed {seed} packet {i}");

            FlowKey.Extract(f, 1, out var after);
            after.Layout = modified.Layout;
            Assert.True(modified.Bytes.SequenceEqual(after.Bytes), $"seed {seed} packet {i}: the frame does not carry the modified key");
            AssertChecksumsAreFull(f, after, udpNoChecksum, $"seed {seed} packet {i}");
        }
    }

    [Fact]
    public void Single_field_setters_fix_checksums()
    {
        var rnd = new Random(7);
        for (int i = 0; i < 500; i++)
        {
            byte[] f = RandomFrame(rnd, out bool noCsum);
            FlowKey.Extract(f, 1, out var k);
            if (k.IsIpv4)
            {
                PacketEditor.SetIpv4Src(f, k.Layout, (uint)rnd.NextInt64());
                PacketEditor.SetIpv4Dst(f, k.Layout, (uint)rnd.NextInt64());
            }
            else
            {
                PacketEditor.SetIpv6Src(f, k.Layout, new Ipv6Address((ulong)rnd.NextInt64(), (ulong)rnd.NextInt64()));
            }
            PacketEditor.SetIpTtl(f, k.Layout, (byte)rnd.Next(256));
            PacketEditor.SetIpTos(f, k.Layout, (byte)rnd.Next(256));
            PacketEditor.SetTpSrc(f, k.Layout, (ushort)rnd.Next(65536));
            PacketEditor.SetTpDst(f, k.Layout, (ushort)rnd.Next(65536));
            FlowKey.Extract(f, 1, out var after);
            AssertChecksumsAreFull(f, after, noCsum, $"packet {i}");
        }
    }

    private static void AssertChecksumsAreFull(byte[] f, in FlowKey k, bool udpNoChecksum, string what)
    {
        int l3 = k.Layout.L3Offset, l4 = k.Layout.L4Offset;
        if (k.IsIpv4)
        {
            int ihl = (f[l3] & 0x0f) * 4;
            Assert.Equal(Checksum.Ipv4Header(f.AsSpan(l3, ihl)), BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(l3 + 10)));
            int at = Checksum.ChecksumOffset(k.NwProto);
            ushort stored = BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(l4 + at));
            if (udpNoChecksum)
                Assert.Equal(0, stored);
            else
                Assert.True(Checksum.TransportV4(f.AsSpan(l4), k.NwSrc, k.NwDst, k.NwProto) == stored, what);
        }
        else
        {
            int at = Checksum.ChecksumOffset(k.NwProto);
            ushort stored = BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(l4 + at));
            Assert.True(Checksum.TransportV6(f.AsSpan(l4), k.Ipv6Src, k.Ipv6Dst, k.NwProto) == stored, what);
        }
    }

    private static byte[] RandomFrame(Random rnd, out bool udpNoChecksum)
    {
        udpNoChecksum = false;
        var src = new MacAddress((ulong)rnd.NextInt64());
        var dst = new MacAddress((ulong)rnd.NextInt64());
        var payload = new byte[rnd.Next(0, 64)];
        rnd.NextBytes(payload);
        ushort sp = (ushort)rnd.Next(65536), dp = (ushort)rnd.Next(65536);
        if (rnd.Next(3) == 0)
        {
            var s6 = new Ipv6Address((ulong)rnd.NextInt64(), (ulong)rnd.NextInt64());
            var d6 = new Ipv6Address((ulong)rnd.NextInt64(), (ulong)rnd.NextInt64());
            return rnd.Next(3) switch
            {
                0 => PacketBuilder.Tcp6(src, dst, s6, d6, sp, dp, TcpFlags.Ack, (uint)rnd.Next(), (uint)rnd.Next(), payload: payload),
                1 => PacketBuilder.Udp6(src, dst, s6, d6, sp, dp, payload),
                _ => PacketBuilder.Icmpv6Echo(src, dst, s6, d6, rnd.Next(2) == 0, sp, dp, payload),
            };
        }
        var s = new Ipv4Address((uint)rnd.NextInt64());
        var d = new Ipv4Address((uint)rnd.NextInt64());
        byte ttl = (byte)rnd.Next(1, 256), tos = (byte)rnd.Next(256);
        ushort id = (ushort)rnd.Next(65536);
        switch (rnd.Next(4))
        {
            case 0:
                return PacketBuilder.Tcp(src, dst, s, d, sp, dp, (TcpFlags)rnd.Next(0x1000), (uint)rnd.Next(), (uint)rnd.Next(),
                    (ushort)rnd.Next(65536), rnd.Next(2) == 0 ? PacketBuilder.LinuxSynOptions(1460, (uint)rnd.Next(), 0, 7) : default,
                    payload, ttl, id, tos);
            case 1:
                udpNoChecksum = rnd.Next(4) == 0;
                return PacketBuilder.Udp(src, dst, s, d, sp, dp, payload, ttl, id, tos, checksum: !udpNoChecksum);
            case 2:
                return PacketBuilder.IcmpEcho(src, dst, s, d, rnd.Next(2) == 0, sp, dp, payload, ttl, id);
            default:
                // IPv4 with options and a TCP segment.
                var opts = new byte[rnd.Next(1, 11) * 4];
                opts.AsSpan().Fill(1);   // NOPs
                return PacketBuilder.Ipv4(src, dst, s, d, IpProtocols.Tcp,
                    PacketBuilder.TcpSegment(sp, dp, TcpFlags.Syn, (uint)rnd.Next(), 0, 1000, default, payload), ttl, id, tos, opts);
        }
    }

    private static void Mutate(Random rnd, ref FlowKey k)
    {
        bool icmp = k.NwProto is IpProtocols.Icmp or IpProtocols.Icmpv6;
        switch (rnd.Next(k.IsIpv4 ? 7 : 6))
        {
            case 0:
                k.TpSrc = icmp ? (ushort)rnd.Next(256) : (ushort)rnd.Next(65536);
                break;
            case 1:
                k.TpDst = icmp ? (ushort)rnd.Next(256) : (ushort)rnd.Next(65536);
                break;
            case 2:
                k.NwTtl = (byte)rnd.Next(256);
                break;
            case 3:
                k.NwTos = (byte)(rnd.Next(256) & 0xfc);
                break;
            case 4:
                k.NwEcn = (byte)rnd.Next(4);
                break;
            case 5:
                if (k.IsIpv4)
                    k.NwSrc = (uint)rnd.NextInt64();
                else if (rnd.Next(2) == 0)
                    k.Ipv6Src = new Ipv6Address((ulong)rnd.NextInt64(), (ulong)rnd.NextInt64());
                else
                    k.Ipv6Dst = new Ipv6Address((ulong)rnd.NextInt64(), k.Ipv6DstLo);
                break;
            default:
                k.NwDst = (uint)rnd.NextInt64();
                break;
        }
    }
}
