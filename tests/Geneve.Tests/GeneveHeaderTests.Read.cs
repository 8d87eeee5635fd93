namespace Datapath.Geneve.Tests;

public partial class GeneveHeaderTests
{
    // The GENEVE header of the seed frame (cluster.yaml packets.geneve_on_ens160, tcpdump:
    // "Geneve, Flags [none], vni 0x0, proto TEB (0x6558)"): version 0, no options.
    [Fact]
    public void Reads_the_seed_header()
    {
        Assert.True(GeneveHeader.TryRead(Hex.Parse("00 00 65 58 00 00 00 00"), out var h));
        Assert.Equal(0, h.Version);
        Assert.Equal(0, h.OptionLengthWords);
        Assert.Equal(8, h.HeaderLength);
        Assert.False(h.Oam);
        Assert.False(h.Critical);
        Assert.Equal((ushort)0x6558, h.ProtocolType);
        Assert.Equal(0u, h.Vni);
        Assert.True(h.Options.IsEmpty);
    }

    // RFC 8926 §3.4 figure, filled by hand: Ver=0, Opt Len=2 (8 bytes), O=1, C=1,
    // proto 0x0800, VNI 0xABCDEF, then one option class 0xffff type 0x80|0x05 length 1.
    [Theory]
    [InlineData("02 c0 08 00 ab cd ef 00 ff ff 85 01 de ad be ef", 2, true, true, 0x0800, 0xABCDEFu)]
    [InlineData("00 80 86 dd 00 00 01 00", 0, true, false, 0x86DD, 1u)]
    [InlineData("00 40 65 58 ff ff ff 7f", 0, false, true, 0x6558, 0xFFFFFFu)]
    public void Reads_fields(string hex, int optWords, bool oam, bool critical, int proto, uint vni)
    {
        Assert.True(GeneveHeader.TryRead(Hex.Parse(hex), out var h));
        Assert.Equal(0, h.Version);
        Assert.Equal(optWords, h.OptionLengthWords);
        Assert.Equal(optWords * 4, h.OptionsLength);
        Assert.Equal(oam, h.Oam);
        Assert.Equal(critical, h.Critical);
        Assert.Equal((ushort)proto, h.ProtocolType);
        Assert.Equal(vni, h.Vni);
    }

    [Fact]
    public void Reads_the_version_without_judging_it()
    {
        Assert.True(GeneveHeader.TryRead(Hex.Parse("40 00 65 58 00 00 00 00"), out var h));
        Assert.Equal(1, h.Version);
    }

    [Fact]
    public void Reserved_bits_are_exposed_and_ignored()
    {
        Assert.True(GeneveHeader.TryRead(Hex.Parse("00 3f 65 58 00 00 07 ff"), out var h));
        Assert.Equal(0x3F, h.Reserved1);
        Assert.Equal(0xFF, h.Reserved2);
        Assert.Equal(7u, h.Vni);
        Assert.False(h.Oam);
        Assert.False(h.Critical);
    }

    [Theory]
    [InlineData("")]
    [InlineData("00 00 65 58 00 00 00")]
    [InlineData("01 00 65 58 00 00 00 00 ff ff 00")]          // Opt Len 1 but 3 option bytes
    [InlineData("3f 00 65 58 00 00 00 00")]                    // Opt Len 63, no options at all
    public void Fails_when_the_bytes_end_early(string hex)
    {
        Assert.False(GeneveHeader.TryRead(Hex.Parse(hex), out _));
    }

    [Fact]
    public void The_view_ends_at_the_options_and_excludes_the_payload()
    {
        var bytes = Hex.Parse("01 00 65 58 00 00 00 00 ff ff 00 00 aa bb cc");
        Assert.True(GeneveHeader.TryRead(bytes, out var h));
        Assert.Equal(12, h.HeaderLength);
        Assert.Equal(4, h.Options.Length);
    }

    [Fact]
    public void Enumerates_options_in_order()
    {
        // Three options: (0x0102, 0x01, 4 bytes), (0xffff, 0x80, 0 bytes), (0x0000, 0x7f, 8 bytes).
        var bytes = Hex.Parse("""
            04 40 65 58 00 00 2a 00
            01 02 01 01 11 22 33 44
            ff ff 80 00
            00 00 7f 02 01 02 03 04 05 06 07 08
            """.Replace("04 40", "06 40", StringComparison.Ordinal));
        Assert.True(GeneveHeader.TryRead(bytes, out var h));
        var e = h.EnumerateOptions();
        Assert.True(e.MoveNext());
        Assert.Equal((ushort)0x0102, e.Current.Class);
        Assert.Equal((byte)0x01, e.Current.Type);
        Assert.False(e.Current.IsCritical);
        Assert.Equal(1, e.Current.LengthWords);
        Assert.Equal(Hex.Parse("11223344"), e.Current.Data.ToArray());
        Assert.True(e.MoveNext());
        Assert.Equal((ushort)0xFFFF, e.Current.Class);
        Assert.True(e.Current.IsCritical);
        Assert.Equal(0, e.Current.DataLength);
        Assert.True(e.MoveNext());
        Assert.Equal((byte)0x7F, e.Current.Type);
        Assert.Equal(8, e.Current.DataLength);
        Assert.False(e.MoveNext());
        Assert.False(e.IsMalformed);
    }

    [Fact]
    public void An_option_past_the_option_area_stops_the_enumeration_as_malformed()
    {
        // Opt Len 2 (8 bytes) but the option claims 2 words of data (12 bytes in all).
        var bytes = Hex.Parse("02 00 65 58 00 00 00 00 ff ff 00 02 11 22 33 44 55 66 77 88");
        Assert.True(GeneveHeader.TryRead(bytes, out var h));
        var e = h.EnumerateOptions();
        Assert.False(e.MoveNext());
        Assert.True(e.IsMalformed);
        Assert.Equal(8, e.Remaining.Length);
    }

    [Fact]
    public void Foreach_works_over_the_options()
    {
        var bytes = Hex.Parse("02 00 65 58 00 00 00 00 00 01 02 00 00 03 04 00");
        Assert.True(GeneveHeader.TryRead(bytes, out var h));
        int count = 0;
        foreach (var o in h.EnumerateOptions())
        {
            Assert.Equal(count == 0 ? (ushort)1 : (ushort)3, o.Class);
            count++;
        }
        Assert.Equal(2, count);
    }
}
