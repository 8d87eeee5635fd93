using Datapath.Io.Capture;

namespace Datapath.Io.Tests.Capture;

/// <summary>
/// The writers hand full buffers of a file to a background write (CaptureWriteBuffer's write-behind): the file
/// must hold exactly the bytes a synchronous writer gives a MemoryStream, in order, across many hand-overs, with
/// frames larger than half the buffer that bypass it in between, and whatever Flush and Dispose find in flight.
/// </summary>
public class WriteBehindTests
{
    private static byte[] Frame(Random random, int length)
    {
        var f = new byte[length];
        random.NextBytes(f);
        return f;
    }

    // Mostly small frames, every 97th one of 130-262 KB (larger than half of the 256 KB buffer: a direct write).
    private static List<byte[]> Frames()
    {
        var random = new Random(7);
        var frames = new List<byte[]>();
        for (int i = 0; i < 20_000; i++)
            frames.Add(Frame(random, i % 97 == 96 ? random.Next(130 << 10, 262 << 10) : random.Next(60, 1515)));
        return frames;
    }

    [Fact]
    public void A_pcap_file_written_behind_equals_the_synchronous_bytes()
    {
        var frames = Frames();
        var expected = new MemoryStream();
        using (var w = new PcapWriter(expected, PcapTimestampResolution.Nanosecond, leaveOpen: true))
        {
            for (int i = 0; i < frames.Count; i++)
                w.WriteFrame(frames[i], 1_700_000_000_000_000_000 + i);
        }
        string path = Path.Combine(Path.GetTempPath(), $"datapath-writebehind-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var w = PcapWriter.Create(path, PcapTimestampResolution.Nanosecond))
            {
                for (int i = 0; i < frames.Count; i++)
                {
                    w.WriteFrame(frames[i], 1_700_000_000_000_000_000 + i);
                    if (i % 5000 == 4999)
                        w.Flush(); // a flush waits for the chunk in flight and writes the rest
                }
            }
            Assert.Equal(expected.ToArray(), File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_pcapng_file_written_behind_equals_the_synchronous_bytes()
    {
        var frames = Frames();
        var expected = new MemoryStream();
        using (var w = new PcapngWriter(expected, leaveOpen: true))
        {
            w.AddInterface("antrea-tun0");
            for (int i = 0; i < frames.Count; i++)
                w.WriteFrame(0, frames[i], 1_700_000_000_000_000_000 + i);
        }
        string path = Path.Combine(Path.GetTempPath(), $"datapath-writebehind-{Guid.NewGuid():N}.pcapng");
        try
        {
            using (var w = PcapngWriter.Create(path))
            {
                w.AddInterface("antrea-tun0");
                for (int i = 0; i < frames.Count; i++)
                    w.WriteFrame(0, frames[i], 1_700_000_000_000_000_000 + i);
            }
            Assert.Equal(expected.ToArray(), File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
