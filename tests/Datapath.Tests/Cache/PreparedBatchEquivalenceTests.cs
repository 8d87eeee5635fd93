using Datapath.Antrea;

namespace Datapath.Engine.Tests.Cache;

/// <summary>
/// Node.Prepare (a batch's keys, first lookups and conntrack prefetch ahead of the frames' turns) must never
/// change a result: the same random seed traffic on two copies of the seed cluster, one preparing every batch
/// (PrepareMinConnections 0) and one running frame after frame, gives the same frames on every port in the same
/// order, the same verdicts, drop, port, rule and bucket counters, conntrack tables and even flow-cache hits, misses
/// and flushes (a prepared lookup whose answer is not used is taken back). Flow-mods land between a batch's Prepare and its
/// turns, so prepared lookups made before a flush are redone.
/// </summary>
public sealed class PreparedBatchEquivalenceTests
{
    [Theory]
    [InlineData(3, 32)]
    [InlineData(19, 64)]
    [InlineData(23, 7)]
    public void Prepared_and_one_by_one_runs_are_identical(int seed, int batch)
    {
        var prepared = new Run(prepare: true);
        var plain = new Run(prepare: false);
        var traffic = new SeedTraffic(seed);
        var mods = new Random(seed);
        int flowMods = 0;
        for (int b = 0; b < 3000 / batch; b++)
        {
            var frames = Enumerable.Range(0, batch).Select(_ => traffic.Next()).ToList();
            long now = 1000 + b * 10L;
            prepared.Prepare(frames);
            if (mods.Next(4) == 0)
            {
                // Between Prepare and the turns: both copies see the change before any of the batch's frames runs.
                string flow = $"table=10,priority=250,tcp,in_port=49,tp_src={40000 + mods.Next(40)},actions={(mods.Next(2) == 0 ? "drop" : "resubmit(,30)")}";
                prepared.Scenario.GetNode("worker1").Bridge.AddFlow(flow);
                plain.Scenario.GetNode("worker1").Bridge.AddFlow(flow);
                flowMods++;
            }
            prepared.Turns(frames, now);
            plain.Turns(frames, now);
        }

        var w1 = prepared.Scenario.GetNode("worker1");
        Assert.True(prepared.PreparedFrames > 2000, "hardly any frame was prepared: the test proves nothing");
        Assert.True(flowMods > 3, "no flow-mod landed between a Prepare and its turns");
        Assert.True(w1.CacheStats.Hits > 1000, "the cache was hardly used");
        Assert.Equal(plain.Outputs.Count, prepared.Outputs.Count);
        for (int i = 0; i < plain.Outputs.Count; i++)
            Assert.True(plain.Outputs[i] == prepared.Outputs[i], $"output {i} differs: {plain.Outputs[i]} vs {prepared.Outputs[i]}");
        Assert.Equal(plain.Verdicts, prepared.Verdicts);
        foreach (var name in new[] { "worker1", "worker2" })
        {
            var u = plain.Scenario.GetNode(name);
            var c = prepared.Scenario.GetNode(name);
            Assert.Equal(u.Bridge.Drops.NonZero().ToList(), c.Bridge.Drops.NonZero().ToList());
            Assert.Equal(u.Bridge.DumpPorts(name).ToList(), c.Bridge.DumpPorts(name).ToList());
            Assert.Equal(RuleStats.Of(u), RuleStats.Of(c));
            Assert.Equal(u.Conntrack.Dump(null).Order().ToList(), c.Conntrack.Dump(null).Order().ToList());
            // Which tier answered (FrontHits) depends on the order lookups fill the exact-match front; all else is equal.
            Assert.Equal(u.CacheStats with { FrontHits = 0, Prepared = 0 }, c.CacheStats with { FrontHits = 0, Prepared = 0 });
        }
    }

