using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Benchmarks.Classifier;

/// <summary>
/// Deterministic random rule sets for the classifier benchmarks: rules over a fixed set of
/// fields (in_port, dl_type, nw_src/nw_dst prefixes, nw_proto, tp_dst, reg0), with a chosen number
/// of distinct masks, and keys of which about half hit a rule exactly.
/// </summary>
internal sealed class RuleSetGenerator(int seed)
{
    private readonly Random _r = new(seed);

    private static readonly int[] s_prefixes = [8, 16, 24, 32];

    /// <summary>A mask template: which fields, and the prefix lengths for the addresses.</summary>
    internal readonly record struct Shape(bool InPort, int SrcPrefix, int DstPrefix, bool Proto, bool TpDst, bool Reg0);

    public List<Shape> Shapes(int count)
    {
        var set = new HashSet<Shape>();
        while (set.Count < count)
        {
            set.Add(new Shape(
                _r.Next(2) == 0,
                _r.Next(3) == 0 ? 0 : s_prefixes[_r.Next(4)],
                _r.Next(3) == 0 ? 0 : s_prefixes[_r.Next(4)],
                _r.Next(2) == 0,
                _r.Next(2) == 0,
                _r.Next(4) == 0));
        }
        return [.. set];
    }

    public FlowKey RandomKey() => new()
    {
        InPort = (uint)_r.Next(1, 64),
        EthType = EtherTypes.IPv4,
        NwSrc = (uint)_r.Next() | 0x0A000000,
        NwDst = (uint)_r.Next() | 0x0A000000,
        NwProto = _r.Next(2) == 0 ? IpProtocols.Tcp : IpProtocols.Udp,
        TpSrc = (ushort)_r.Next(1024, 65535),
        TpDst = (ushort)_r.Next(1, 1024),
    };

    public Match MatchFor(Shape s, in FlowKey key)
    {
        var b = new MatchBuilder();
        b.Set(FieldId.EthType, EtherTypes.IPv4);
        if (s.InPort)
            b.Set(FieldId.InPort, key.InPort);
        if (s.SrcPrefix > 0)
            b.Set(FieldId.NwSrc, key.NwSrc, Ipv4Address.PrefixMask(s.SrcPrefix));
        if (s.DstPrefix > 0)
            b.Set(FieldId.NwDst, key.NwDst, Ipv4Address.PrefixMask(s.DstPrefix));
        if (s.Proto || s.TpDst)
            b.Set(FieldId.NwProto, key.NwProto);
        if (s.TpDst)
            b.Set(FieldId.TpDst, key.TpDst);
        if (s.Reg0)
            b.Set(FieldId.Reg0, key.Regs[0], 0xffff);
        return b.Build();
    }

    /// <summary><paramref name="count"/> rules over <paramref name="masks"/> distinct masks, and the keys they were cut from.</summary>
    public (List<FlowRule> Rules, List<FlowKey> Sources) Rules(int count, int masks, int priorities = 1000, byte table = 0)
    {
        List<Shape> shapes = Shapes(masks);
        var rules = new List<FlowRule>(count);
        var keys = new List<FlowKey>(count);
        var seen = new HashSet<(Match, int)>();
        while (rules.Count < count)
        {
            FlowKey k = RandomKey();
            Match m = MatchFor(shapes[_r.Next(shapes.Count)], in k);
            ushort p = (ushort)_r.Next(priorities);
            if (!seen.Add((m, p)))
                continue;
            rules.Add(new FlowRule(table, p, m, "drop"));
            keys.Add(k);
        }
        return (rules, keys);
    }

    /// <summary>Lookup keys: every other one is a rule's source key (a hit), the rest random (mostly misses or wide matches).</summary>
    public FlowKey[] Keys(List<FlowKey> sources, int count)
    {
        var keys = new FlowKey[count];
        for (int i = 0; i < count; i++)
            keys[i] = i % 2 == 0 ? sources[_r.Next(sources.Count)] : RandomKey();
        return keys;
    }

    public int Next(int n) => _r.Next(n);

