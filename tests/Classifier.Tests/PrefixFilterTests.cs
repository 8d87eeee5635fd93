using Datapath.Packets;

namespace Datapath.Classifier.Tests;

/// <summary>
/// The prefix stage (OVS's prefix tries reduced to a bitmap per prefix length): no false
/// negatives through adds, removals and resizes, exact answers on direct levels, and a lookup
/// that skips subtables whose nw_src/nw_dst prefix cannot match yet agrees with a linear scan.
/// </summary>
public class PrefixFilterTests
{
    /// <summary>Bit L set: some rule with a /L prefix may have <paramref name="value"/>'s top L bits; bit 0 always (the stage's answer with set L = bit L).</summary>
    private static ulong Matches(PrefixFilter f, uint value)
    {
        var sets = new ulong[33];
        for (int length = 0; length <= 32; length++)
            sets[length] = 1UL << length;
        PrefixFilter.Snapshot s = f.Current;
        return PrefixFilter.Alive(PrefixFilter.PlanLevels(s, sets), s.Bits, sets[0], value);
    }

    [Fact]
    public void Nw_word_is_where_FlowKey_keeps_nw_src_low_and_nw_dst_high()
    {
        var k = new FlowKey { NwSrc = 0x0A000001, NwDst = 0xC0A80001 };
        Assert.Equal(0xC0A80001_0A000001UL, k.Words[KeyWords.Nw]);
    }

    [Theory]
    [InlineData(0xFFFFFF00u, 24)]
    [InlineData(0xFFFFFFFFu, 32)]
    [InlineData(0x80000000u, 1)]
    [InlineData(0u, 0)]
    [InlineData(0xFF00FF00u, 0)]   // not a prefix: never skipped
    [InlineData(0x000000FFu, 0)]
    public void Prefix_length_of_a_mask(uint mask, int length)
        => Assert.Equal(length, PrefixFilter.PrefixLength(mask));

    [Fact]
    public void A_direct_level_is_exact_and_forgets_removed_prefixes()
    {
        var f = new PrefixFilter();
        f.Add(8, 0x0A000000);    // 10.0.0.0/8
        f.Add(16, 0xC0A80000);   // 192.168.0.0/16
        f.Add(16, 0xC0A80000);
        Assert.Equal(1UL | 1UL << 8, Matches(f, 0x0A010203));
        Assert.Equal(1UL | 1UL << 16, Matches(f, 0xC0A8FF01));
        Assert.Equal(1UL, Matches(f, 0x0B000001));
        f.Remove(16, 0xC0A80000);
        Assert.Equal(1UL | 1UL << 16, Matches(f, 0xC0A8FF01));
        f.Remove(16, 0xC0A80000);
        Assert.Equal(1UL, Matches(f, 0xC0A8FF01));
        Assert.Equal(1, f.LevelCount);
    }

    [Fact]
    public void Hashed_levels_have_no_false_negatives_through_growth_and_removal()
    {
        var r = new Random(7);
        var f = new PrefixFilter();
        var present = new Dictionary<(int, uint), int>();
        int[] lengths = [24, 32, 20];
        for (int round = 0; round < 20_000; round++)
        {
            int length = lengths[r.Next(lengths.Length)];
            uint value = (uint)r.Next() << 1;
            if (present.Count > 0 && r.Next(3) == 0)
            {
                (int l, uint v) = present.Keys.ElementAt(r.Next(present.Count));
                f.Remove(l, v);
                if (--present[(l, v)] == 0)
                    present.Remove((l, v));
            }
            else
            {
                f.Add(length, value);
                present[(length, value)] = present.GetValueOrDefault((length, value)) + 1;
            }
            if (round % 97 == 0)
            {
                foreach ((int l, uint v) in present.Keys)
                    Assert.True((Matches(f, v | (uint)r.Next((int)Math.Min(int.MaxValue, 1L << (32 - l)))) & 1UL << l) != 0, $"false negative for /{l}");
            }
        }
        // And it filters: a random key passes a /32 level rarely.
        int passes = 0;
        for (int i = 0; i < 10_000; i++)
            passes += (Matches(f, (uint)r.Next()) & 1UL << 32) != 0 ? 1 : 0;
        Assert.InRange(passes, 0, 1_000);
    }

