using BenchmarkDotNet.Attributes;
using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Benchmarks.Classifier;

/// <summary>
/// A NetworkPolicy-shaped conjunctive set: 1,000 source addresses x 1,000 destination addresses
/// x 10 TCP ports (conjunction(1,k/3)), i.e. 2,010 flows standing for a 10 M cross product, plus
/// the conj_id=1 rule and a priority-0 default, as Antrea's ingress/egress rule tables hold them.
/// Keys: conjunction hits, near misses (two dimensions of three) and plain misses.
/// </summary>
[MemoryDiagnoser]
public class ConjunctiveLookupBenchmarks
{
    private const int KeyCount = 1024;
    private FlowClassifier _classifier = null!;
    private FlowKey[] _hits = null!;
    private FlowKey[] _nearMisses = null!;
    private FlowKey[] _misses = null!;

    /// <summary>Managed heap growth while building the table (printed in the log; target &lt; 50 MB).</summary>
    public static long TableBytes { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        long before = GC.GetTotalMemory(forceFullCollection: true);
        _classifier = new FlowClassifier();
        var r = new Random(7);
        uint Src(int i) => 0x0A010000u + (uint)i;    // 10.1.x.x
        uint Dst(int i) => 0x0A020000u + (uint)i;    // 10.2.x.x
        ushort Port(int i) => (ushort)(8000 + i);
        for (int i = 0; i < 1000; i++)
        {
            _classifier.Insert(new FlowRule(0, 200, new MatchBuilder().Set(FieldId.EthType, EtherTypes.IPv4).Set(FieldId.NwSrc, Src(i)).Build(),
                "conjunction(1,1/3)", [new Conjunction(1, 1, 3)]));
            _classifier.Insert(new FlowRule(0, 200, new MatchBuilder().Set(FieldId.EthType, EtherTypes.IPv4).Set(FieldId.NwDst, Dst(i)).Build(),
                "conjunction(1,2/3)", [new Conjunction(1, 2, 3)]));
        }
        for (int i = 0; i < 10; i++)
        {
            _classifier.Insert(new FlowRule(0, 200,
                new MatchBuilder().Set(FieldId.EthType, EtherTypes.IPv4).Set(FieldId.NwProto, IpProtocols.Tcp).Set(FieldId.TpDst, Port(i)).Build(),
                "conjunction(1,3/3)", [new Conjunction(1, 3, 3)]));
        }
        _classifier.Insert(new FlowRule(0, 190, new MatchBuilder().Set(FieldId.ConjId, 1).Set(FieldId.EthType, EtherTypes.IPv4).Build(), "allow"));
        _classifier.Insert(new FlowRule(0, 0, Match.CatchAll, "default"));
        GC.Collect();
        TableBytes = GC.GetTotalMemory(forceFullCollection: true) - before;
        Console.WriteLine($"// conjunctive table: 2,012 flows, {TableBytes / 1024.0 / 1024.0:F2} MB managed heap");

        FlowKey Key(uint src, uint dst, ushort port) => new()
        {
            EthType = EtherTypes.IPv4, NwSrc = src, NwDst = dst, NwProto = IpProtocols.Tcp, TpSrc = 40000, TpDst = port,
        };
        _hits = new FlowKey[KeyCount];
        _nearMisses = new FlowKey[KeyCount];
        _misses = new FlowKey[KeyCount];
        for (int i = 0; i < KeyCount; i++)
        {
            _hits[i] = Key(Src(r.Next(1000)), Dst(r.Next(1000)), Port(r.Next(10)));
            _nearMisses[i] = Key(Src(r.Next(1000)), Dst(r.Next(1000)), 22);
            _misses[i] = Key(0x0B000001, 0x0B000002, 22);
        }
    }

    private int Run(FlowKey[] keys, string expected)
    {
        int hits = 0;
        FlowKey consulted = default;
        for (int i = 0; i < keys.Length; i++)
        {
            if (ReferenceEquals(_classifier.Lookup(in keys[i], ref consulted)?.ActionsText, expected))
                hits++;
        }
        return hits;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = KeyCount)]
    public int Miss() => Run(_misses, "default");

    [Benchmark(OperationsPerInvoke = KeyCount)]
    public int ConjunctionHit() => Run(_hits, "allow");

    [Benchmark(OperationsPerInvoke = KeyCount)]
    public int TwoOfThreeDimensions() => Run(_nearMisses, "default");
}
