#if CLASSIFIER_CPU_TIME
using Datapath.Benchmarks;
using Datapath.Benchmarks.Classifier;
using Datapath.Classifier;
using Datapath.Packets;

// Per-thread CPU time of the classifier benchmarks' workloads (the same rule sets and keys as
// ClassifierLookupBenchmarks, OvsTestClassifierBenchmarks, ConjunctiveLookupBenchmarks and
// ClassifierUpdateBenchmarks), for a machine whose wall clock is inflated by other load.
//   dotnet run -c Release --project bench/Datapath.Benchmarks/Classifier/CpuTime [reps]
// Each figure: clock_gettime(CLOCK_THREAD_CPUTIME_ID) around 16 k lookups (200 k inserts), best of
// reps (default 100): short samples, so that some fall in quiet moments of a loaded machine.
// This file is compiled into the benchmark project too, but empty there (no CLASSIFIER_CPU_TIME).
internal static class ClassifierCpuTime
{



    private static int s_reps = 100;

    private static void Report(string name, long ops, Func<long> run)
    {
        run();   // warm up (JIT tiers, caches)
        double best = double.MaxValue;
        for (int r = 0; r < s_reps; r++)
        {
            long t0 = ThreadCpuClock.Nanoseconds();
            long done = run();
            long t1 = ThreadCpuClock.Nanoseconds();
            best = Math.Min(best, (double)(t1 - t0) / done);
        }
        Console.WriteLine($"{name,-40} {best,8:F1} ns/op  {1000 / best,6:F2} M/s");
        _ = ops;
    }

    private static long LookupLoop(FlowClassifier c, FlowKey[] keys, int rounds, bool consulted)
    {
        int hits = 0;
        FlowKey cons = default;
        for (int r = 0; r < rounds; r++)
        {
            for (int i = 0; i < keys.Length; i++)
            {
                FlowRule? rule = consulted ? c.Lookup(in keys[i], ref cons) : c.Lookup(in keys[i]);
                if (rule is not null)
                    hits++;
            }
        }
        GC.KeepAlive(hits);
        return (long)rounds * keys.Length;
    }

    public static void Main(string[] args)
    {
        if (args.Length > 0)
            s_reps = int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture);
        string filter = args.Length > 1 ? args[1] : "";

        foreach (int n in new[] { 100, 10_000, 100_000 })
        {
            if (!$"lookup{n}".Contains(filter, StringComparison.Ordinal))
                continue;
            var gen = new RuleSetGenerator(42);
            (List<FlowRule> rules, List<FlowKey> sources) = gen.Rules(n, masks: 20);
            var c = new FlowClassifier();
            foreach (FlowRule r in rules)
                c.Insert(r);
            FlowKey[] keys = gen.Keys(sources, 1024);
            Report($"Lookup, {n} rules / 20 masks", 0, () => LookupLoop(c, keys, 16, consulted: false));
            Report($"Lookup+consulted, {n} rules / 20 masks", 0, () => LookupLoop(c, keys, 16, consulted: true));
        }

        foreach (bool wild in new[] { false, true })
        {
            if (!"ovstest".Contains(filter, StringComparison.Ordinal))
                continue;
            (FlowClassifier c, FlowKey[] keys) = RuleSetGenerator.OvsTestSet(wild);
            Report($"ovstest {(wild ? "wildcarded" : "exact")}", 0, () => LookupLoop(c, keys, 16, consulted: true));
        }

        if ("conj".Contains(filter, StringComparison.Ordinal))
        {
            long before = GC.GetTotalMemory(forceFullCollection: true);
            FlowClassifier c = RuleSetGenerator.ConjunctiveTable();
            long bytes = GC.GetTotalMemory(forceFullCollection: true) - before;
            Console.WriteLine($"conjunctive table: {bytes / 1024.0 / 1024.0:F2} MB managed heap");
            (FlowKey[] hits, FlowKey[] near, FlowKey[] misses) = RuleSetGenerator.ConjunctiveKeys(1024);
            Report("Conjunctive, conjunction hit", 0, () => LookupLoop(c, hits, 16, consulted: true));
            Report("Conjunctive, 2 of 3 dimensions", 0, () => LookupLoop(c, near, 16, consulted: true));
            Report("Conjunctive, miss", 0, () => LookupLoop(c, misses, 16, consulted: true));
        }

        if ("insert".Contains(filter, StringComparison.Ordinal))
        {
            (Match Match, ushort Priority)[] matches = [.. new RuleSetGenerator(11).Rules(10_000, masks: 20).Rules.Select(r => (r.Match, r.Priority))];
            Report("FlowClassifier.Insert, 10 k rules", 0, () =>
            {
                long ops = 0;
                for (int rep = 0; rep < 20; rep++)
                {
                    var c = new FlowClassifier();
                    foreach (var (m, p) in matches)
                        c.Insert(new FlowRule(0, p, m, "drop"));
                    ops += matches.Length;
                }
                return ops;
            });
            Report("FlowTableSet.Add (flow-mod), 10 k rules", 0, () =>
            {
                long ops = 0;
                for (int rep = 0; rep < 10; rep++)
                {
                    var set = new FlowTableSet();
                    foreach (var (m, p) in matches)
                        set.Add(new FlowRule(0, p, m, "drop"));
                    ops += matches.Length;
                }
                return ops;
            });
        }
    }
}
#endif
