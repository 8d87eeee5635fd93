namespace Datapath.Geneve.Tests;

public class GeneveRoundtripTests
{
    [Theory]
    [InlineData(0u, 0x6558, false, false)]
    [InlineData(0xFFFFFFu, 0x0800, true, false)]
    [InlineData(0x123456u, 0x86DD, false, true)]
    public void Header_write_then_read(uint vni, int proto, bool oam, bool critical)
    {
        var buf = new byte[GeneveHeader.MaxLength];
        var rng = new Random((int)vni);
        // Options of random sizes filling a random number of words.
        int pos = GeneveHeader.Length;
        int optionCount = rng.Next(0, 6);
        var written = new List<(ushort, byte, byte[])>();
        for (int i = 0; i < optionCount; i++)
        {
            var data = new byte[4 * rng.Next(0, 5)];
            rng.NextBytes(data);
            var (cls, type) = ((ushort)rng.Next(0, 0x10000), (byte)rng.Next(0, 0x100));
            Assert.True(GeneveOption.TryWrite(buf.AsSpan(pos), cls, type, data, out int n));
            pos += n;
            written.Add((cls, type, data));
        }
        Assert.True(GeneveHeader.TryWrite(buf, vni, (ushort)proto, (pos - GeneveHeader.Length) / 4, oam, critical, out _));

        Assert.True(GeneveHeader.TryRead(buf.AsSpan(0, pos), out var h));
        Assert.Equal(vni, h.Vni);
        Assert.Equal((ushort)proto, h.ProtocolType);
        Assert.Equal(oam, h.Oam);
        Assert.Equal(critical, h.Critical);
        Assert.Equal(pos, h.HeaderLength);
        int k = 0;
        foreach (var o in h.EnumerateOptions())
        {
            Assert.Equal(written[k].Item1, o.Class);
            Assert.Equal(written[k].Item2, o.Type);
            Assert.Equal(written[k].Item3, o.Data.ToArray());
            k++;
        }
        Assert.Equal(optionCount, k);
    }

    [Fact]
    public void Tlv_map_text_round_trips()
    {
        var map = TlvMap.Parse("{class=0xffff,type=0,len=4}->tun_metadata0,{class=0x102,type=0x85,len=8}->tun_metadata3");
        Assert.Equal(map, TlvMap.Parse(map.ToString()));
    }
}
