using BenchmarkDotNet.Attributes;
using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Benchmarks.Classifier;

/// <summary>
/// Shaped like OVS's <c>ovstest test-classifier benchmark &lt;n_rules&gt; &lt;n_priorities&gt; &lt;n_subtables&gt; 1 &lt;n_lookups&gt;</c>
/// (tests/test-classifier.c): 1,000 random rules over a fixed field set, 10 priorities, and either
/// one subtable that matches every field exactly ("exact") or 20 subtables of random field subsets
/// ("wildcarded"); lookups of random flows of which half hit.  Compare per-lookup time with OVS's.
/// </summary>
[MemoryDiagnoser]
public class OvsTestClassifierBenchmarks
{
    private const int KeyCount = 1024;   // as RuleSetGenerator.OvsTestSet makes them
    private FlowClassifier _classifier = null!;
    private FlowKey[] _keys = null!;

    [Params(false, true)]
    public bool Wildcarded { get; set; }

    [GlobalSetup]
    public void Setup() => (_classifier, _keys) = RuleSetGenerator.OvsTestSet(Wildcarded);

    [Benchmark(Baseline = true, OperationsPerInvoke = KeyCount)]
    public int Lookup()
    {
        int hits = 0;
        FlowKey consulted = default;
        FlowKey[] keys = _keys;
        for (int i = 0; i < keys.Length; i++)
        {
            if (_classifier.Lookup(in keys[i], ref consulted) is not null)
                hits++;
        }
        return hits;
    }
}
