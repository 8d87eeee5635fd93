namespace Datapath.Packets.Tests;

/// <summary>The hot paths allocate nothing (GC.GetAllocatedBytesForCurrentThread deltas; no timing).</summary>
public class ZeroAllocationTests
{
    [Fact]
    public void Extract_allocates_nothing()
    {
        byte[][] frames = [.. TestFrames.All.Values.Select(f => f())];
        long sink = 0;
        for (int warm = 0; warm < 3; warm++)
        {
            foreach (var f in frames)
            {
                FlowKey.Extract(f, 1, out var k);
                sink += k.TpDst;
            }
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            foreach (var f in frames)
            {
                FlowKey.Extract(f, 1, out var k);
                sink += k.TpDst;
            }
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.NotEqual(0, sink);
    }

    [Fact]
    public void Editor_and_checksums_allocate_nothing()
    {
        byte[] tcp = TestFrames.Tcp();
        byte[] udp6 = TestFrames.Udp6();
        FlowKey.Extract(tcp, 1, out var k4);
        FlowKey.Extract(udp6, 1, out var k6);
        var m4 = k4;
        m4.NwDst ^= 1;
        m4.TpSrc ^= 1;
        m4.NwTtl--;
        var m6 = k6;
        m6.Ipv6DstLo ^= 1;
        long sink = 0;
        for (int i = 0; i < 3; i++)
            Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
            Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.NotEqual(0, sink);

        void Run()
        {
            PacketEditor.ApplyKey(tcp, k4, m4);
            PacketEditor.ApplyKey(tcp, m4, k4);
            PacketEditor.ApplyKey(udp6, k6, m6);
            PacketEditor.ApplyKey(udp6, m6, k6);
            sink += Checksum.TransportV4(tcp.AsSpan(34), k4.NwSrc, k4.NwDst, IpProtocols.Tcp);
            sink += Checksum.TransportV6(udp6.AsSpan(54), k6.Ipv6Src, k6.Ipv6Dst, IpProtocols.Udp);
        }
    }
}
