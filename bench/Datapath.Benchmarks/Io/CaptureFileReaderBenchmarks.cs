using BenchmarkDotNet.Attributes;
using Datapath.Io.Capture;
using SharpPcap;
using SharpPcap.LibPcap;

namespace Datapath.Benchmarks.Io;

/// <summary>
/// Reading a capture file: our zero-copy reader (PacketFileReader: PcapReader / PcapngReader) against
/// SharpPcap's CaptureFileReaderDevice (libpcap's pcap_open_offline underneath), both through its
/// GetNextPacket(out PacketCapture) and through its pointer API GetNextPacketPointers (pcap_next_ex,
/// nothing marshalled). The same 64 MiB file of 64..1500-byte frames in /tmp (page-cached after setup),
/// written as pcap and as pcapng; every reader sums the captured lengths so none can skip the frames.
/// Decides whether files keep our reader (docs/architecture.md, "Packages: SharpPcap for live libpcap, our own reader for files").
/// </summary>
[MemoryDiagnoser]
public class CaptureFileReaderBenchmarks
{
    private const long FileBytes = 64L << 20;

    private string _dir = "";
    private string _path = "";

    [Params("pcap", "pcapng")]
    public string Format { get; set; } = "pcap";

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), $"datapath-bench-reader-{Environment.ProcessId}");
        Directory.CreateDirectory(_dir);
        _path = Path.Combine(_dir, "in." + Format);
        var frames = RandomFrames.Make();
        long ts = 1_700_000_000_000_000_000L;
        if (Format == "pcap")
        {
            using var w = PcapWriter.Create(_path, PcapTimestampResolution.Microsecond);
            for (int i = 0; w.BytesWritten < FileBytes; i++)
                w.WriteFrame(frames[i & 1023], ts + i * 1000L);
        }
        else
        {
            using var w = PcapngWriter.Create(_path, PcapTimestampResolution.Microsecond);
            int id = w.AddInterface("eth0");
            for (int i = 0; w.BytesWritten < FileBytes; i++)
                w.WriteFrame(id, frames[i & 1023], ts + i * 1000L);
        }
        Ours(); // into the page cache
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [Benchmark(Baseline = true)]
    public long Ours()
    {
        using var r = PacketFileReader.Open(_path);
        long total = 0;
        while (r.TryReadNext(out var f))
            total += f.CapturedLength;
        return total;
    }

    [Benchmark]
    public long SharpPcapGetNextPacket()
    {
        using var device = new CaptureFileReaderDevice(_path);
        device.Open();
        long total = 0;
        while (device.GetNextPacket(out PacketCapture e) == GetPacketStatus.PacketRead)
            total += e.Data.Length;
        return total;
    }

    [Benchmark]
    public unsafe long SharpPcapPointers()
    {
        using var device = new CaptureFileReaderDevice(_path);
        device.Open();
        long total = 0;
        IntPtr header = IntPtr.Zero;
        IntPtr data = IntPtr.Zero;
        while (device.GetNextPacketPointers(ref header, ref data) == 1)
            total += *(uint*)((byte*)header + 16); // struct pcap_pkthdr: timeval (16 bytes), caplen
        return total;
    }
}
