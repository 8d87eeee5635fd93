using Datapath.Packets;

namespace Datapath.Classifier.Tests;

/// <summary>
/// Tuple-space search against <see cref="NaiveClassifier"/> on thousands of random rule sets:
/// the same winner for every key, and consulted bits that determine the answer (any key that
/// agrees with the looked-up key on them gets the same rule).
/// </summary>
public class ClassifierPropertyTests
{
    private sealed class Gen(int seed)
    {
        private readonly Random _r = new(seed);
        private readonly Dictionary<uint, byte> _clauseCounts = [];

        public int Next(int n) => _r.Next(n);

        private uint Ip() => Ipv4Address.Parse($"10.0.{_r.Next(2)}.{1 + _r.Next(2)}").Value;

        public FlowKey Key()
        {
            var k = new FlowKey
            {
                InPort = (uint)(1 + _r.Next(3)),
                EthType = _r.Next(8) == 0 ? EtherTypes.Arp : EtherTypes.IPv4,
                NwSrc = Ip(),
                NwDst = Ip(),
                NwProto = _r.Next(2) == 0 ? IpProtocols.Tcp : IpProtocols.Udp,
                TpDst = (ushort)(_r.Next(3) switch { 0 => 80, 1 => 53, _ => 22 }),
            };
            k.Regs[0] = (uint)_r.Next(4) << (_r.Next(2) * 8);
            return k;
        }

        public FlowRule Rule(int serial)
        {
            var b = new MatchBuilder();
            int features = _r.Next(64);
            if ((features & 1) != 0)
                b.Set(FieldId.InPort, (uint)(1 + _r.Next(3)));
            if ((features & 2) != 0 || (features & 4) != 0 || (features & 8) != 0)
                b.Set(FieldId.EthType, EtherTypes.IPv4);
            if ((features & 4) != 0)
                b.Set(FieldId.NwSrc, Ip(), Ipv4Address.PrefixMask(_r.Next(3) switch { 0 => 32, 1 => 24, _ => 16 }));
            if ((features & 8) != 0)
                b.Set(FieldId.NwDst, Ip(), Ipv4Address.PrefixMask(_r.Next(2) == 0 ? 32 : 23));
            if ((features & 16) != 0)
            {
                b.Set(FieldId.EthType, EtherTypes.IPv4);
                b.Set(FieldId.NwProto, _r.Next(2) == 0 ? IpProtocols.Tcp : IpProtocols.Udp);
                if (_r.Next(2) == 0)
                    b.Set(FieldId.TpDst, (ushort)(_r.Next(3) switch { 0 => 80, 1 => 53, _ => 22 }), (UInt128)(_r.Next(3) == 0 ? 0xfff0 : 0xffff));
            }
            if ((features & 32) != 0)
                b.Set(FieldId.Reg0, (uint)_r.Next(4), 0xff);
            ushort priority = (ushort)(1 + _r.Next(4));
            int kind = _r.Next(10);
            if (kind < 3)
            {
                int count = 1 + (_r.Next(4) == 0 ? 1 : 0);
                var conj = new List<Conjunction>();
                for (int i = 0; i < count; i++)
                {
                    uint id = (uint)(1 + _r.Next(3));
                    if (conj.Any(c => c.Id == id))
                        continue;
                    if (!_clauseCounts.TryGetValue(id, out byte n))
                        _clauseCounts[id] = n = (byte)(2 + _r.Next(2));
                    if (_r.Next(20) == 0)
                        n = (byte)(2 + _r.Next(2));   // now and then a mismatched n, as OVS allows
                    conj.Add(new Conjunction(id, (byte)(1 + _r.Next(n)), n));
                }
                return new FlowRule(0, priority, b.Build(), string.Join(",", conj), conj) { SourceLine = serial };
            }
            if (kind < 5)
            {
                b.Set(FieldId.ConjId, (uint)(1 + _r.Next(3)));
                return new FlowRule(0, (ushort)(_r.Next(6)), b.Build(), $"conj rule {serial}") { SourceLine = serial };
            }
            return new FlowRule(0, priority, b.Build(), $"rule {serial}") { SourceLine = serial };
        }

