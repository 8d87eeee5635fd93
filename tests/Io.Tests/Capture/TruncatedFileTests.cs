using Datapath.Packets;
using Datapath.Io.Capture;

namespace Datapath.Io.Tests.Capture;

/// <summary>
/// Every prefix of a small valid file is read: frames wholly inside the prefix are delivered, then
/// either the file ends cleanly (the cut falls between records) or InputException names the
/// start of the record that is cut short.
/// </summary>
public class TruncatedFileTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Pcap_cut_at_every_length(bool bigEndian)
    {
        var frames = TestCaptures.Frames(3, seed: 7).Select(f => f with { Data = f.Data[..(60 + f.Data.Length % 7)] }).ToList();
        byte[] file = TestCaptures.WritePcap(frames, bigEndian: bigEndian);
        var recordStarts = new List<long> { 24 };
        foreach (var f in frames)
            recordStarts.Add(recordStarts[^1] + 16 + f.Data.Length);

        for (int cut = 0; cut < file.Length; cut++)
            CheckCut(file, cut, headerLength: 24, recordStarts);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Pcapng_cut_at_every_length(bool bigEndian)
    {
        var b = new PcapngBuilder().Section(bigEndian);
        long shbEnd = b.Position;
        var starts = new List<long>();   // starts of blocks after the SHB; frames come from EPBs
        var frameBlocks = new List<long>();
        starts.Add(b.Position);
        b.Interface("eth0");
        starts.Add(b.Position);
        frameBlocks.Add(b.Position);
        b.Enhanced(0, 1, new byte[61]);
        starts.Add(b.Position);
        b.Unknown(4, 8);
        starts.Add(b.Position);
        frameBlocks.Add(b.Position);
        b.Enhanced(0, 2, new byte[64], withOptions: false);
        starts.Add(b.Position);
        byte[] file = b.ToArray();

        for (int cut = 0; cut < file.Length; cut++)
        {
            byte[] prefix = file[..cut];
            if (cut < shbEnd)
            {
                var ex = Assert.Throws<InputException>(() => TestCaptures.ReadAll(prefix, "cut.pcapng"));
                Assert.Equal(0, ex.Offset);
                continue;
            }
            using var r = PacketFileReader.Open(new MemoryStream(prefix), "cut.pcapng");
            var delivered = new List<long>();
            InputException? error = null;
            try
            {
                while (r.TryReadNext(out var f))
                    delivered.Add(f.FileOffset);
            }
            catch (InputException e)
            {
                error = e;
            }
            int complete = starts.Count(s => s <= cut) - 1; // blocks wholly inside the prefix
            bool atBoundary = starts.Contains(cut);
            Assert.Equal(frameBlocks.Where(s => starts[starts.IndexOf(s) + 1] <= cut), delivered);
            if (atBoundary)
            {
                Assert.Null(error);
            }
            else
            {
                Assert.NotNull(error);
                Assert.Equal(starts[complete], error.Offset);
                Assert.Equal("cut.pcapng", error.File);
                Assert.Contains("truncated", error.What, StringComparison.Ordinal);
            }
        }
    }

    private static void CheckCut(byte[] file, int cut, int headerLength, List<long> recordStarts)
    {
        byte[] prefix = file[..cut];
        if (cut < headerLength)
        {
            var ex = Assert.Throws<InputException>(() => TestCaptures.ReadAll(prefix, "cut.pcap"));
            Assert.Equal(0, ex.Offset);
            Assert.StartsWith("cut.pcap: offset 0: ", ex.Message, StringComparison.Ordinal);
            return;
        }
        using var r = PacketFileReader.Open(new MemoryStream(prefix), "cut.pcap");
        int delivered = 0;
        InputException? error = null;
        try
        {
            while (r.TryReadNext(out var f))
            {
                Assert.Equal(recordStarts[delivered], f.FileOffset);
                delivered++;
            }
        }
        catch (InputException e)
        {
            error = e;
        }
        int complete = recordStarts.Count(s => s <= cut) - 1;
        Assert.Equal(complete, delivered);
        if (recordStarts.Contains(cut))
        {
            Assert.Null(error);
        }
        else
        {
            Assert.NotNull(error);
            Assert.Equal(recordStarts[complete], error.Offset);
            Assert.Equal($"cut.pcap: offset {recordStarts[complete]}: {error.What}", error.Message);
        }
    }
}
