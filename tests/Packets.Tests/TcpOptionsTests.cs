namespace Datapath.Packets.Tests;

public class TcpOptionsTests
{
    // The options of the seed SYN, as Linux sends them and tcpdump prints them:
    // [mss 1410,sackOK,TS val 3688671724 ecr 0,nop,wscale 7]
    private const string LinuxSyn = "020405820402080adbdca9ec0000000001030307";

    [Fact]
    public void Writer_produces_the_Linux_syn_options()
        => Assert.Equal(LinuxSyn, Convert.ToHexString(PacketBuilder.LinuxSynOptions(1410, 3688671724, 0, 7)).ToLowerInvariant());

    [Fact]
    public void Reader_finds_each_option()
    {
        var o = new TcpOptions(Convert.FromHexString(LinuxSyn));
        Assert.True(o.TryGetMss(out ushort mss));
        Assert.Equal(1410, mss);
        Assert.True(o.SackPermitted);
        Assert.True(o.TryGetTimestamps(out uint val, out uint ecr));
        Assert.Equal(3688671724u, val);
        Assert.Equal(0u, ecr);
        Assert.True(o.TryGetWindowScale(out byte ws));
        Assert.Equal(7, ws);
        Assert.True(o.IsWellFormed);
    }

    [Fact]
    public void Enumerator_yields_options_in_order()
    {
        var kinds = new List<byte>();
        foreach (var opt in new TcpOptions(Convert.FromHexString(LinuxSyn)))
            kinds.Add(opt.Kind);
        Assert.Equal(new byte[] { 2, 4, 8, 1, 3 }, kinds);
    }

    [Fact]
    public void Eol_ends_the_list()
    {
        // nop, eol, then bytes that would be an MSS option.
        var kinds = new List<byte>();
        foreach (var opt in new TcpOptions(Convert.FromHexString("0100020405b4")))
            kinds.Add(opt.Kind);
        Assert.Equal(new byte[] { 1, 0 }, kinds);
        Assert.False(new TcpOptions(Convert.FromHexString("0100020405b4")).TryGetMss(out _));
    }

    [Theory]
    [InlineData("0201")]           // length 1 < 2
    [InlineData("020405")]         // runs past the end
    [InlineData("02")]             // no length octet
    public void Malformed_options_stop_the_walk(string hex)
    {
        var o = new TcpOptions(Convert.FromHexString(hex));
        Assert.False(o.IsWellFormed);
        Assert.False(o.TryGetMss(out _));
    }

    [Fact]
    public void Sack_blocks_are_returned_as_data()
    {
        // nop nop sack(10): one block 1000-2000.
        foreach (var opt in new TcpOptions(Convert.FromHexString("0101050a000003e8000007d0")))
        {
            if (opt.Kind == TcpOptionKinds.Sack)
                Assert.Equal(8, opt.Data.Length);
        }
    }

    [Fact]
    public void Writer_refuses_when_full()
    {
        var w = new TcpOptionsWriter(new byte[3]);
        Assert.False(w.Mss(1460));
        Assert.True(w.WindowScale(7));
        Assert.Equal(3, w.BytesWritten);
        Assert.False(w.Nop());
    }
}
