using System.Net;
using System.Net.Sockets;
using Datapath.Io.Underlay;
using Datapath.Packets;

namespace Datapath.Geneve.Tests;

/// <summary>Two real UDP sockets on loopback (127.0.0.x) exchange GENEVE datagrams.</summary>
public class UdpGeneveUnderlayTests
{
    /// <summary>Binds two underlays on 127.0.0.{a,b} with the same free port (as two nodes on 6081 would be).</summary>
    private static (UdpGeneveUnderlay, UdpGeneveUnderlay) Pair(byte a, byte b)
    {
        for (int attempt = 0; ; attempt++)
        {
            var first = new UdpGeneveUnderlay(new IPEndPoint(IPAddress.Parse($"127.0.0.{a}"), 0), remotePort: 0);
            int port = first.LocalEndPoint.Port;
            first.Dispose();
            try
            {
                var x = new UdpGeneveUnderlay(new IPEndPoint(IPAddress.Parse($"127.0.0.{a}"), port), remotePort: port);
                try
                {
                    return (x, new UdpGeneveUnderlay(new IPEndPoint(IPAddress.Parse($"127.0.0.{b}"), port), remotePort: port));
                }
                catch (SocketException)
                {
                    x.Dispose();
                    throw;
                }
            }
            catch (SocketException) when (attempt < 5)
            {
            }
        }
    }

    [Fact]
    public void Two_sockets_on_loopback_exchange_geneve_datagrams()
    {
        var map = TlvMap.Parse("{class=0xffff,type=0,len=4}->tun_metadata0");
        var (w1, w2) = Pair(2, 3);
        using (w1)
        using (w2)
        {
            Assert.Equal(Ipv4Address.Parse("127.0.0.2"), w1.LocalAddress);
            var key = default(FlowKey);
            key.TunSrc = w1.LocalAddress.Value;
            key.TunDst = w2.LocalAddress.Value;
            key.TunId = 0x42;
            key.TunMetadataPresent = 1;
            key.TunMetadata[0] = 0x1000_0000;
            var payload = new byte[256];
            var inner = SeedFrames.InnerSyn();
            Assert.True(GeneveEncapsulator.TryWritePayload(inner, in key, in map, payload, out int n));
            for (int i = 0; i < 10; i++)
                Assert.True(w1.TrySend(w2.LocalAddress, payload.AsSpan(0, n)));

            int got = 0;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (got < 10 && DateTime.UtcNow < deadline)
            {
                int count = w2.Receive(TimeSpan.FromSeconds(1));
                for (int i = 0; i < count; i++)
                {
                    Assert.Equal(w1.LocalAddress, w2.ReceivedSource(i));
                    var outer = new GeneveOuterFields { Source = w2.ReceivedSource(i), Destination = w2.LocalAddress };
                    var received = default(FlowKey);
                    Assert.True(GeneveDecapsulator.TryDecapsulatePayload(w2.ReceivedPayload(i), in map, in outer, out int offset, ref received, out var reason), reason.ToString());
                    Assert.Equal(inner, w2.ReceivedPayload(i)[offset..].ToArray());
                    Assert.Equal(0x42ul, received.TunId);
                    Assert.Equal(w1.LocalAddress.Value, received.TunSrc);
                    Assert.Equal(w2.LocalAddress.Value, received.TunDst);
                    Assert.Equal(0x1000_0000ul, received.TunMetadata[0]);
                }
                got += count;
            }
            Assert.Equal(10, got);

            // And back, through the IGeneveUnderlay interface (the adapter the CLI uses).
            using var back = new UdpUnderlayAdapter(w2);
            IGeneveUnderlay u1 = new UdpUnderlayAdapter(w1);
            Assert.True(back.TrySend(w1.LocalAddress, [0, 0, 0x65, 0x58, 0, 0, 0, 0]));
            Assert.Equal(1, u1.Receive(TimeSpan.FromSeconds(10)));
            Assert.Equal(w2.LocalAddress, u1.ReceivedSource(0));
            Assert.Equal(8, u1.ReceivedPayload(0).Length);
        }
    }

    /// <summary>Two IPv6 sockets on [::1] (the only IPv6 loopback address), each sending to the other's port.</summary>
    private static (UdpGeneveUnderlay, UdpGeneveUnderlay) Ipv6Pair()
    {
        for (int attempt = 0; ; attempt++)
        {
            int pa, pb;
            using (var probeA = new UdpGeneveUnderlay(new IPEndPoint(IPAddress.IPv6Loopback, 0)))
            using (var probeB = new UdpGeneveUnderlay(new IPEndPoint(IPAddress.IPv6Loopback, 0)))
            {
                pa = probeA.LocalEndPoint.Port;
                pb = probeB.LocalEndPoint.Port;
            }
            try
            {
                var a = new UdpGeneveUnderlay(new IPEndPoint(IPAddress.IPv6Loopback, pa), remotePort: pb);
                try
                {
                    return (a, new UdpGeneveUnderlay(new IPEndPoint(IPAddress.IPv6Loopback, pb), remotePort: pa));
                }
                catch (SocketException)
                {
                    a.Dispose();
                    throw;
                }
            }
            catch (SocketException) when (attempt < 5)
            {
            }
        }
    }

