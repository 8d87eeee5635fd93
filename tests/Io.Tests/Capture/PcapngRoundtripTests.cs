using Datapath.Io.Capture;

namespace Datapath.Io.Tests.Capture;

public class PcapngRoundtripTests
{
    public static TheoryData<bool, PcapTimestampResolution> Variants => PcapRoundtripTests.Variants;

    [Theory]
    [MemberData(nameof(Variants))]
    public void Frames_on_several_interfaces_are_read_back_identically(bool bigEndian, PcapTimestampResolution resolution)
    {
        var frames = TestCaptures.Frames(60, interfaces: 3);
        string?[] names = ["antrea-gw0", "ens160", null];
        byte[] file = TestCaptures.WritePcapng(frames, names, resolution, bigEndian);

        using var reader = new PcapngReader(new MemoryStream(file), "t.pcapng");
        var read = TestCaptures.ReadAll(reader);

        Assert.Equal(bigEndian, reader.IsBigEndian);
        Assert.Equal(3, reader.Interfaces.Count);
        Assert.Equal(frames.Count, read.Count);
        for (int i = 0; i < frames.Count; i++)
        {
            Assert.Equal(frames[i].Data, read[i].Data);
            Assert.Equal(frames[i].OriginalLength, read[i].OriginalLength);
            Assert.Equal(frames[i].InterfaceIndex, read[i].InterfaceIndex);
            Assert.Equal(names[frames[i].InterfaceIndex], read[i].InterfaceName);
            Int128 expectedTs = resolution == PcapTimestampResolution.Nanosecond
                ? frames[i].TimestampNanoseconds
                : frames[i].TimestampNanoseconds / 1000 * 1000;
            Assert.Equal(expectedTs, read[i].TimestampNanoseconds);
        }
    }

    [Fact]
    public void A_second_section_may_switch_byte_order_and_restarts_interface_ids()
    {
        var a = TestCaptures.Frames(5, seed: 1);
        var b = TestCaptures.Frames(5, seed: 2);
        byte[] first = TestCaptures.WritePcapng(a, ["eth0"], bigEndian: false);
        byte[] second = TestCaptures.WritePcapng(b, ["eth1"], bigEndian: true);

        using var reader = new PcapngReader(new MemoryStream([.. first, .. second]), "t.pcapng");
        var read = TestCaptures.ReadAll(reader);

        Assert.Equal(2, reader.SectionCount);
        Assert.True(reader.IsBigEndian);
        Assert.Equal(a.Concat(b).Select(f => f.Data), read.Select(f => f.Data));
        Assert.Equal(Enumerable.Repeat("eth0", 5).Concat(Enumerable.Repeat("eth1", 5)), read.Select(f => f.InterfaceName));
        Assert.All(read, f => Assert.Equal(0, f.InterfaceIndex));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Simple_obsolete_and_unknown_blocks_are_handled(bool bigEndian)
    {
        byte[] d1 = [.. Enumerable.Range(0, 61).Select(i => (byte)i)];
        byte[] d2 = [.. Enumerable.Range(0, 70).Select(i => (byte)(i * 3))];
        byte[] d3 = [.. Enumerable.Range(0, 64).Select(i => (byte)(i ^ 0x5a))];
        byte[] file = new PcapngBuilder()
            .Section(bigEndian)
            .Interface("veth0", snapLength: 64)
            .Unknown(0x00000004, 4)          // Name Resolution Block
            .Simple(d1, 61)
            .Unknown(0x00000005, 16)         // Interface Statistics Block
            .Simple(d2, 70)                  // cut to the snap length 64
            .ObsoletePacket(0, 1_000_000, d3)
            .Unknown(0x40000BAD, 0)          // a custom block type
            .ToArray();

        var read = TestCaptures.ReadAll(file);

        Assert.Equal(3, read.Count);
        Assert.Equal(d1, read[0].Data);
        Assert.Equal(d2[..64], read[1].Data);
        Assert.Equal(70, read[1].OriginalLength);
        Assert.Equal(d3, read[2].Data);
        Assert.Equal((Int128)1_000_000_000L, read[2].TimestampNanoseconds); // default if_tsresol: microseconds
        Assert.All(read, f => Assert.Equal("veth0", f.InterfaceName));
    }

    [Theory]
    // if_tsresol 9: nanoseconds; 3: milliseconds; 0x80|10: 2^-10 s; if_tsoffset adds seconds.
    [InlineData((byte)9, 0L, 1_234_567_890_123UL, 1_234_567_890_123L)]
    [InlineData((byte)3, 0L, 1_500UL, 1_500_000_000L)]
    [InlineData((byte)(0x80 | 10), 0L, 2048UL, 2_000_000_000L)]
    [InlineData((byte)(0x80 | 10), 0L, 512UL, 500_000_000L)]
    [InlineData((byte)6, 100L, 5UL, 100_000_005_000L)]
    [InlineData((byte)12, 0L, 7_000_000_000_000UL, 7_000_000_000L)]
    public void Timestamps_follow_if_tsresol_and_if_tsoffset(byte tsresol, long tsoffset, ulong units, long expectedNanoseconds)
    {
        byte[] file = new PcapngBuilder()
            .Section(bigEndian: false)
            .Interface("eth0", tsresol, tsoffset)
            .Enhanced(0, units, new byte[60])
            .ToArray();

        var f = Assert.Single(TestCaptures.ReadAll(file));
        Assert.Equal((Int128)expectedNanoseconds, f.TimestampNanoseconds);
    }

    [Fact]
    public void PacketFileReader_sniffs_pcapng_by_magic()
    {
        byte[] file = TestCaptures.WritePcapng(TestCaptures.Frames(3), ["a"]);
        using var r = PacketFileReader.Open(new MemoryStream(file), "x.pcap");
        Assert.IsType<PcapngReader>(r);
        Assert.Equal(3, TestCaptures.ReadAll(r).Count);
    }

    [Fact]
    public void Reading_frames_allocates_nothing_per_frame()
    {
        var frames = TestCaptures.Frames(2000, interfaces: 2);
        byte[] file = TestCaptures.WritePcapng(frames, ["a", "b"]);
        Assert.Equal(0, TestCaptures.LeastAllocatedReading(() => new PcapngReader(new MemoryStream(file), "t.pcapng"), skip: 2));
    }
}
