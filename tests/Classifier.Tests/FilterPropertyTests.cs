using Datapath.Packets;

namespace Datapath.Classifier.Tests;

/// <summary>
/// The subtable filters (Bloom bits with priority lanes) and the probe order they drive: rule sets
/// with up to 33 x 33 prefix lengths on nw_src/nw_dst (so far more subtables than one batch),
/// equal and distinct priorities, identical matches at several priorities, deletions (stale
/// lanes, tombstones, rebuilds) and growth.  A filter that forgot a rule or under-stated its
/// priority would skip a subtable that holds the answer; these tests catch both.
/// </summary>
public class FilterPropertyTests
{
    private sealed class Gen(int seed)
    {
        private readonly Random _r = new(seed);
        private readonly uint[] _pool = [.. Enumerable.Range(0, 6).Select(_ => (uint)new Random(seed * 7 + 1).Next() | 0x0A000000u)];

        public int Next(int n) => _r.Next(n);

        /// <summary>An address near the pool: a pool address with some low bits flipped.</summary>
        public uint Addr() => _pool[_r.Next(_pool.Length)] ^ (uint)(_r.Next(4) == 0 ? _r.Next() >> _r.Next(32) : 0);

        public FlowKey Key() => new()
        {
            InPort = (uint)(1 + _r.Next(2)),
            EthType = EtherTypes.IPv4,
            NwSrc = Addr(),
            NwDst = Addr(),
            NwProto = IpProtocols.Tcp,
            TpDst = (ushort)(80 + _r.Next(2)),
        };

        public Match Match(int[] srcLens, int[] dstLens)
        {
            var b = new MatchBuilder();
            b.Set(FieldId.EthType, EtherTypes.IPv4);
            int s = srcLens[_r.Next(srcLens.Length)], d = dstLens[_r.Next(dstLens.Length)];
            if (s > 0)
                b.Set(FieldId.NwSrc, Addr(), Ipv4Address.PrefixMask(s));
            if (d > 0)
                b.Set(FieldId.NwDst, Addr(), Ipv4Address.PrefixMask(d));
            if (_r.Next(4) == 0)
                b.Set(FieldId.NwProto, IpProtocols.Tcp).Set(FieldId.TpDst, (ushort)(80 + _r.Next(2)));
            if (_r.Next(5) == 0)
                b.Set(FieldId.InPort, (uint)(1 + _r.Next(2)));
            return b.Build();
        }

        public FlowKey Blend(in FlowKey key, in FlowKey consulted)
        {
            FlowKey other = Key();
            other.InPort = (uint)_r.Next();
            other.TpDst = (ushort)_r.Next();
            return ClassifierPropertyTests.BlendKeys(in key, in consulted, other);
        }
    }

