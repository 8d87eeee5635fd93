using Datapath.Packets;

namespace Datapath.Geneve.Tests;

/// <summary>No input makes the decapsulator throw: every cut, every bit flip, random bytes.</summary>
public class GeneveMalformedInputTests
{
    private static readonly TlvMap s_map = TlvMap.Parse("{class=0xffff,type=0,len=4}->tun_metadata0,{class=0x102,type=0x85,len=8}->tun_metadata1");

    private static byte[] ValidFrame()
    {
        var key = SeedFrames.TunnelFields();
        key.TunMetadataPresent = 0b11;
        key.TunMetadata[0] = 0x1234;
        key.TunMetadata[1] = 0x5678;
        var buf = new byte[512];
        Assert.True(GeneveEncapsulator.TryEncapsulate(SeedFrames.InnerSyn(), in key, in s_map, SeedFrames.Worker1Mac, SeedFrames.Worker2Mac, buf, out int n));
        return buf[..n];
    }

    [Fact]
    public void Every_cut_of_a_valid_frame_is_dropped_without_exception()
    {
        var frame = ValidFrame();
        for (int cut = 0; cut < frame.Length; cut++)
        {
            var key = default(FlowKey);
            Assert.False(GeneveDecapsulator.TryDecapsulate(frame.AsSpan(0, cut), in s_map, out _, ref key, out var reason), $"cut {cut}");
            Assert.NotEqual(GeneveDropReason.None, reason);
            Assert.Equal(0u, key.TunDst);
        }
    }

    [Fact]
    public void Every_cut_of_a_geneve_header_with_options_is_handled()
    {
        // Header + two options, cut at every length, as a UDP payload (no outer checksums in the way).
        var payload = ValidFrame()[42..];
        var outer = new GeneveOuterFields { Source = SeedFrames.Worker1Ip, Destination = SeedFrames.Worker2Ip };
        for (int cut = 0; cut < payload.Length; cut++)
        {
            var key = default(FlowKey);
            bool ok = GeneveDecapsulator.TryDecapsulatePayload(payload.AsSpan(0, cut), in s_map, in outer, out int offset, ref key, out var reason);
            if (cut < 28 + 14)
            {
                Assert.False(ok, $"cut {cut}");
                Assert.True(reason is GeneveDropReason.Truncated or GeneveDropReason.OptionsTruncated or GeneveDropReason.InnerTruncated, $"cut {cut}: {reason}");
            }
            else
            {
                Assert.True(ok);   // a shorter inner frame is still a frame; FlowKey.Extract flags it
                Assert.Equal(28, offset);
            }
            GeneveHeader.TryRead(payload.AsSpan(0, cut), out var h);
            if (cut >= 28)
                foreach (var o in h.EnumerateOptions())
                    Assert.True(o.TotalLength <= h.OptionsLength);
        }
    }

    [Fact]
    public void Every_single_byte_corruption_is_handled()
    {
        var frame = ValidFrame();
        foreach (byte value in new byte[] { 0x00, 0xFF, 0x80, 0x3F, 0x01 })
        {
            for (int i = 0; i < frame.Length; i++)
            {
                var copy = (byte[])frame.Clone();
                copy[i] = value;
                var key = default(FlowKey);
                bool ok = GeneveDecapsulator.TryDecapsulate(copy, in s_map, out int offset, out int length, ref key, out var reason);
                Assert.Equal(ok, reason == GeneveDropReason.None);
                if (ok)
                    Assert.InRange(offset + length, 0, copy.Length);
            }
        }
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var rng = new Random(11);
        var buf = new byte[300];
        for (int i = 0; i < 20000; i++)
        {
            int n = rng.Next(buf.Length);
            rng.NextBytes(buf.AsSpan(0, n));
            if (i % 2 == 0 && n > 50)
            {
                // Make the outer headers plausible so the GENEVE part gets exercised.
                ValidFrame().AsSpan(0, 42).CopyTo(buf);
            }
            var key = default(FlowKey);
            GeneveDecapsulator.TryDecapsulate(buf.AsSpan(0, n), in s_map, out _, ref key, out _);
            var outer = default(GeneveOuterFields);
            GeneveDecapsulator.TryDecapsulatePayload(buf.AsSpan(0, n), in s_map, in outer, out _, out _, ref key, out _);
            GeneveEncapsulator.InnerFlowHash(buf.AsSpan(0, n));
            if (GeneveHeader.TryRead(buf.AsSpan(0, n), out var h))
                foreach (var o in h.EnumerateOptions())
                    _ = o.Data.Length;
        }
    }
}
