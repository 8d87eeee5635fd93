using Datapath.Packets;

namespace Datapath.Classifier.Tests;

/// <summary>
/// Tables whose rules share one mask take FlowClassifier's one-subtable path ("Design: one
/// subtable"): the same answers as <see cref="NaiveClassifier"/>, with and without consulted bits,
/// consulted bits that determine the answer, and (without prefix lengths) exactly the mask consulted,
/// as the walk consults it.  Conjunctive heads in the subtable take the walk.
/// </summary>
public sealed class SingleSubtableTests
{
    private static uint Ip(Random r) => Ipv4Address.Parse($"10.0.{r.Next(3)}.{1 + r.Next(3)}").Value;

    private static FlowKey Key(Random r)
    {
        var k = new FlowKey
        {
            InPort = (uint)(1 + r.Next(3)),
            EthType = EtherTypes.IPv4,
            NwSrc = Ip(r),
            NwDst = Ip(r),
            NwProto = IpProtocols.Tcp,
            TpDst = (ushort)(r.Next(3) switch { 0 => 80, 1 => 53, _ => 22 }),
        };
        k.Regs[0] = (uint)r.Next(3);
        return k;
    }

    private static Match MatchOf(in FlowKey k, bool prefixes)
    {
        var b = new MatchBuilder().Set(FieldId.InPort, k.InPort).Set(FieldId.EthType, EtherTypes.IPv4);
        if (prefixes)
            b.Set(FieldId.NwSrc, k.NwSrc, Ipv4Address.PrefixMask(24)).Set(FieldId.NwDst, k.NwDst);
        else
            b.Set(FieldId.NwProto, IpProtocols.Tcp).Set(FieldId.TpDst, k.TpDst).Set(FieldId.Reg0, k.Regs[0], 0xff);
        return b.Build();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void One_mask_tables_answer_as_the_naive_judge(bool prefixes)
    {
        for (int seed = 0; seed < 300; seed++)
        {
            var r = new Random(seed);
            var classifier = new FlowClassifier();
            var naive = new NaiveClassifier();
            int n = 1 + r.Next(30);
            for (int i = 0; i < n; i++)
            {
                Match m = MatchOf(Key(r), prefixes);
                ushort priority = (ushort)r.Next(4);
                if (classifier.Rules().Any(x => x.Priority == priority && x.Match.Equals(m)))
                    continue;
                FlowRule rule = r.Next(5) == 0
                    ? new FlowRule(0, priority, m, "conjunction(1,1/2)", [new Conjunction(1, 1, 2)])
                    : new FlowRule(0, priority, m, $"rule {i}");
                classifier.Insert(rule);
                naive.Add(rule);
            }
            Assert.Equal(1, classifier.SubtableCount);
            FlowKey mask = classifier.Rules()[0].Match.Mask;
            for (int i = 0; i < 30; i++)
            {
                FlowKey key = Key(r);
                FlowRule? expected = naive.Lookup(in key);
                Assert.Same(expected, classifier.Lookup(in key));
                FlowKey consulted = default;
                Assert.Same(expected, classifier.Lookup(in key, ref consulted));
                if (!prefixes)
                    Assert.True(consulted.Words.SequenceEqual(mask.Words), $"seed {seed}: consulted bits are not the mask");
                FlowKey other = ClassifierPropertyTests.BlendKeys(in key, in consulted, Key(r));
                Assert.Same(expected, classifier.Lookup(in other));
            }
        }
    }
}