    private static int[] Lengths(Gen g)
    {
        // All 33 lengths, or a few, or one: many subtables, or few with many rules each.
        return g.Next(3) switch
        {
            0 => [.. Enumerable.Range(0, 33)],
            1 => [.. Enumerable.Range(0, 4).Select(_ => g.Next(33))],
            _ => [g.Next(33)],
        };
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Filtered_lookup_agrees_with_a_linear_scan_and_its_consulted_bits_decide(int block)
    {
        const int setsPerBlock = 40;
        int checkedKeys = 0, maxSubtables = 0;
        for (int s = block * setsPerBlock; s < (block + 1) * setsPerBlock; s++)
        {
            var g = new Gen(s);
            int[] srcLens = Lengths(g), dstLens = Lengths(g);
            int priorities = g.Next(2) == 0 ? 4 : 1000;
            var set = new FlowTableSet();
            var naive = new NaiveClassifier();
            var rules = new List<FlowRule>();
            int n = 50 + g.Next(600);
            for (int i = 0; i < n; i++)
            {
                // Now and then the identical match at another priority (one list, several rules).
                Match m = rules.Count > 0 && g.Next(6) == 0 ? rules[g.Next(rules.Count)].Match : g.Match(srcLens, dstLens);
                var r = new FlowRule(0, (ushort)g.Next(priorities), m, $"rule {i}");
                FlowRule? replaced = set.Add(r);
                if (replaced is not null)
                    rules.Remove(replaced);   // the naive classifier replaces it too, keeping its place
                rules.Add(r);
                naive.Add(r);
            }
            maxSubtables = Math.Max(maxSubtables, set[0].SubtableCount);
            checkedKeys += Check(g, set, naive, s, 60);

            // Delete about half (lanes go stale, lists become tombstones, subtables rebuild or
            // vanish), add a few high-priority rules over old matches, check again.
            foreach (FlowRule r in rules.Where(_ => g.Next(2) == 0).ToList())
            {
                Assert.Equal(1, set.DeleteStrict(0, r.Match, r.Priority));
                naive.Remove(r);
                rules.Remove(r);
            }
            for (int i = 0; i < 20 && rules.Count > 0; i++)
            {
                var r = new FlowRule(0, (ushort)(priorities + g.Next(3)), rules[g.Next(rules.Count)].Match, $"late {i}");
                FlowRule? replaced = set.Add(r);
                if (replaced is not null)
                    rules.Remove(replaced);   // the naive classifier replaces it too, keeping its place
                rules.Add(r);
                naive.Add(r);
            }
            checkedKeys += Check(g, set, naive, s, 60);
        }
        Assert.True(checkedKeys >= setsPerBlock * 120);
        Assert.True(maxSubtables > 32, $"only {maxSubtables} subtables: the batches were not exercised");
    }

    private static int Check(Gen g, FlowTableSet set, NaiveClassifier naive, int seed, int keys)
        => ClassifierPropertyTests.CheckAgainstNaive(g.Key, g.Blend, set, naive, seed, keys, blends: 3);

    [Fact]
    public void Every_rule_passes_its_subtables_filter_with_a_bound_at_least_its_priority()
    {
        var g = new Gen(99);
        int[] lens = [.. Enumerable.Range(0, 33)];
        var c = new FlowClassifier();
        var present = new List<FlowRule>();
        for (int round = 0; round < 20; round++)
        {
            for (int i = 0; i < 500; i++)
            {
                Match m = present.Count > 0 && g.Next(5) == 0 ? present[g.Next(present.Count)].Match : g.Match(lens, lens);
                var r = new FlowRule(0, (ushort)g.Next(65536), m, "x");
                c.Insert(r);
                present.Add(r);
            }
            foreach (FlowRule r in present.Where(_ => g.Next(3) == 0).ToList())
            {
                c.Remove(r);
                present.Remove(r);
            }
            foreach (FlowRule r in present)
            {
                int bound = c.FilterBound(r.Match);
                if (bound < r.Priority)
                    Assert.Fail($"round {round}: {r.Match} priority {r.Priority} has filter bound {bound}");
            }
        }
        Assert.True(c.PhysicalRuleCount == present.Count);
    }

    [Fact]
    public void A_filter_rejects_most_absent_keys()
    {
        // Not a timing test: the filter must actually filter (else the skipping is never exercised).
        var g = new Gen(5);
        var c = new FlowClassifier();
        for (int i = 0; i < 2000; i++)
        {
            var b = new MatchBuilder().Set(FieldId.EthType, EtherTypes.IPv4).Set(FieldId.NwSrc, (uint)g.Next(int.MaxValue) | 0x0B000000u);
            c.Insert(new FlowRule(0, 1, b.Build(), "x"));
        }
        static Match Probe(uint src) => new MatchBuilder().Set(FieldId.EthType, EtherTypes.IPv4).Set(FieldId.NwSrc, src).Build();
        int passed = 0;
        for (uint i = 0; i < 1000; i++)
        {
            if (c.FilterBound(Probe(0x0C000000u + i)) >= 0)
                passed++;
        }
        Assert.True(passed < 100, $"{passed} of 1000 absent keys passed the filter");
    }
}
