namespace Datapath.Packets.Tests;

/// <summary>Every frame kind cut at every length from 0 to its full size: Extract never throws and flags the cut.</summary>
public class TruncationTests
{
    [Theory]
    [MemberData(nameof(TestFrames.Names), MemberType = typeof(TestFrames))]
    public void Cut_frames_are_flagged_truncated(string kind)
    {
        byte[] full = TestFrames.All[kind]();
        FlowKey.Extract(full, 1, out var whole);
        Assert.False(whole.Layout.Flags.HasFlag(ParseFlags.Truncated), kind);
        Assert.False(whole.Layout.Flags.HasFlag(ParseFlags.Malformed), kind);
        for (int n = 0; n < full.Length; n++)
        {
            // A fresh array of exactly n bytes, so a read past the cut would throw.
            byte[] cut = full.AsSpan(0, n).ToArray();
            FlowKey.Extract(cut, 1, out var k);
            Assert.True(k.Layout.Flags.HasFlag(ParseFlags.Truncated), $"{kind} cut at {n} of {full.Length}: {k.Layout.Flags}");
            Assert.False(k.Layout.Flags.HasFlag(ParseFlags.L4Complete) && k.Layout.PayloadOffset > n, $"{kind} cut at {n}");
            // What was parsed agrees with the whole frame.
            if (n >= 14)
            {
                Assert.Equal(whole.EthSrc, k.EthSrc);
                Assert.Equal(whole.EthDst, k.EthDst);
            }
            if (k.NwSrc != 0)
                Assert.Equal(whole.NwSrc, k.NwSrc);
            if (k.TpDst != 0)
                Assert.Equal(whole.TpDst, k.TpDst);
        }
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var rnd = new Random(42);
        var buf = new byte[128];
        for (int i = 0; i < 20000; i++)
        {
            rnd.NextBytes(buf);
            int n = rnd.Next(buf.Length + 1);
            // Steer toward interesting EtherTypes so the L3/L4 parsers run.
            if (n >= 14)
            {
                ushort[] types = [EtherTypes.IPv4, EtherTypes.IPv6, EtherTypes.Arp, EtherTypes.Vlan, EtherTypes.QinQ];
                ushort t = types[rnd.Next(types.Length)];
                buf[12] = (byte)(t >> 8);
                buf[13] = (byte)t;
                if (n > 14 && t == EtherTypes.IPv4)
                    buf[14] = (byte)(0x40 | rnd.Next(16));
                if (n > 14 && t == EtherTypes.IPv6)
                    buf[14] = (byte)(0x60 | (buf[14] & 0x0F));
            }
            FlowKey.Extract(buf.AsSpan(0, n), 1, out var k);
            Assert.True(k.Layout.L3Offset <= n && k.Layout.L4Offset <= n && k.Layout.PayloadOffset <= n);
        }
    }
}
