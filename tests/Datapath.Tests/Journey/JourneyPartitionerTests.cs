using Datapath.Packets;
using static Datapath.Engine.Tests.Host.SeedHosts;

namespace Datapath.Engine.Tests;

/// <summary>
/// The replay dispatcher's classification (JourneyPartitioner): a data frame of a live connection gets its
/// connection's slot — the second time from the dispatcher's memo, without a conntrack probe — and the memo never
/// outlives the connection: after a flush or past its expiry the frame is serial again.
/// </summary>
public sealed class JourneyPartitionerTests
{
    [Fact]
    public void A_live_connections_frames_keep_their_slot_from_the_memo_until_it_goes()
    {
        // The articles' phase 2: the DNATed SYN from antrea-gw0 to backend2 commits worker1's zone-65520 connection.
        using var journey = SeedJourney(JourneyScope.Node);
        var w1 = journey.GetNode("worker1");
        uint gw0 = w1.Gateway!.OfPort;
        journey.Run(w1, gw0, Phase2SynToBackend2(), new JourneyRecorder(), 1000);
        var partitioner = new JourneyPartitioner(journey, 8);
        partitioner.Refresh();
        var ack = Phase2SynToBackend2();
        ack[EthernetHeader.Length + Ipv4Header.MinLength + 13] = (byte)TcpFlags.Ack;

        Assert.Equal(JourneyPartitioner.Serial, partitioner.Classify(w1, gw0, Phase2SynToBackend2(), 1001)); // a SYN opens
        int slot = partitioner.Classify(w1, gw0, ack, 1001);
        Assert.InRange(slot, 0, 7);
        Assert.Equal(0, partitioner.RememberedHits);
        Assert.Equal(slot, partitioner.Classify(w1, gw0, ack, 1002));
        Assert.Equal(1, partitioner.RememberedHits);

        // Past the connection's expiry (SYN_SENT: 30 s) the memo does not answer, and conntrack finds nothing live.
        Assert.Equal(JourneyPartitioner.Serial, partitioner.Classify(w1, gw0, ack, 1000 + 31_000));

        // A flushed connection: the memo's verdict is not trusted (the table's liveness generation moved).
        Assert.Equal(slot, partitioner.Classify(w1, gw0, ack, 1003));
        long hits = partitioner.RememberedHits;
        Assert.True(w1.Node!.Conntrack.Flush() > 0);
        Assert.Equal(JourneyPartitioner.Serial, partitioner.Classify(w1, gw0, ack, 1004));
        Assert.Equal(hits, partitioner.RememberedHits);
    }
}
