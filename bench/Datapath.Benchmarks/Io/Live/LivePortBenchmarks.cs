using System.Buffers.Binary;
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Datapath.Io.Live;

namespace Datapath.Benchmarks.Io.Live;

/// <summary>
/// Raw port throughput: 64-byte UDP frames through a veth pair (dpbenchA -> dpbenchB), sent by one
/// port with SendBatch and received by another with ReceiveBatch, on the benchmark thread (one
/// core). One operation = one batch of 64 frames, so frames/s = 64e9 / (ns per op).
/// Needs root (creates and deletes the veth pair); run through scripts/bench-live.sh.
/// </summary>
[MemoryDiagnoser]
public class LivePortBenchmarks
{
    private const int Frames = 64;
    private const string SendSide = "dpbenchA";
    private const string ReceiveSide = "dpbenchB";

    private ILivePort _tx = null!;
    private ILivePort _rx = null!;
    private FrameBatch _out = null!;
    private FrameBatch _in = null!;

    [Params(LivePortBackend.AfPacket, LivePortBackend.Pcap)]
    public LivePortBackend Receiver { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Run("ip", "link", "del", SendSide);
        Run("ip", "link", "add", SendSide, "type", "veth", "peer", "name", ReceiveSide);
        foreach (string side in new[] { SendSide, ReceiveSide })
        {
            Run("sysctl", "-qw", $"net.ipv6.conf.{side}.disable_ipv6=1");
            Run("ip", "link", "set", side, "up");
        }

        _tx = AfPacketPort.Open(SendSide, new AfPacketPortOptions { Promiscuous = false, QdiscBypass = true });
        _rx = Receiver == LivePortBackend.Pcap
            ? PcapPort.Open(ReceiveSide)
            : AfPacketPort.Open(ReceiveSide);
        _out = new FrameBatch(Frames);
        _in = new FrameBatch(Frames);
        byte[] frame = new byte[60]; // 64 bytes on the wire with the FCS
        ReadOnlySpan<byte> header = Convert.FromHexString(
            "02005e100002" + "02005e100001" + "0800" +                   // Ethernet
            "4500002e000000004011" + "0000" + "0a4d00010a4d0002" +       // IPv4 10.77.0.1 -> .2, 46 bytes
            "1388270f001a0000");                                          // UDP 5000 -> 9999, 26 bytes
        header.CopyTo(frame);
        ushort ipsum = Fold(frame.AsSpan(14, 20));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(24), ipsum);
        while (_out.TryAdd(frame))
        {
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tx.Dispose();
        _rx.Dispose();
        Run("ip", "link", "del", SendSide);
    }

    /// <summary>Send side only: one sendmmsg of 64 frames.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = 1)]
    public int Send64()
    {
        int sent = _tx.SendBatch(_out);
        while (_rx.ReceiveBatch(_in, TimeSpan.Zero) > 0)
        {
        }

        return sent;
    }

    /// <summary>64 frames sent and all of them received back on the other end.</summary>
    [Benchmark]
    public int SendReceive64()
    {
        int sent = _tx.SendBatch(_out);
        int got = 0;
        for (int spins = 0; got < sent && spins < 1000; spins++)
        {
            got += _rx.ReceiveBatch(_in, TimeSpan.FromMilliseconds(1));
        }

        return got;
    }

    private static ushort Fold(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    private static void Run(string file, params string[] args)
    {
        ProcessStartInfo psi = new(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        p.WaitForExit();
    }
}
