using System.Buffers.Binary;

namespace Datapath.Packets.Tests;

public class ChecksumTests
{
    [Fact]
    public void Add_matches_RFC1071_example()
    {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (checksum 220d).
        byte[] data = Convert.FromHexString("0001f203f4f5f6f7");
        Assert.Equal(0xddf2u, Checksum.Add(data));
        Assert.Equal(0x220d, Checksum.Fold(Checksum.Add(data)));
    }

    [Fact]
    public void Add_pads_an_odd_byte_with_zero()
    {
        Assert.Equal(Checksum.Add(Convert.FromHexString("0001f203f4f5f6f700")), Checksum.Add(Convert.FromHexString("0001f203f4f5f6f7")) + 0u);
        Assert.Equal(Checksum.Add(Convert.FromHexString("01020300")), Checksum.Add(Convert.FromHexString("010203")));
    }

    [Fact]
    public void Add_chains_partial_sums()
    {
        var rnd = new Random(1);
        var data = new byte[1001];
        rnd.NextBytes(data);
        Assert.Equal(Checksum.Add(data), Checksum.Add(data.AsSpan(600), Checksum.Add(data.AsSpan(0, 600))));
    }

    [Fact]
    public void Add_agrees_with_a_naive_sum_for_all_lengths()
    {
        var rnd = new Random(2);
        for (int n = 0; n < 200; n++)
        {
            var data = new byte[n];
            rnd.NextBytes(data);
            uint naive = 0;
            for (int i = 0; i < n; i += 2)
                naive += (uint)(data[i] << 8) | (i + 1 < n ? data[i + 1] : 0u);
            while (naive > 0xffff)
                naive = (naive & 0xffff) + (naive >> 16);
            Assert.Equal(naive, Checksum.Add(data));
        }
    }

    [Theory]
    [InlineData(0xFF)]
    [InlineData(0x80)]
    public void Add_of_a_largest_frame_of_one_byte_agrees_with_a_naive_sum(byte fill)
    {
        // The worst case for the accumulator's headroom: 65535 bytes, every word at or near its maximum.
        var data = new byte[65535];
        Array.Fill(data, fill);
        ulong naive = 0;
        for (int i = 0; i < data.Length; i += 2)
            naive += (uint)(data[i] << 8) | (i + 1 < data.Length ? data[i + 1] : 0u);
        while (naive > 0xffff)
            naive = (naive & 0xffff) + (naive >> 16);
        Assert.Equal((uint)naive, Checksum.Add(data));
    }

    [Fact]
    public void Ipv4Header_matches_a_known_header()
    {
        // The example header of en.wikipedia.org/wiki/Internet_checksum: checksum b861.
        byte[] h = Convert.FromHexString("450000730000400040110000c0a80001c0a800c7");
        Assert.Equal(0xb861, Checksum.Ipv4Header(h));
    }

    [Fact]
    public void Incremental32_equals_full_recompute_for_an_address_change()
    {
        byte[] h = Convert.FromHexString("450000730000400040110000c0a80001c0a800c7");
        ushort before = Checksum.Ipv4Header(h);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(16), 0x0a000001);
        ushort after = Checksum.Ipv4Header(h);
        Assert.Equal(after, Checksum.Incremental32(before, 0xc0a800c7, 0x0a000001));
    }

    [Fact]
    public void Incremental16_equals_full_recompute_for_a_ttl_change()
    {
        byte[] h = Convert.FromHexString("450000730000400040110000c0a80001c0a800c7");
        ushort before = Checksum.Ipv4Header(h);
        h[8] = 0x3f;
        Assert.Equal(Checksum.Ipv4Header(h), Checksum.Incremental16(before, 0x4011, 0x3f11));
    }
}
