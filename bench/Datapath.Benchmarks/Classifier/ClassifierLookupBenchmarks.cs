using BenchmarkDotNet.Attributes;
using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Benchmarks.Classifier;

/// <summary>
/// Lookups in one table of 100, 10 k and 100 k rules over 20 distinct masks (random priorities),
/// half the keys cut from a rule, half random.  Per-op figures are per lookup.
/// </summary>
[MemoryDiagnoser]
public class ClassifierLookupBenchmarks
{
    private const int KeyCount = 1024;
    private FlowClassifier _classifier = null!;
    private FlowKey[] _keys = null!;

    [Params(100, 10_000, 100_000)]
    public int Rules { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var gen = new RuleSetGenerator(42);
        (List<FlowRule> rules, List<FlowKey> sources) = gen.Rules(Rules, masks: 20);
        _classifier = new FlowClassifier();
        foreach (FlowRule r in rules)
            _classifier.Insert(r);
        _keys = gen.Keys(sources, KeyCount);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = KeyCount)]
    public int Lookup()
    {
        int hits = 0;
        FlowKey[] keys = _keys;
        for (int i = 0; i < keys.Length; i++)
        {
            if (_classifier.Lookup(in keys[i]) is not null)
                hits++;
        }
        return hits;
    }

    [Benchmark(OperationsPerInvoke = KeyCount)]
    public int LookupWithConsultedBits()
    {
        int hits = 0;
        FlowKey[] keys = _keys;
        FlowKey consulted = default;
        for (int i = 0; i < keys.Length; i++)
        {
            if (_classifier.Lookup(in keys[i], ref consulted) is not null)
                hits++;
        }
        return hits;
    }
}
