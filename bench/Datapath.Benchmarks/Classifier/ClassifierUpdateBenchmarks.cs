using BenchmarkDotNet.Attributes;
using Datapath.Classifier;

namespace Datapath.Benchmarks.Classifier;

/// <summary>
/// Insert and delete rates: 10 k rules over 20 masks into an empty table, through
/// FlowClassifier.Insert, through FlowTableSet.Add (one versioned flow-mod each), and add followed
/// by a strict delete of every rule.  Per-op figures are per rule (the last: per add+delete pair);
/// each op includes allocating the FlowRule, as a flow-mod does.
/// </summary>
[MemoryDiagnoser]
public class ClassifierUpdateBenchmarks
{
    private const int Count = 10_000;
    private (Match Match, ushort Priority)[] _matches = null!;

    [GlobalSetup]
    public void Setup()
        => _matches = [.. new RuleSetGenerator(11).Rules(Count, masks: 20).Rules.Select(r => (r.Match, r.Priority))];

    [Benchmark(Baseline = true, OperationsPerInvoke = Count)]
    public int InsertClassifier()
    {
        var c = new FlowClassifier();
        foreach (var (m, p) in _matches)
            c.Insert(new FlowRule(0, p, m, "drop"));
        return c.PhysicalRuleCount;
    }

    [Benchmark(OperationsPerInvoke = Count)]
    public int AddFlowMod()
    {
        var set = new FlowTableSet();
        foreach (var (m, p) in _matches)
            set.Add(new FlowRule(0, p, m, "drop"));
        return set[0].PhysicalRuleCount;
    }

    [Benchmark(OperationsPerInvoke = Count)]
    public int AddThenDeleteStrict()
    {
        var set = new FlowTableSet();
        foreach (var (m, p) in _matches)
            set.Add(new FlowRule(0, p, m, "drop"));
        foreach (var (m, p) in _matches)
            set.DeleteStrict(0, m, p);
        return set[0].PhysicalRuleCount;
    }
}
