using Datapath.Io.Capture;

namespace Datapath.Io.Tests.Capture;

public class StreamingTests
{
    /// <summary>A 200 MB file is read in constant memory: the managed heap does not grow with the file.</summary>
    [Fact]
    public void Large_file_is_read_with_bounded_memory()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"datapath-io-stream-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "large.pcap");
        try
        {
            const long Target = 200L << 20;
            var frames = TestCaptures.Frames(512, seed: 3);
            long written = 0;
            long count = 0;
            using (var w = PcapWriter.Create(path, PcapTimestampResolution.Nanosecond))
            {
                while (w.BytesWritten < Target)
                {
                    var f = frames[(int)(count % frames.Count)];
                    w.WriteFrame(f.Data, f.TimestampNanoseconds + count, f.OriginalLength);
                    written += f.Data.Length;
                    count++;
                }
            }
            Assert.True(new FileInfo(path).Length >= Target);

            GC.Collect();
            GC.WaitForPendingFinalizers();
            long baseline = GC.GetTotalMemory(forceFullCollection: true);
            long maxGrowth = 0;
            long readBytes = 0;
            long readCount = 0;
            using (var r = PacketFileReader.Open(path))
            {
                while (r.TryReadNext(out var f))
                {
                    readBytes += f.CapturedLength;
                    readCount++;
                    if ((readCount & 0xFFFF) == 0)
                        maxGrowth = Math.Max(maxGrowth, GC.GetTotalMemory(false) - baseline);
                }
            }
            Assert.Equal(count, readCount);
            Assert.Equal(written, readBytes);
            Assert.True(maxGrowth < (16 << 20), $"heap grew by {maxGrowth} bytes while reading a {Target}-byte file");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
