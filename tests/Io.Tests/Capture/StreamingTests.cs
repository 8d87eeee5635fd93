using Datapath.Io.Capture;

namespace Datapath.Io.Tests.Capture;

public class StreamingTests
{
    /// <summary>A 200 MB file is read in constant memory: the reader allocates a bounded amount, not per frame.</summary>
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

            // What this thread allocates while reading (the reader is synchronous): other test classes run in
            // parallel and allocate too, so the process-wide heap is no measure of the reader's.
            long before = GC.GetAllocatedBytesForCurrentThread();
            long readBytes = 0;
            long readCount = 0;
            using (var r = PacketFileReader.Open(path))
            {
                while (r.TryReadNext(out var f))
                {
                    readBytes += f.CapturedLength;
                    readCount++;
                }
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(count, readCount);
            Assert.Equal(written, readBytes);
            Assert.True(allocated < (16 << 20), $"the reader allocated {allocated} bytes while reading a {Target}-byte file");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