    [Fact]
    public void Two_ipv6_sockets_on_loopback_exchange_geneve_datagrams_with_tun_ipv6_fields()
    {
        var map = TlvMap.Parse("{class=0xffff,type=0,len=4}->tun_metadata0");
        var (w1, w2) = Ipv6Pair();
        using (w1)
        using (w2)
        {
            Assert.True(w1.IsIpv6);
            Assert.Equal(Ipv6Address.Parse("::1"), w1.LocalAddress6);
            Assert.False(w1.TrySend(Ipv4Address.Parse("127.0.0.1"), [1]));   // an IPv6 socket has IPv6 peers only
            var key = default(FlowKey);
            key.TunIpv6Src = w1.LocalAddress6;
            key.TunIpv6Dst = w2.LocalAddress6;
            key.TunId = 0x66;
            key.TunMetadataPresent = 1;
            key.TunMetadata[0] = 0xabcd;
            var payload = new byte[256];
            var inner = SeedFrames.InnerSyn();
            Assert.True(GeneveEncapsulator.TryWritePayload(inner, in key, in map, payload, out int n));
            for (int i = 0; i < 5; i++)
                Assert.True(w1.TrySend(w2.LocalAddress6, payload.AsSpan(0, n)));

            int got = 0;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (got < 5 && DateTime.UtcNow < deadline)
            {
                int count = w2.Receive(TimeSpan.FromSeconds(1));
                for (int i = 0; i < count; i++)
                {
                    var outer = new GeneveOuterFields { IsIpv6 = true, Source6 = w2.ReceivedSource6(i), Destination6 = w2.LocalAddress6 };
                    var received = default(FlowKey);
                    Assert.True(GeneveDecapsulator.TryDecapsulatePayload(w2.ReceivedPayload(i), in map, in outer, out int offset, ref received, out var reason), reason.ToString());
                    Assert.Equal(inner, w2.ReceivedPayload(i)[offset..].ToArray());
                    Assert.Equal(0x66ul, received.TunId);
                    Assert.Equal(Ipv6Address.Parse("::1"), received.TunIpv6Src);
                    Assert.Equal(Ipv6Address.Parse("::1"), received.TunIpv6Dst);
                    Assert.Equal(0u, received.TunSrc);
                    Assert.Equal(0xabcdul, received.TunMetadata[0]);
                }
                got += count;
            }
            Assert.Equal(5, got);
        }
    }

    [Fact]
    public void Receive_times_out_with_an_empty_batch_and_returns_zero_after_dispose()
    {
        var u = new UdpGeneveUnderlay(new IPEndPoint(IPAddress.Loopback, 0));
        Assert.Equal(0, u.Receive(TimeSpan.FromMilliseconds(10)));
        u.Dispose();
        Assert.Equal(0, u.Receive(TimeSpan.FromMilliseconds(10)));
        Assert.False(u.TrySend(Ipv4Address.Parse("127.0.0.1"), [1]));
    }

    [Fact]
    public void A_steady_stream_allocates_nothing()
    {
        var (a, b) = Pair(4, 5);
        using (a)
        using (b)
        {
            var payload = new byte[100];
            a.TrySend(b.LocalAddress, payload);
            b.Receive(TimeSpan.FromSeconds(5));
            long before = GC.GetAllocatedBytesForCurrentThread();
            int received = 0;
            for (int i = 0; i < 100; i++)
            {
                a.TrySend(b.LocalAddress, payload);
                received += b.Receive(TimeSpan.FromSeconds(5));
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(received > 0);
            Assert.Equal(0, allocated);
        }
    }

    /// <summary>The adapter the CLI needs (Io may not reference Geneve): pure delegation.</summary>
    private sealed class UdpUnderlayAdapter(UdpGeneveUnderlay inner) : IGeneveUnderlay
    {
        public Ipv4Address LocalAddress => inner.LocalAddress;
        public bool TrySend(Ipv4Address destination, ReadOnlySpan<byte> payload) => inner.TrySend(destination, payload);
        public int Receive(TimeSpan timeout) => inner.Receive(timeout);
        public ReadOnlySpan<byte> ReceivedPayload(int index) => inner.ReceivedPayload(index);
        public Ipv4Address ReceivedSource(int index) => inner.ReceivedSource(index);
        public void Dispose() => inner.Dispose();
    }
}