        public FlowKey Blend(in FlowKey key, in FlowKey consulted) => BlendKeys(in key, in consulted, Key());
    }

    /// <summary><paramref name="key"/>'s consulted bits, <paramref name="other"/>'s elsewhere.</summary>
    internal static FlowKey BlendKeys(in FlowKey key, in FlowKey consulted, FlowKey other)
    {
        FlowKey k = key;
        Span<ulong> kw = k.Words, ow = other.Words;
        FlowKey c = consulted;
        Span<ulong> cw = c.Words;
        for (int i = 0; i < FlowKey.WordCount - 1; i++)
            kw[i] = (kw[i] & cw[i]) | (ow[i] & ~cw[i]);
        return k;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Tuple_space_search_agrees_with_a_linear_scan(int block)
    {
        const int setsPerBlock = 500;
        int checkedKeys = 0;
        for (int s = block * setsPerBlock; s < (block + 1) * setsPerBlock; s++)
        {
            var g = new Gen(s);
            var set = new FlowTableSet();
            var naive = new NaiveClassifier();
            var rules = new List<FlowRule>();
            int n = 2 + g.Next(40);
            for (int i = 0; i < n; i++)
            {
                FlowRule r = g.Rule(i);
                FlowRule? replaced = set.Add(r);
                if (replaced is not null)
                    rules.Remove(replaced);
                rules.Add(r);
                naive.Add(r);
            }
            checkedKeys += Check(g, set, naive, s, 20);

            // Delete some (purge, tombstones, subtable removal), add a few more, check again.
            foreach (FlowRule r in rules.Where(_ => g.Next(3) == 0).ToList())
            {
                Assert.Equal(1, set.DeleteStrict(0, r.Match, r.Priority));
                naive.Remove(r);
                rules.Remove(r);
            }
            for (int i = 0; i < 5; i++)
            {
                FlowRule r = g.Rule(100 + i);
                set.Add(r);
                naive.Add(r);
            }
            checkedKeys += Check(g, set, naive, s, 20);
        }
        Assert.True(checkedKeys >= setsPerBlock * 40);
    }

    private static int Check(Gen g, FlowTableSet set, NaiveClassifier naive, int seed, int keys)
        => CheckAgainstNaive(g.Key, g.Blend, set, naive, seed, keys, blends: 2);

    internal delegate FlowKey Blender(in FlowKey key, in FlowKey consulted);

    /// <summary>
    /// Looks up <paramref name="keys"/> keys from <paramref name="nextKey"/> in table 0: the same
    /// rule as the naive classifier, and for <paramref name="blends"/> keys that agree with each on
    /// its consulted bits (<paramref name="blend"/>) the same rule again.  Returns the keys checked.
    /// </summary>
    internal static int CheckAgainstNaive(Func<FlowKey> nextKey, Blender blend, FlowTableSet set, NaiveClassifier naive,
        int seed, int keys, int blends)
    {
        for (int i = 0; i < keys; i++)
        {
            FlowKey key = nextKey();
            FlowKey consulted = default;
            FlowRule? fast = set.Lookup(0, in key, ref consulted);
            FlowRule? slow = naive.Lookup(in key);
            if (fast != slow)
                Assert.Fail($"seed {seed} key {i}: fast {fast?.ToString() ?? "miss"} vs naive {slow?.ToString() ?? "miss"}");
            for (int j = 0; j < blends; j++)
            {
                FlowKey other = blend(in key, in consulted);
                FlowKey ignored = default;
                FlowRule? again = set.Lookup(0, in other, ref ignored);
                if (again != fast)
                    Assert.Fail($"seed {seed} key {i}: consulted bits do not determine the answer ({again?.ToString() ?? "miss"} vs {fast?.ToString() ?? "miss"})");
                if (naive.Lookup(in other) != fast)
                    Assert.Fail($"seed {seed} key {i}: naive disagrees on a key with the same consulted bits");
            }
        }
        return keys;
    }
}
