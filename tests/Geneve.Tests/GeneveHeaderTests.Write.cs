namespace Datapath.Geneve.Tests;

public partial class GeneveHeaderTests
{
    [Fact]
    public void Writes_the_seed_header()
    {
        var buf = new byte[8];
        Assert.True(GeneveHeader.TryWrite(buf, vni: 0, protocolType: 0x6558, optionLengthWords: 0, oam: false, critical: false, out int n));
        Assert.Equal(8, n);
        Assert.Equal("0000655800000000", Hex.Format(buf));
    }

    [Fact]
    public void Writes_flags_vni_and_option_length()
    {
        var buf = new byte[8];
        Assert.True(GeneveHeader.TryWrite(buf, 0xABCDEF, 0x0800, 2, oam: true, critical: true, out _));
        Assert.Equal("02c00800abcdef00", Hex.Format(buf));
    }

    [Fact]
    public void Too_short_a_destination_writes_nothing()
    {
        var buf = new byte[7];
        Assert.False(GeneveHeader.TryWrite(buf, 1, 0x6558, 0, false, false, out int n));
        Assert.Equal(0, n);
        Assert.All(buf, b => Assert.Equal(0, b));
    }

    [Fact]
    public void A_vni_over_24_bits_is_api_misuse()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GeneveHeader.TryWrite(new byte[8], 0x1000000, 0x6558, 0, false, false, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => GeneveHeader.TryWrite(new byte[8], 0, 0x6558, 64, false, false, out _));
    }

    [Fact]
    public void Writes_an_option()
    {
        var buf = new byte[8];
        Assert.True(GeneveOption.TryWrite(buf, 0xFFFF, 0x80, Hex.Parse("deadbeef"), out int n));
        Assert.Equal(8, n);
        Assert.Equal("ffff8001deadbeef", Hex.Format(buf));
    }

    [Fact]
    public void Option_data_must_be_whole_words()
    {
        Assert.Throws<ArgumentException>(() => GeneveOption.TryWrite(new byte[16], 1, 1, new byte[3], out _));
        Assert.Throws<ArgumentException>(() => GeneveOption.TryWrite(new byte[200], 1, 1, new byte[128], out _));
        Assert.False(GeneveOption.TryWrite(new byte[7], 1, 1, new byte[4], out _));
    }
}