    [Fact]
    public void Below_its_connection_threshold_prepare_does_nothing()
    {
        var scenario = AntreaScenario.LoadEmbedded();
        var w1 = scenario.GetNode("worker1");
        var frames = new Frames([(49, Seed.SeedFrames.Phase1Syn())]);
        Assert.Equal(0, w1.Prepare(ref frames)); // an empty connection table is below 65536 connections
        w1.PrepareMinConnections = 0;
        Assert.Equal(1, w1.Prepare(ref frames));
    }

    private readonly struct Frames(List<(uint OfPort, byte[] Frame)> frames) : IFrameBatch
    {
        public int Count => frames.Count;
        public uint InPort(int index) => frames[index].OfPort;
        public ReadOnlySpan<byte> Frame(int index) => frames[index].Frame;
    }

    /// <summary>One copy of the seed cluster; GENEVE frames a node sends are run on the peer's tunnel port, prepared too.</summary>
    private sealed class Run : IPacketSink
    {
        private readonly bool _prepare;
        private readonly Dictionary<string, int> _preparedCount = [];
        private readonly Queue<(Node Node, byte[] Frame)> _tunnel = new();

        public Run(bool prepare)
        {
            _prepare = prepare;
            foreach (var n in Scenario.Cluster.Nodes)
                n.PrepareMinConnections = prepare ? 0 : int.MaxValue;
        }

        public AntreaScenario Scenario { get; } = AntreaScenario.LoadEmbedded();
        public List<string> Outputs { get; } = [];
        public List<string> Verdicts { get; } = [];
        public long PreparedFrames { get; private set; }

        /// <summary>Prepares each node's frames of the batch (on this thread; the turns follow in <see cref="Turns"/>).</summary>
        public void Prepare(List<(string Node, uint OfPort, byte[] Frame)> frames)
        {
            foreach (var node in Scenario.Cluster.Nodes)
            {
                var mine = new Frames(frames.Where(f => f.Node == node.Name).Select(f => (f.OfPort, f.Frame)).ToList());
                int n = _prepare ? node.Prepare(ref mine) : 0;
                _preparedCount[node.Name] = n;
                PreparedFrames += n;
            }
        }

        public void Turns(List<(string Node, uint OfPort, byte[] Frame)> frames, long now)
        {
            foreach (var node in Scenario.Cluster.Nodes)
            {
                using var scope = node.Batch();
                int k = 0;
                int prepared = _preparedCount.GetValueOrDefault(node.Name);
                foreach (var (name, ofport, frame) in frames)
                {
                    if (name != node.Name)
                        continue;
                    var verdict = k < prepared ? node.ProcessPrepared(k, ofport, frame, this, now) : node.Process(ofport, frame, this, now);
                    k++;
                    Verdicts.Add($"{name}:{verdict}");
                }
            }
            _preparedCount.Clear();
            var tunnelled = new List<(Node Node, byte[] Frame)>();
            while (_tunnel.TryDequeue(out var t))
                tunnelled.Add(t);
            foreach (var peer in Scenario.Cluster.Nodes)
            {
                var mine = tunnelled.Where(t => t.Node != peer).Select(t => t.Frame).ToList();
                for (int start = 0; start < mine.Count; start += Node.MaxPreparedFrames)
                {
                    var chunk = new Frames(mine.Skip(start).Take(Node.MaxPreparedFrames).Select(f => (1u, f)).ToList());
                    int prepared = _prepare ? peer.Prepare(ref chunk) : 0;
                    PreparedFrames += prepared;
                    for (int k = 0; k < chunk.Count; k++)
                    {
                        var verdict = k < prepared ? peer.ProcessPrepared(k, 1, chunk.Frame(k), this, now) : peer.Process(1, chunk.Frame(k), this, now);
                        Verdicts.Add($"{peer.Name} (tunnel):{verdict}");
                    }
                }
            }
        }

        public void Output(Node node, BridgePort port, ReadOnlySpan<byte> frame)
        {
            Outputs.Add($"{node.Name}/{port.Name}:{Convert.ToHexString(frame)}");
            if (port.Kind == PortKind.Tunnel)
                _tunnel.Enqueue((node, frame.ToArray()));
        }
    }
}
