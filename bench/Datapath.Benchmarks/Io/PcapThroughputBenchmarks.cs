using BenchmarkDotNet.Attributes;
using Datapath.Io.Capture;

namespace Datapath.Benchmarks.Io;

/// <summary>
/// Pcap read and write throughput on a 256 MiB file of 64..1500-byte frames in /tmp (page-cached
/// after setup). Baseline: reading the same file raw through a 1 MiB buffer, the ceiling for any
/// parser. Throughput = FileBytes / Mean.
/// </summary>
[MemoryDiagnoser]
public class PcapThroughputBenchmarks
{
    private const long FileBytes = 256L << 20;

    private string _dir = "";
    private string _input = "";
    private string _output = "";
    private byte[][] _frames = [];

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), $"datapath-bench-io-{Environment.ProcessId}");
        Directory.CreateDirectory(_dir);
        _input = Path.Combine(_dir, "in.pcap");
        _output = Path.Combine(_dir, "out.pcap");
        _frames = RandomFrames.Make();
        WriteFile(_input);
        ReadRaw(); // into the page cache
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [Benchmark(Baseline = true)]
    public long ReadRaw()
    {
        using var fs = new FileStream(_input, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        long total = 0;
        int n;
        while ((n = fs.Read(buffer, 0, buffer.Length)) > 0)
            total += n;
        return total;
    }

    [Benchmark]
    public long ReadPcap()
    {
        using var r = PacketFileReader.Open(_input);
        long total = 0;
        while (r.TryReadNext(out var f))
            total += f.CapturedLength;
        return total;
    }

    [Benchmark]
    public long WritePcap() => WriteFile(_output);

    private long WriteFile(string path)
    {
        using var w = PcapWriter.Create(path, PcapTimestampResolution.Nanosecond);
        long ts = 1_700_000_000_000_000_000L;
        int i = 0;
        while (w.BytesWritten < FileBytes)
        {
            w.WriteFrame(_frames[i & 1023], ts + i);
            i++;
        }
        return w.BytesWritten;
    }
}
