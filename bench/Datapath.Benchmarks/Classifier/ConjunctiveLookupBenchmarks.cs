using BenchmarkDotNet.Attributes;
using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Benchmarks.Classifier;

/// <summary>
/// Lookups in the NetworkPolicy-shaped conjunctive set (<see cref="RuleSetGenerator.ConjunctiveTable"/>):
/// conjunction hits, near misses (two dimensions of three) and plain misses.
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
        _classifier = RuleSetGenerator.ConjunctiveTable();
        GC.Collect();
        TableBytes = GC.GetTotalMemory(forceFullCollection: true) - before;
        Console.WriteLine($"// conjunctive table: 2,012 flows, {TableBytes / 1024.0 / 1024.0:F2} MB managed heap");
        (_hits, _nearMisses, _misses) = RuleSetGenerator.ConjunctiveKeys(KeyCount);
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
