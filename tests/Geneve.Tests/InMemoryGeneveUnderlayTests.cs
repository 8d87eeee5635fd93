using Datapath.Packets;

namespace Datapath.Geneve.Tests;

public class InMemoryGeneveUnderlayTests
{
    private static readonly Ipv4Address s_a = Ipv4Address.Parse("10.79.1.201");
    private static readonly Ipv4Address s_b = Ipv4Address.Parse("10.79.1.202");

    [Fact]
    public void Delivers_datagrams_with_their_source_in_order()
    {
        var net = new InMemoryUnderlayNetwork();
        using var a = net.Attach(s_a);
        using var b = net.Attach(s_b);
        Assert.True(a.TrySend(s_b, [1, 2, 3]));
        Assert.True(a.TrySend(s_b, [4]));
        Assert.Equal(2, b.Receive(TimeSpan.FromSeconds(5)));
        Assert.Equal(new byte[] { 1, 2, 3 }, b.ReceivedPayload(0).ToArray());
        Assert.Equal(new byte[] { 4 }, b.ReceivedPayload(1).ToArray());
        Assert.Equal(s_a, b.ReceivedSource(0));
        Assert.Equal(0, b.Receive(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.ReceivedPayload(0).Length);
    }

    [Fact]
    public void Unknown_destinations_and_full_queues_drop()
    {
        var net = new InMemoryUnderlayNetwork();
        using var a = net.Attach(s_a);
        using var b = net.Attach(s_b, queueCapacity: 2, batchCapacity: 1);
        Assert.False(a.TrySend(Ipv4Address.Parse("10.79.1.203"), [1]));
        Assert.True(a.TrySend(s_b, [1]));
        Assert.True(a.TrySend(s_b, [2]));
        Assert.False(a.TrySend(s_b, [3]));
        Assert.Equal(1, b.DroppedOnArrival);
        Assert.Equal(1, b.Receive(TimeSpan.Zero));   // batch capacity 1
        Assert.Equal(1, b.Receive(TimeSpan.Zero));
        Assert.Equal(new byte[] { 2 }, b.ReceivedPayload(0).ToArray());
        Assert.Throws<InvalidOperationException>(() => net.Attach(s_a));
    }

    [Fact]
    public async Task Dispose_wakes_a_blocked_receiver_and_detaches()
    {
        var net = new InMemoryUnderlayNetwork();
        using var a = net.Attach(s_a);
        var b = net.Attach(s_b);
        var receiver = Task.Run(() => b.Receive(Timeout.InfiniteTimeSpan));
        await Task.Delay(50);
        b.Dispose();
        Assert.Equal(0, await receiver.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(a.TrySend(s_b, [1]));
        using var again = net.Attach(s_b);   // the address is free again
    }

    [Fact]
    public void Two_emulated_nodes_exchange_geneve()
    {
        var map = TlvMap.Parse("{class=0xffff,type=0,len=4}->tun_metadata0");
        var net = new InMemoryUnderlayNetwork();
        using var w1 = net.Attach(SeedFrames.Worker1Ip);
        using var w2 = net.Attach(SeedFrames.Worker2Ip);
        var key = SeedFrames.TunnelFields();
        key.TunMetadataPresent = 1;
        key.TunMetadata[0] = 0x3000_0000;
        var payload = new byte[256];
        Assert.True(GeneveEncapsulator.TryWritePayload(SeedFrames.InnerSyn(), in key, in map, payload, out int n));
        Assert.True(w1.TrySend(new Ipv4Address(key.TunDst), payload.AsSpan(0, n)));

        Assert.Equal(1, w2.Receive(TimeSpan.FromSeconds(5)));
        var outer = new GeneveOuterFields { Source = w2.ReceivedSource(0), Destination = w2.LocalAddress };
        var received = default(FlowKey);
        Assert.True(GeneveDecapsulator.TryDecapsulatePayload(w2.ReceivedPayload(0), in map, in outer, out int offset, ref received, out _));
        Assert.Equal(SeedFrames.InnerSyn(), w2.ReceivedPayload(0)[offset..].ToArray());
        Assert.Equal(SeedFrames.Worker1Ip.Value, received.TunSrc);
        Assert.Equal(0x3000_0000ul, received.TunMetadata[0]);
    }
}
