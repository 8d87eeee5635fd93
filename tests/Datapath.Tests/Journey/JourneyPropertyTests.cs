using CsCheck;
using Datapath.Packets;
using Datapath.Tests.Shared;
using static Datapath.Engine.Tests.Host.SeedHosts;

namespace Datapath.Engine.Tests;

/// <summary>
/// Hostile frames through the seed cluster's journeys: the articles' frames (the frontend's SYN to the
/// Service, a SYN to backend2, the GENEVE frame worker1 sends, an ARP request for the gateway, a DNS query
/// to coredns) with bytes flipped, set, cut or appended, entered on any port of either worker, in runs
/// that share conntrack, MAC learning and the hosts' neighbours. Whatever a frame is, the journey's
/// contract holds: no exception, every frame ends as at least one output, delivery or drop, and every
/// drop it reports is counted once, by the bridge, the host or the journey.
/// </summary>
public sealed class JourneyPropertyTests
{
    private sealed record Entry(string Node, string Port, byte[] Frame);


    private static readonly string[] Worker1Ports = [FrontendPort, Backend1Port, CorednsPort, "antrea-gw0", "antrea-tun0"];
    private static readonly string[] Worker2Ports = [Backend2Port, "antrea-gw0", "antrea-tun0"];

    private static readonly Lazy<byte[][]> Seeds = new(() =>
    {
        using var journey = SeedJourney();
        var recorder = new JourneyRecorder();
        journey.Inject("worker1", FrontendPort, Phase1Syn(), recorder, 1000);
        byte[] geneve = recorder.Transits.Single().Frame;
        return
        [
            Phase1Syn(),
            Phase2SynToBackend2(),
            geneve,
            PacketBuilder.Arp(1, FrontendMac, Frontend, default, Gw1, FrontendMac, MacAddress.Broadcast),
            PacketBuilder.Udp(FrontendMac, CorednsMac, Frontend, Coredns, 40000, 53, new byte[40]),
        ];
    });

    /// <summary>One change to a frame: what (flip a bit, overwrite a run, cut short, append junk), where (a fraction of its length), with which bytes.</summary>
    private sealed record Mutation(int Kind, double Where, byte[] Bytes)
    {
        public byte[] Apply(byte[] frame)
        {
            if (frame.Length == 0)
                return Bytes;
            var f = (byte[])frame.Clone();
            int at = (int)(Where * f.Length);
            switch (Kind)
            {
                case 0:
                    f[at] ^= (byte)(1 << (Bytes[0] & 7));
                    return f;
                case 1:
                    for (int i = 0; i < Bytes.Length && at + i < f.Length; i++)
                        f[at + i] = Bytes[i];
                    return f;
                case 2:
                    return f[..at];
                default:
                    return [.. f, .. Bytes];
            }
        }
    }

    private static readonly Gen<Mutation> AMutation =
        Gen.Select(Gen.Int[0, 3], Gen.Double[0, 0.999], Gen.Byte.Array[1, 24], (kind, where, bytes) => new Mutation(kind, where, bytes));

    /// <summary>A seed frame with none to three changes on top of each other: a header wrong in several places at once.</summary>
    private static Gen<Entry> AnEntry() =>
        Gen.Select(Gen.Int[0, Seeds.Value.Length - 1], Gen.Bool, Gen.Int[0, 4], AMutation.Array[0, 3], (s, onWorker2, p, mutations) =>
        {
            byte[] frame = mutations.Aggregate(Seeds.Value[s], (f, m) => m.Apply(f));
            string[] ports = onWorker2 ? Worker2Ports : Worker1Ports;
            return new Entry(onWorker2 ? "worker2" : "worker1", ports[p % ports.Length], frame);
        });

    private static long CountedDrops(Journey journey)
        => journey.HopLimitDrops + journey.Nodes.Sum(n => n.Bridged.Bridge.Drops.Total + (n.Host?.TotalDrops ?? 0));

    [Fact]
    [Trait("Category", PropertyRun.Trait)]
    public void A_hostile_frame_ends_as_an_output_a_delivery_or_a_counted_drop()
    {
        PropertyRun.Check(nameof(A_hostile_frame_ends_as_an_output_a_delivery_or_a_counted_drop), AnEntry().Array[1, 16], entries =>
        {
            using var journey = SeedJourney();
            long now = 1000;
            foreach (var e in entries)
            {
                var recorder = new JourneyRecorder();
                long before = CountedDrops(journey);

                var result = journey.Inject(e.Node, e.Port, e.Frame, recorder, now += 7, trace: e.Frame.Length % 3 == 0 ? new Tracing.Trace() : null);

                Assert.True(result.Events >= 1, $"{e.Node}/{e.Port}: a frame of {e.Frame.Length} bytes came to nothing: {recorder}");
                Assert.Equal(result.Drops, recorder.Drops.Count);
                Assert.Equal(result.Outputs, recorder.Outputs.Count);
                Assert.Equal(before + result.Drops, CountedDrops(journey));
            }
        }, cases: 300, print: entries => string.Join("; ", entries.Select(e => $"{e.Node}/{e.Port} {Convert.ToHexString(e.Frame)}")));
    }
}
