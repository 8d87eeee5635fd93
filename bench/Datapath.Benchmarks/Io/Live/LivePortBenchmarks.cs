using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using Datapath.Io.Live;

namespace Datapath.Benchmarks.Io.Live;

/// <summary>
/// Raw port throughput: 64-byte UDP frames (60 + FCS) through a veth pair (dpbenchA -> dpbenchB),
/// sent by one AF_PACKET port with SendBatch and received by another with ReceiveBatch, both on the
/// benchmark thread (one core). One operation = one SendBatch of 64 frames plus receiving what is
/// ready, so frames/s = 64e9 / (ns per op) as long as the receiver keeps up (checked: the cleanup
/// prints frames received and kernel drops). Transport: Mmsg = sendmmsg + recvmmsg (the path before
/// rings), RingV2 / RingV3 = TPACKET_V2 transmit ring + TPACKET_V2 or TPACKET_V3 receive ring.
/// Besides BDN's wall clock each op reads CLOCK_THREAD_CPUTIME_ID, and the cleanup prints the CPU
/// time per frame ("cpu:" line; the machine's load does not inflate it).
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
    private long _sent;
    private long _received;
    private long _cpuNs;

    /// <summary>The transport under test.</summary>
    public enum Transport
    {
        /// <summary>sendmmsg + recvmmsg.</summary>
        Mmsg,

        /// <summary>TPACKET_V2 transmit ring + TPACKET_V2 receive ring.</summary>
        RingV2,

        /// <summary>TPACKET_V2 transmit ring + TPACKET_V3 receive ring.</summary>
        RingV3,
    }

    [Params(Transport.Mmsg, Transport.RingV2, Transport.RingV3)]
    public Transport Mode { get; set; }

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

        AfPacketRxRing ring = Mode switch { Transport.RingV2 => AfPacketRxRing.V2, Transport.RingV3 => AfPacketRxRing.V3, _ => AfPacketRxRing.None };
        _tx = AfPacketPort.Open(SendSide, new AfPacketPortOptions { Promiscuous = false, QdiscBypass = true, RxRing = ring, TxRing = ring != AfPacketRxRing.None });
        _rx = AfPacketPort.Open(ReceiveSide, new AfPacketPortOptions { RxRing = ring, TxRing = ring != AfPacketRxRing.None });
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
        LivePortStatistics rx = _rx.Statistics;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cpu: {Mode} {(double)_cpuNs / Math.Max(1, _sent):F1} ns CPU per frame sent+received ({_sent} sent, {_received} received, {rx.RxDropped} dropped by the kernel, {1e9 * _sent / Math.Max(1, _cpuNs) / 1e3:F0} k frames per CPU-second)"));
        _tx.Dispose();
        _rx.Dispose();
        Run("ip", "link", "del", SendSide);
    }

    /// <summary>64 frames sent and the ready ones received on the other end (a V3 block is handed over when full).</summary>
    [Benchmark(Baseline = true)]
    public int SendReceive64()
    {
        long start = ThreadCpuClock.Nanoseconds();
        int sent = _tx.SendBatch(_out);
        _sent += sent;
        int got = 0;
        int n;
        while ((n = _rx.ReceiveBatch(_in, TimeSpan.Zero)) > 0)
        {
            got += n;
        }

        // Never let the receiver fall behind by more than a V3 block's worth of small frames.
        for (int spins = 0; _sent - (_received + got) > 1024 && spins < 100; spins++)
        {
            got += _rx.ReceiveBatch(_in, TimeSpan.FromMilliseconds(1));
        }

        _received += got;
        _cpuNs += ThreadCpuClock.Nanoseconds() - start;
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
