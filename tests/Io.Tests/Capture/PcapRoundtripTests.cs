using Datapath.Io.Capture;

namespace Datapath.Io.Tests.Capture;

public class PcapRoundtripTests
{
    public static TheoryData<bool, PcapTimestampResolution> Variants => new()
    {
        { false, PcapTimestampResolution.Microsecond },
        { false, PcapTimestampResolution.Nanosecond },
        { true, PcapTimestampResolution.Microsecond },
        { true, PcapTimestampResolution.Nanosecond },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Frames_written_are_read_back_identically(bool bigEndian, PcapTimestampResolution resolution)
    {
        var frames = TestCaptures.Frames(50);
        byte[] file = TestCaptures.WritePcap(frames, resolution, bigEndian);

        using var reader = new PcapReader(new MemoryStream(file), "t.pcap");
        Assert.Equal(bigEndian, reader.IsBigEndian);
        Assert.Equal(resolution, reader.Resolution);
        Assert.Equal(LinkTypes.Ethernet, reader.LinkType);
        var read = TestCaptures.ReadAll(reader);

        Assert.Equal(frames.Count, read.Count);
        long offset = 24;
        for (int i = 0; i < frames.Count; i++)
        {
            Assert.Equal(frames[i].Data, read[i].Data);
            Assert.Equal(frames[i].OriginalLength, read[i].OriginalLength);
            Int128 expectedTs = resolution == PcapTimestampResolution.Nanosecond
                ? frames[i].TimestampNanoseconds
                : frames[i].TimestampNanoseconds / 1000 * 1000;
            Assert.Equal(expectedTs, read[i].TimestampNanoseconds);
            Assert.Equal(offset, read[i].FileOffset);
            offset += 16 + frames[i].Data.Length;
        }
        Assert.Equal(frames.Count, reader.FramesRead);
    }

    [Theory]
    // The file header of a little-endian microsecond file as libpcap writes it (pcap-savefile(5)).
    [InlineData(false, PcapTimestampResolution.Microsecond, "d4c3b2a1020004000000000000000000ffff000001000000")]
    [InlineData(true, PcapTimestampResolution.Nanosecond, "a1b23c4d0002000400000000000000000000ffff00000001")]
    public void File_header_has_the_pcap_savefile_layout(bool bigEndian, PcapTimestampResolution resolution, string hex)
    {
        byte[] file = TestCaptures.WritePcap([], resolution, bigEndian, snapLength: 65535);
        Assert.Equal(Convert.FromHexString(hex), file);
    }

    [Fact]
    public void Frames_longer_than_the_snap_length_are_cut_and_keep_their_original_length()
    {
        var frame = new TestCaptures.Frame(new byte[200], 1_000_000_000, 200);
        byte[] file = TestCaptures.WritePcap([frame], snapLength: 128);

        var read = Assert.Single(TestCaptures.ReadAll(file));
        Assert.Equal(128, read.Data.Length);
        Assert.Equal(200, read.OriginalLength);
    }

    [Fact]
    public void PacketFileReader_sniffs_pcap_by_magic()
    {
        byte[] file = TestCaptures.WritePcap(TestCaptures.Frames(2), PcapTimestampResolution.Nanosecond, bigEndian: true);
        using var r = PacketFileReader.Open(new MemoryStream(file), "x.pcapng"); // the name does not matter
        Assert.IsType<PcapReader>(r);
        Assert.Equal(2, TestCaptures.ReadAll(r).Count);
    }

    [Fact]
    public void Files_on_disk_round_trip_through_Create_and_Open()
    {
        string path = Path.Combine(Path.GetTempPath(), $"datapath-io-{Guid.NewGuid():N}.pcap");
        try
        {
            var frames = TestCaptures.Frames(10);
            using (var w = PcapWriter.Create(path))
            {
                foreach (var f in frames)
                    w.WriteFrame(f.Data, f.TimestampNanoseconds, f.OriginalLength);
            }
            using var r = PacketFileReader.Open(path);
            Assert.Equal(path, r.FileName);
            Assert.Equal(frames.Select(f => f.Data), TestCaptures.ReadAll(r).Select(f => f.Data));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Reading_frames_allocates_nothing_per_frame()
    {
        byte[] file = TestCaptures.WritePcap(TestCaptures.Frames(2000));
        Assert.Equal(0, TestCaptures.LeastAllocatedReading(() => new PcapReader(new MemoryStream(file), "t.pcap"), skip: 1));
    }
}