    /// <summary>
    /// Many subtables over nw_src/nw_dst prefixes (so most are skipped), against the naive scan;
    /// with hashes computed in vector lanes (where the machine has AVX-512) and one word at a time.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Lookup_with_the_prefix_stage_agrees_with_a_linear_scan(bool vectorHash)
    {
        int[] lengths = [0, 8, 16, 23, 24, 32];
        for (int seed = 0; seed < 60; seed++)
        {
            var r = new Random(seed);
            uint Ip() => 0x0A000000u | (uint)r.Next(4) << 16 | (uint)r.Next(4) << 8 | (uint)r.Next(4);
            FlowKey Key() => new() { EthType = EtherTypes.IPv4, NwSrc = Ip(), NwDst = Ip(), NwProto = IpProtocols.Tcp, TpDst = (ushort)(80 + r.Next(2)) };
            var set = new FlowTableSet();
            set[0].VectorHash = vectorHash && FlowClassifier.VectorHashSupported;
            var naive = new NaiveClassifier();
            var rules = new List<FlowRule>();
            for (int i = 0; i < 200; i++)
            {
                var b = new MatchBuilder();
                b.Set(FieldId.EthType, EtherTypes.IPv4);
                int src = lengths[r.Next(lengths.Length)], dst = lengths[r.Next(lengths.Length)];
                if (src > 0)
                    b.Set(FieldId.NwSrc, Ip(), Ipv4Address.PrefixMask(src));
                if (dst > 0)
                    b.Set(FieldId.NwDst, Ip(), Ipv4Address.PrefixMask(dst));
                if (r.Next(2) == 0)
                {
                    b.Set(FieldId.NwProto, IpProtocols.Tcp);
                    b.Set(FieldId.TpDst, (ushort)(80 + r.Next(2)));
                }
                var rule = new FlowRule(0, (ushort)r.Next(50), b.Build(), $"rule {i}") { SourceLine = i };
                if (set.Add(rule) is { } replaced)
                    rules.Remove(replaced);
                naive.Add(rule);   // replaces an identical match and priority in place, as the table does
                rules.Add(rule);
            }
            ClassifierPropertyTests.CheckAgainstNaive(Key, (in FlowKey k, in FlowKey c) => ClassifierPropertyTests.BlendKeys(in k, in c, Key()), set, naive, seed, 200, blends: 2);
            foreach (FlowRule rule in rules.Where(_ => r.Next(2) == 0).ToList())
            {
                Assert.Equal(1, set.DeleteStrict(0, rule.Match, rule.Priority));
                naive.Remove(rule);
            }
            ClassifierPropertyTests.CheckAgainstNaive(Key, (in FlowKey k, in FlowKey c) => ClassifierPropertyTests.BlendKeys(in k, in c, Key()), set, naive, seed, 200, blends: 2);
        }
    }

    /// <summary>
    /// More than 64 subtables (every nw_src prefix length 0..32 with several nw_dst ones), so the
    /// prefix stage's subtable sets take several words: against the naive scan.  The priority is the
    /// nw_src prefix length (longest prefix first, as a routing table), so the answer usually lies
    /// past the first 64 subtables (/16 and shorter), behind longer prefixes that rarely match.
    /// </summary>
    [Fact]
    public void Lookup_over_more_than_64_subtables_agrees_with_a_linear_scan()
    {
        int[] dstLengths = [0, 8, 16, 24, 32];
        for (int seed = 0; seed < 10; seed++)
        {
            var r = new Random(1000 + seed);
            uint Ip() => 0x0A000000u | (uint)r.Next(1 << 16);
            FlowKey Key() => new() { EthType = EtherTypes.IPv4, NwSrc = Ip(), NwDst = Ip(), NwProto = IpProtocols.Udp, TpDst = 53 };
            var set = new FlowTableSet();
            var naive = new NaiveClassifier();
            for (int i = 0; i < 1000; i++)
            {
                var b = new MatchBuilder();
                b.Set(FieldId.EthType, EtherTypes.IPv4);
                int src = r.Next(33), dst = dstLengths[r.Next(dstLengths.Length)];
                if (src > 0)
                    b.Set(FieldId.NwSrc, Ip(), Ipv4Address.PrefixMask(src));
                if (dst > 0)
                    b.Set(FieldId.NwDst, Ip(), Ipv4Address.PrefixMask(dst));
                var rule = new FlowRule(0, (ushort)src, b.Build(), $"rule {i}") { SourceLine = i };
                set.Add(rule);
                naive.Add(rule);
            }
            Assert.True(set[0].SubtableCount > 64, $"{set[0].SubtableCount} subtables");
            ClassifierPropertyTests.CheckAgainstNaive(Key, (in FlowKey k, in FlowKey c) => ClassifierPropertyTests.BlendKeys(in k, in c, Key()), set, naive, seed, 300, blends: 2);
        }
    }

    /// <summary>
    /// A subtable the prefix stage rules out consults only the prefix bits that did it, as OVS's
    /// tries un-wildcard only the bits they examined: a flow cache entry stays as wide as it can.
    /// </summary>
    [Fact]
    public void A_skipped_subtable_consults_only_its_prefix_bits()
    {
        var set = new FlowTableSet();
        for (int length = 8; length <= 16; length++)   // nine subtables: the stage runs
        {
            set.Add(new FlowRule(0, 100, new MatchBuilder()
                .Set(FieldId.EthType, EtherTypes.IPv4)
                .Set(FieldId.NwSrc, Ipv4Address.Parse("10.0.0.0").Value, Ipv4Address.PrefixMask(length))
                .Set(FieldId.NwProto, IpProtocols.Tcp)
                .Set(FieldId.TpDst, (ushort)80)
                .Build(), "drop"));
        }
        var key = new FlowKey { EthType = EtherTypes.IPv4, NwSrc = Ipv4Address.Parse("11.1.1.1").Value, NwProto = IpProtocols.Tcp, TpDst = 80 };
        FlowKey consulted = default;
        Assert.Null(set.Lookup(0, in key, ref consulted));
        Assert.Equal(0xFFFF0000u, consulted.NwSrc);   // the longest prefix checked, /16
        Assert.Equal(0, consulted.TpDst);
        Assert.Equal(0, consulted.NwProto);
        Assert.Equal(0, consulted.EthType);

        // A key inside 10.0.0.0/8 passes the /8 check: that subtable is hashed, its whole mask consulted.
        key.NwSrc = Ipv4Address.Parse("10.200.1.1").Value;
        consulted = default;
        Assert.NotNull(set.Lookup(0, in key, ref consulted));
        Assert.Equal(0xFFFF, consulted.TpDst);
        Assert.Equal(0xFFFF, consulted.EthType);
    }
}