    /// <summary>
    /// The <c>ovstest test-classifier benchmark</c>-shaped table (seed 1234): 1,000 rules, 10
    /// priorities, over one exact mask or 20 random ones, and 1,024 lookup keys of which half hit.
    /// </summary>
    public static (FlowClassifier Classifier, FlowKey[] Keys) OvsTestSet(bool wildcarded)
    {
        var gen = new RuleSetGenerator(1234);
        List<Shape> shapes = wildcarded ? gen.Shapes(20) : [new Shape(true, 32, 32, true, true, true)];
        var classifier = new FlowClassifier();
        var sources = new List<FlowKey>();
        var seen = new HashSet<(Match, int)>();
        while (sources.Count < 1000)
        {
            FlowKey k = gen.RandomKey();
            k.Regs[0] = (uint)gen.Next(65536);
            Match m = gen.MatchFor(shapes[gen.Next(shapes.Count)], in k);
            int p = gen.Next(10);
            if (!seen.Add((m, p)))
                continue;
            classifier.Insert(new FlowRule(0, (ushort)p, m, "drop"));
            sources.Add(k);
        }
        return (classifier, gen.Keys(sources, 1024));
    }

    private static uint ConjunctiveSource(int i) => 0x0A010000u + (uint)i;        // 10.1.x.x
    private static uint ConjunctiveDestination(int i) => 0x0A020000u + (uint)i;   // 10.2.x.x
    private static ushort ConjunctivePort(int i) => (ushort)(8000 + i);

    /// <summary>
    /// The NetworkPolicy-shaped conjunctive set: 1,000 sources x 1,000 destinations x 10 TCP ports
    /// (conjunction(1,k/3)), 2,010 flows standing for a 10 M cross product, plus the conj_id=1 rule
    /// ("allow") and a priority-0 default, as Antrea's ingress/egress rule tables hold them.
    /// </summary>
    public static FlowClassifier ConjunctiveTable()
    {
        var c = new FlowClassifier();
        for (int i = 0; i < 1000; i++)
        {
            c.Insert(new FlowRule(0, 200, new MatchBuilder().Set(FieldId.EthType, EtherTypes.IPv4).Set(FieldId.NwSrc, ConjunctiveSource(i)).Build(),
                "conjunction(1,1/3)", [new Conjunction(1, 1, 3)]));
            c.Insert(new FlowRule(0, 200, new MatchBuilder().Set(FieldId.EthType, EtherTypes.IPv4).Set(FieldId.NwDst, ConjunctiveDestination(i)).Build(),
                "conjunction(1,2/3)", [new Conjunction(1, 2, 3)]));
        }
        for (int i = 0; i < 10; i++)
        {
            c.Insert(new FlowRule(0, 200,
                new MatchBuilder().Set(FieldId.EthType, EtherTypes.IPv4).Set(FieldId.NwProto, IpProtocols.Tcp).Set(FieldId.TpDst, ConjunctivePort(i)).Build(),
                "conjunction(1,3/3)", [new Conjunction(1, 3, 3)]));
        }
        c.Insert(new FlowRule(0, 190, new MatchBuilder().Set(FieldId.ConjId, 1).Set(FieldId.EthType, EtherTypes.IPv4).Build(), "allow"));
        c.Insert(new FlowRule(0, 0, Match.CatchAll, "default"));
        return c;
    }

    /// <summary>Keys for <see cref="ConjunctiveTable"/> (seed 7): conjunction hits, near misses (two dimensions of three) and plain misses.</summary>
    public static (FlowKey[] Hits, FlowKey[] NearMisses, FlowKey[] Misses) ConjunctiveKeys(int count)
    {
        var r = new Random(7);
        static FlowKey Key(uint src, uint dst, ushort port) => new()
        {
            EthType = EtherTypes.IPv4, NwSrc = src, NwDst = dst, NwProto = IpProtocols.Tcp, TpSrc = 40000, TpDst = port,
        };
        var hits = new FlowKey[count];
        var near = new FlowKey[count];
        var misses = new FlowKey[count];
        for (int i = 0; i < count; i++)
        {
            hits[i] = Key(ConjunctiveSource(r.Next(1000)), ConjunctiveDestination(r.Next(1000)), ConjunctivePort(r.Next(10)));
            near[i] = Key(ConjunctiveSource(r.Next(1000)), ConjunctiveDestination(r.Next(1000)), 22);
            misses[i] = Key(0x0B000001, 0x0B000002, 22);
        }
        return (hits, near, misses);
    }
}
