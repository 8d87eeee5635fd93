namespace Datapath.Geneve.Tests;

public class TlvMapTests
{
    // The map Antrea installs (seed scenario README: table 0's move:NXM_NX_TUN_METADATA0[28..31]).
    [Fact]
    public void Parses_antreas_map()
    {
        var map = TlvMap.Parse("{class=0xffff,type=0,len=4}->tun_metadata0");
        Assert.Equal(1, map.Count);
        Assert.True(map.TryFind(0xFFFF, 0, out var e));
        Assert.Equal(4, e.Length);
        Assert.Equal(0, e.Index);
        Assert.Equal(1u, map.MappedIndexes);
    }

    [Fact]
    public void Parses_several_entries_with_spaces_decimal_and_keys_in_any_order()
    {
        var map = TlvMap.Parse(" {class=0xffff, type=0, len=4}->tun_metadata0 , {len=8,type=133,class=258} -> tun_metadata7");
        Assert.Equal(2, map.Count);
        Assert.True(map.TryFind(0x0102, 0x85, out var e));
        Assert.Equal(8, e.Length);
        Assert.Equal(7, e.Index);
        Assert.True(map.TryFindByIndex(7, out var byIndex));
        Assert.Equal(e, byIndex);
        Assert.False(map.TryFind(0x0102, 0x05, out _));   // the critical bit is part of the type
    }

    [Fact]
    public void Formats_as_add_tlv_map_takes_it()
    {
        var map = TlvMap.Parse("{class=0xffff,type=0,len=4}->tun_metadata0");
        Assert.Equal("{class=0xffff,type=0x0,len=4}->tun_metadata0", map.ToString());
    }

    [Fact]
    public void Default_is_empty()
    {
        TlvMap map = default;
        Assert.Equal(0, map.Count);
        Assert.False(map.TryFind(0xFFFF, 0, out _));
        Assert.Equal(TlvMap.Empty, map);
        Assert.Equal("", map.ToString());
    }

    [Theory]
    [InlineData("", "column 1: empty TLV map")]
    [InlineData("class=1", "column 1: expected '{'")]
    [InlineData("{class=0xffff,type=0}->tun_metadata0", "column 1: mapping lacks len=")]
    [InlineData("{class=0xffff,type=0,len=12}->tun_metadata0", "column 26: len=12: only 4 or 8")]
    [InlineData("{class=0x10000,type=0,len=4}->tun_metadata0", "column 8: class=0x10000 is out of range")]
    [InlineData("{class=1,type=256,len=4}->tun_metadata0", "column 15: type=256 is out of range")]
    [InlineData("{class=1,type=1,len=4,type=2}->tun_metadata0", "column 23: 'type' given twice")]
    [InlineData("{class=1,kind=1,len=4}->tun_metadata0", "column 10: unknown key 'kind'")]
    [InlineData("{class=zz,type=1,len=4}->tun_metadata0", "column 8: 'zz' is not a number")]
    [InlineData("{class=1,type=1,len=4}tun_metadata0", "expected '->'")]
    [InlineData("{class=1,type=1,len=4}->tun_metadata8", "column 25: tun_metadata8: only tun_metadata0..tun_metadata7")]
    [InlineData("{class=1,type=1,len=4}->reg0", "column 25: expected tun_metadataN, got 'reg0'")]
    [InlineData("{class=1,type=1,len=4}->tun_metadata0;", "column 38: expected ',' or the end")]
    [InlineData("{class=1,type=1,len=4}->tun_metadata0,{class=1,type=1,len=8}->tun_metadata1", "duplicate option class=0x1,type=0x1")]
    [InlineData("{class=1,type=1,len=4}->tun_metadata0,{class=1,type=2,len=4}->tun_metadata0", "tun_metadata0 is mapped twice")]
    public void Rejects_bad_text_naming_the_column(string text, string expected)
    {
        Assert.False(TlvMap.TryParse(text, out _, out string? error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
        var ex = Assert.Throws<FormatException>(() => TlvMap.Parse(text));
        Assert.Equal(error, ex.Message);
    }

    [Fact]
    public void The_constructor_rejects_duplicates()
    {
        Assert.Throws<ArgumentException>(() => new TlvMap([new TlvMapEntry(1, 1, 4, 0), new TlvMapEntry(1, 1, 4, 1)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TlvMapEntry(1, 1, 12, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TlvMapEntry(1, 1, 4, 8));
    }

    [Fact]
    public void Add_merges_maps()
    {
        var a = TlvMap.Parse("{class=1,type=1,len=4}->tun_metadata0");
        var b = TlvMap.Parse("{class=1,type=2,len=8}->tun_metadata1");
        var both = a.Add(b);
        Assert.Equal(2, both.Count);
        Assert.Equal(3u, both.MappedIndexes);
        Assert.Throws<ArgumentException>(() => a.Add(a));
    }
}
