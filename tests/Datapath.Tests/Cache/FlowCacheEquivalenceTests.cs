using Datapath.Antrea;
using Datapath.Classifier;

namespace Datapath.Engine.Tests.Cache;

/// <summary>
/// The flow cache must never change a result: the same random seed traffic on two copies of the
/// seed cluster, one running passes from the cache and one translating every pass, gives the same
/// frames on every port in the same order, the same verdicts, drop counters, port counters, rule
/// and bucket statistics and conntrack tables — with flow-mods (adds, deletes, a bundle) landing
/// between batches, as `ctl add-flow` does on a running node.
/// </summary>
public sealed class FlowCacheEquivalenceTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 32)]
    [InlineData(42, 64)]
    public void Cached_and_uncached_runs_are_identical(int seed, int batch)
    {
        var cached = new Run(useCache: true);
        var uncached = new Run(useCache: false);
        var traffic = new SeedTraffic(seed);
        var mods = new Random(seed);
        var added = new List<(string Node, string Flow)>();
        for (int b = 0; b < 3000 / batch; b++)
        {
            var frames = Enumerable.Range(0, batch).Select(_ => traffic.Next()).ToList();
            long now = 1000 + b * 10L;
            cached.RunBatch(frames, now);
            uncached.RunBatch(frames, now);
            if ((b + 1) * batch % 96 < batch)
                FlowMod(mods, added, cached, uncached);
        }

        Assert.True(cached.Scenario.GetNode("worker1").CacheStats.Hits > 1000, "the cache was hardly used: the test proves nothing");
        Assert.Equal(0, uncached.Scenario.GetNode("worker1").CacheStats.Hits);
        Assert.Equal(uncached.Outputs.Count, cached.Outputs.Count);
        for (int i = 0; i < uncached.Outputs.Count; i++)
            Assert.True(uncached.Outputs[i] == cached.Outputs[i], $"output {i} differs: {uncached.Outputs[i]} vs {cached.Outputs[i]}");
        Assert.Equal(uncached.Verdicts, cached.Verdicts);
        foreach (var name in new[] { "worker1", "worker2" })
        {
            var u = uncached.Scenario.GetNode(name);
            var c = cached.Scenario.GetNode(name);
            Assert.Equal(u.Bridge.Drops.NonZero().ToList(), c.Bridge.Drops.NonZero().ToList());
            Assert.Equal(u.Bridge.DumpPorts(name).ToList(), c.Bridge.DumpPorts(name).ToList());
            Assert.Equal(RuleStats.Of(u), RuleStats.Of(c));
            Assert.Equal(u.Bridge.Groups.SelectMany(g => g.Buckets).Select(x => (x.PacketCount, x.ByteCount)).ToList(),
                c.Bridge.Groups.SelectMany(g => g.Buckets).Select(x => (x.PacketCount, x.ByteCount)).ToList());
            Assert.Equal(u.Conntrack.Dump(null).Order().ToList(), c.Conntrack.Dump(null).Order().ToList());
        }
    }

    [Fact]
    public void A_flow_added_after_a_hit_applies_to_the_next_packet()
    {
        var run = new Run(useCache: true);
        var w1 = run.Scenario.GetNode("worker1");
        var syn = Seed.SeedFrames.Phase1Syn();
        Assert.Equal(1, w1.Process(49, syn, null, 1000).Outputs);
        Assert.Equal(1, w1.Process(49, syn, null, 1001).Outputs);
        Assert.Equal(1, w1.Process(49, syn, null, 1001).Outputs);
        Assert.True(w1.CacheStats.Hits >= 3, "the third SYN should run from the cache");
        // SpoofGuard's table (10): the frontend's packets are now dropped.
        w1.Bridge.AddFlow("table=10,priority=250,ip,in_port=49,actions=drop");
        var v = w1.Process(49, syn, null, 1002);
        Assert.True(v.Dropped);
        Assert.Equal(DropReason.ExplicitDrop, v.DropReason);
        Assert.Equal(10, v.DropTable);
    }

    private static void FlowMod(Random r, List<(string Node, string Flow)> added, Run a, Run b)
    {
        if (added.Count > 0 && r.Next(3) == 0)
        {
            var (node, flow) = added[r.Next(added.Count)];
            added.Remove((node, flow));
            foreach (var run in new[] { a, b })
            {
                var bridge = run.Scenario.GetNode(node).Bridge;
                var rule = bridge.Tables.Rules(10).First(x => x.Format(bridge, withStats: false).Contains(flow.Split(',')[^2], StringComparison.Ordinal) && x.Priority == 250);
                bridge.Tables.DeleteStrict(rule.TableId, rule.Match, rule.Priority);
            }
            return;
        }
        if (added.Count > 0 && r.Next(3) == 0)
        {
            // A bundle (ovs-ofctl add-flows --bundle): one new rule, and an existing one re-added with other
            // actions (its match and priority: it replaces the rule), visible together.
            var (node, old) = added[r.Next(added.Count)];
            string fresh = $"table=10,priority=250,tcp,in_port=49,tp_src={40000 + r.Next(40)},actions=drop";
            string replaced = old.Replace("actions=drop", "actions=resubmit(,30)", StringComparison.Ordinal)
                .Replace("actions=resubmit(,30)", r.Next(2) == 0 ? "actions=resubmit(,30)" : "actions=drop", StringComparison.Ordinal);
            if (added.Any(x => x.Flow.Split(",actions")[0] == fresh.Split(",actions")[0]))
                return;
            added.Remove((node, old));
            added.Add((node, replaced));
            added.Add((node, fresh));
            foreach (var run in new[] { a, b })
                run.Scenario.GetNode(node).Bridge.LoadFlows(new StringReader(replaced + "\n" + fresh + "\n"), "bundle");
            return;
        }
        string text = $"table=10,priority=250,tcp,in_port=49,tp_src={40000 + r.Next(40)},actions=drop";
        if (added.Any(x => x.Flow.Split(",actions")[0] == text.Split(",actions")[0]))
            return;
        added.Add(("worker1", text));
        foreach (var run in new[] { a, b })
            run.Scenario.GetNode("worker1").Bridge.AddFlow(text);
    }

    /// <summary>One copy of the seed cluster; GENEVE frames a node sends are run on the peer's tunnel port.</summary>
    private sealed class Run : IPacketSink
    {
        public Run(bool useCache)
        {
            foreach (var n in Scenario.Cluster.Nodes)
                n.UseFlowCache = useCache;
        }

        public AntreaScenario Scenario { get; } = AntreaScenario.LoadEmbedded();
        public List<string> Outputs { get; } = [];
        public List<string> Verdicts { get; } = [];
        private readonly Queue<(Node Node, byte[] Frame)> _tunnel = new();

        public void RunBatch(List<(string Node, uint OfPort, byte[] Frame)> frames, long now)
        {
            foreach (var node in Scenario.Cluster.Nodes)
            {
                using var scope = node.Batch();
                foreach (var (name, ofport, frame) in frames)
                {
                    if (name != node.Name)
                        continue;
                    Verdicts.Add($"{name}:{node.Process(ofport, frame, this, now)}");
                }
            }
            while (_tunnel.TryDequeue(out var t))
            {
                var peer = Scenario.Cluster.Nodes.First(n => n != t.Node);
                Verdicts.Add($"{peer.Name} (tunnel):{peer.Process(1, t.Frame, this, now)}");
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
