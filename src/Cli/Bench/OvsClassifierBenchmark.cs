using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Cli.Bench;

// OVS's classifier benchmark on our classifier
// ============================================
//
// What?
// -----
// `ovstest test-classifier benchmark N_RULES N_PRIORITIES N_SUBTABLES N_THREADS N_LOOKUPS`
// (tests/test-classifier.c, OVS 3.1) run on FlowClassifier: the same rules, the same lookup flows
// in the same order, so the same hit and miss counts, and the same printed lines.
//
// Design: test-classifier.c's benchmark(), step by step
// -----------------------------------------------------
//  - 13 fields (CLS_FIELDS, in this order: tun_id, metadata, nw_src, nw_dst, in_port, vlan_tci,
//    dl_type, tp_src, tp_dst, dl_src, dl_dst, nw_proto, nw_tos), each with two values.
//  - random_set_seed(1), then N_SUBTABLES distinct "wildcard patterns" wcfs[i] =
//    random_uint32() & 0x1fff, then priorities[i] = (i * 129) & INT_MAX shuffled (shuffle()).
//  - 2 * N_FLOW_VALUES = 8192 lookup flows: x = random_range(4096), each field's value picked by
//    get_value(&x, 2) in the order nw_src, nw_dst, tun_id, metadata, in_port, vlan_tci, dl_type,
//    tp_src, tp_dst, dl_src, dl_dst, nw_proto, nw_tos.  N_FLOW_VALUES omits metadata's factor,
//    so x < 2^12 and the 13th pick (nw_tos) is always its first value; reproduced as written.
//  - N_RULES insertions: priority = priorities[random_range(N_PRIORITIES)], wcf =
//    wcfs[random_range(N_SUBTABLES)], value_pat = random_uint32() & 0x1fff; make_rule(wcf,
//    priority, value_pat) sets every field to values[f][bit f of value_pat] under an exact mask
//    (nw_tos under IP_DSCP_MASK): OVS 3.1's make_rule uses wcf only to give a rule of wcf == 0
//    priority 0, so every rule has the same mask.  A rule whose (match, priority) is already in
//    the classifier is dropped (classifier_find_rule_exactly); the match is a function of
//    value_pat (each field's two values differ under its mask), so the pair (value_pat, priority)
//    identifies it.  OVS's classifier_insert itself draws from the same generator: each of its
//    concurrent hash maps (lib/cmap.c, lib/ccmap.c) takes a random hash basis when it is created
//    and whenever it doubles, so the replay counts those draws (OvsMapGrowth) at the same points:
//    the subtable's creation (three stage-index ccmaps, its subtables_map entry), then per new
//    match one ccmap_inc per stage index (a stage index counts the distinct hashes of the fields of
//    its stage and those before it) and one cmap_insert.
//  - N_THREADS threads, each random_set_seed(1) (the seed is per thread), each doing N_LOOKUPS
//    lookups of lookup_flows[random_range(8192)], with a fresh catch-all wildcards per lookup when
//    wildcards are on (our consulted-bits FlowKey), or none.  Timed from before the threads
//    start to after they are joined, as OVS times it.  Before the clock starts, JitWarmup runs the
//    same lookups from other seeds until the JIT is done (OVS's code is compiled ahead of time);
//    `--no-warmup` times the first, partly jitted run instead.
//  - Printed: "Benchmarking with: ...", then "Without wildcards:" and "With wildcards:" runs,
//    each rebuilt from seed 1: "hits: H, misses: M" and "classifier lookups:  T ms, R lookups/sec".
//    OVS computes R from whole milliseconds; we print T in whole milliseconds and R from the
//    Stopwatch's ticks (the same figure, without the rounding).
//
// Invariants
// ----------
//  - Fields[i] is CLS_FIELDS[i]: bit i of value_pat and of wcf refers to it.
//  - FlowOrder is the get_value order of the lookup flows; a permutation of 0..12.
//  - Rules priorities fit OpenFlow's 16 bits: N_PRIORITIES <= MaxPriorities.
//
// Thread-safety
// -------------
// Run builds the classifier on the calling thread, then its lookup threads only read it
// (FlowClassifier lookups are lock-free) and the lookup flows; counts are added once per thread.
//
// Cost
// ----
// Setup: O(N_SUBTABLES^2) for the distinct patterns (as OVS's array_contains), O(N_RULES) inserts,
// 8192 flows of FlowKey.WordCount words (3 MB).  The timed loop allocates nothing.
internal static class OvsClassifierBenchmark
{
    /// <summary>CLS_N_FIELDS.</summary>
    public const int FieldCount = 13;

    /// <summary>N_FLOW_VALUES: the product of the value counts of every field but metadata.</summary>
    public const int FlowValues = 1 << (FieldCount - 1);

    /// <summary>Distinct wildcard patterns there are (OVS would loop forever asking for more).</summary>
    public const int MaxSubtables = 1 << FieldCount;

    /// <summary>Most priorities whose (i * 129) fits an OpenFlow priority (16 bits).</summary>
    public const int MaxPriorities = ushort.MaxValue / 129 + 1;

    /// <summary>A field of CLS_FIELDS: its two values, its mask, and the stage of OVS's staged lookup
    /// (the struct flow segment: 0 metadata, 1 L2, 2 L3, 3 L4) that holds it.</summary>
    private readonly record struct ClsField(FieldId Id, UInt128 Value0, UInt128 Value1, UInt128 Mask, int Stage);

    /// <summary>CLS_FIELDS with test-classifier.c's value tables, in host order.</summary>
    private static readonly ClsField[] Fields =
    [
        Exact(FieldId.TunId, 0, 0xfedcba9876543210, 0),                 // TUN_ID
        Exact(FieldId.Metadata, 0, 0xfedcba9876543210, 0),              // METADATA
        Exact(FieldId.NwSrc, 0xc0a80001, 0xc0a04455, 2),                 // NW_SRC
        Exact(FieldId.NwDst, 0xc0a80002, 0xc0a04455, 2),                 // NW_DST
        Exact(FieldId.InPort, 1, OpenFlowPorts.Local, 0),                // IN_PORT
        Exact(FieldId.VlanTci, 101, 0, 1),                               // VLAN_TCI
        Exact(FieldId.EthType, EtherTypes.IPv4, EtherTypes.Arp, 1),      // DL_TYPE
        Exact(FieldId.TpSrc, 49362, 80, 3),                              // TP_SRC
        Exact(FieldId.TpDst, 6667, 22, 3),                               // TP_DST
        Exact(FieldId.EthSrc, MacAddress.Parse("00:02:e3:0f:80:a4").Value, MacAddress.Parse("5e:33:7f:5f:1e:99").Value, 1), // DL_SRC
        Exact(FieldId.EthDst, MacAddress.Parse("4a:27:71:ae:64:c1").Value, MacAddress.Parse("ff:ff:ff:ff:ff:ff").Value, 1), // DL_DST
        Exact(FieldId.NwProto, IpProtocols.Tcp, IpProtocols.Icmp, 2),    // NW_PROTO
        new(FieldId.NwTos, 48, 0, 0xfc, 2),                              // NW_DSCP: IP_DSCP_MASK
    ];

    /// <summary>The order in which a lookup flow's fields take their values (get_value calls).</summary>
    private static readonly int[] FlowOrder = [2, 3, 0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 12];

    private static ClsField Exact(FieldId id, UInt128 value0, UInt128 value1, int stage)
        => new(id, value0, value1, FieldRegistry.Get(id).FullMask, stage);

    /// <summary>The stage indices of OVS's one subtable (CLS_MAX_INDICES = 3; the fourth stage is the rules map).</summary>
    private const int StageIndices = 3;

    /// <summary>Per stage index, the value_pat bits its (cumulative) hash covers: the fields of stages 0..i.</summary>
    private static readonly int[] StagePatterns = [.. Enumerable.Range(0, StageIndices).Select(
        stage => Enumerable.Range(0, FieldCount).Where(f => Fields[f].Stage <= stage).Sum(f => 1 << f))];

    /// <summary>What one run (with or without wildcards) measured.</summary>
    public readonly record struct Result(long Hits, long Misses, double ElapsedMs, int Rules, int Subtables)
    {
        /// <summary>OVS's figure: lookups per second.</summary>
        public long LookupsPerSecond => ElapsedMs > 0 ? (long)((Hits + Misses) * 1000.0 / ElapsedMs) : 0;
    }

    /// <summary>The arguments, in OVS's order. Check them with <see cref="Validate"/> first.</summary>
    public readonly record struct Arguments(int Rules, int Priorities, int Subtables, int Threads, int Lookups);

    /// <summary>Null when <paramref name="a"/> can run, else why not (one line, naming the argument).</summary>
    public static string? Validate(Arguments a)
    {
        if (a.Rules < 0)
            return $"N_RULES: '{a.Rules}' is not a number of rules (0 or more)";
        if (a.Priorities < 1 || a.Priorities > MaxPriorities)
            return $"N_PRIORITIES: '{a.Priorities}' is not a number of priorities from 1 to {MaxPriorities} (priority i is i * 129, and OpenFlow priorities are 16-bit)";
        if (a.Subtables < 1 || a.Subtables > MaxSubtables)
            return $"N_SUBTABLES: '{a.Subtables}' is not a number of subtables from 1 to {MaxSubtables} (the distinct patterns of {FieldCount} fields)";
        if (a.Threads < 1)
            return $"N_THREADS: '{a.Threads}' is not a number of threads (1 or more)";
        if (a.Lookups < 1)
            return $"N_LOOKUPS: '{a.Lookups}' is not a number of lookups (1 or more)";
        return null;
    }

    /// <summary>run_benchmarks: prints OVS's lines for <paramref name="a"/> (without, then with wildcards).</summary>
    public static void Print(TextWriter output, Arguments a, bool warmUp = true)
    {
        output.Write(string.Create(CultureInfo.InvariantCulture,
            $"\nBenchmarking with:\n{a.Rules} rules with {a.Priorities} priorities in {a.Subtables} tables, {a.Threads} threads doing {a.Lookups} lookups each\n"));
        foreach (bool useWildcards in (ReadOnlySpan<bool>)[false, true])
        {
            output.Write(useWildcards ? "\nWith wildcards: \n\n" : "\nWithout wildcards: \n\n");
            output.Flush();
            Result r = Run(a, useWildcards, warmUp);
            output.Write(string.Create(CultureInfo.InvariantCulture, $"hits: {r.Hits}, misses: {r.Misses}\n"));
            output.Write(string.Create(CultureInfo.InvariantCulture, $"classifier lookups:  {(long)r.ElapsedMs,5} ms, {r.LookupsPerSecond} lookups/sec\n"));
            output.Flush();
        }
    }

    /// <summary>
    /// benchmark(use_wc): builds the classifier and the lookup flows from seed 1 and times the lookups;
    /// with <paramref name="warmUp"/>, after running lookups seeded otherwise until the JIT is done (JitWarmup).
    /// </summary>
    public static Result Run(Arguments a, bool useWildcards, bool warmUp = false)
    {
        if (Validate(a) is { } error)
            throw new ArgumentException(error, nameof(a));
        var random = new OvsRandom(1);
        const int allFields = (1 << FieldCount) - 1;

        int[] wcfs = new int[a.Subtables];
        for (int i = 0; i < wcfs.Length; i++)
        {
            do
                wcfs[i] = (int)(random.NextUInt32() & allFields);
            while (Array.IndexOf(wcfs, wcfs[i], 0, i) >= 0);
        }

        int[] priorities = new int[a.Priorities];
        for (int i = 0; i < priorities.Length; i++)
            priorities[i] = (i * 129) & int.MaxValue;
        Shuffle(priorities, ref random);

        FlowKey[] flows = new FlowKey[2 * FlowValues];
        for (int i = 0; i < flows.Length; i++)
        {
            uint x = (uint)random.Range(FlowValues);
            foreach (int f in FlowOrder)
            {
                ClsField field = Fields[f];
                FieldRegistry.Write(ref flows[i], FieldRegistry.Get(field.Id), GetValue(ref x) == 0 ? field.Value0 : field.Value1);
            }
        }

        var classifier = new FlowClassifier();
        var present = new HashSet<(int ValuePattern, int Priority)>();
        // OVS's classifier_insert draws random numbers as its maps grow (OvsMapGrowth): its one
        // subtable (every rule has the same mask) is entered in subtables_map, has a ccmap per stage
        // index counting the distinct stage hashes, and a cmap of distinct matches (rules that differ
        // only in priority share one entry, the head of their list).
        var subtablesMap = OvsMapGrowth.Cmap();
        var rulesMap = OvsMapGrowth.Cmap();
        var indices = new OvsMapGrowth[StageIndices];
        HashSet<int>[] stageHashes = [.. Enumerable.Range(0, StageIndices).Select(_ => new HashSet<int>())];
        var heads = new HashSet<int>();
        for (int i = 0; i < a.Rules; i++)
        {
            int priority = priorities[random.Range(a.Priorities)];
            int wcf = wcfs[random.Range(a.Subtables)];
            int valuePattern = (int)(random.NextUInt32() & allFields);
            // make_rule: wc_fields == 0 gives priority 0 (the INT_MIN/INT_MAX clamps cannot apply here).
            int rulePriority = wcf != 0 ? priority : 0;
            if (!present.Add((valuePattern, rulePriority)))
                continue; // classifier_find_rule_exactly found it
            if (present.Count == 1)
            {
                // insert_subtable: ccmap_init per stage index, then cmap_insert into subtables_map.
                for (int s = 0; s < StageIndices; s++)
                    indices[s] = OvsMapGrowth.Ccmap(ref random);
                subtablesMap.Insert(ref random);
            }
            if (heads.Add(valuePattern))
            {
                // classifier_replace, a new match: ccmap_inc per stage index, then cmap_insert.
                for (int s = 0; s < StageIndices; s++)
                    indices[s].Insert(ref random, stageHashes[s].Add(valuePattern & StagePatterns[s]));
                rulesMap.Insert(ref random);
            }
            classifier.Insert(new FlowRule(0, (ushort)rulePriority, MakeMatch(valuePattern), "drop"));
        }

        if (warmUp)
        {
            // Read-only lookups of the same flows from another seed: the counts are not kept.
            uint seed = 2;
            JitWarmup.Run(() => _ = useWildcards ? LookupWithWildcards(classifier, flows, WarmUpLookups, seed++) : Lookup(classifier, flows, WarmUpLookups, seed++));
        }

        long hits = 0, misses = 0;
        var start = Stopwatch.GetTimestamp();
        var threads = new Thread[a.Threads];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                (long h, long m) = useWildcards ? LookupWithWildcards(classifier, flows, a.Lookups, 1) : Lookup(classifier, flows, a.Lookups, 1);
                Interlocked.Add(ref hits, h);
                Interlocked.Add(ref misses, m);
            })
            { Name = "lookups", IsBackground = true };
            threads[t].Start();
        }
        foreach (Thread t in threads)
            t.Join();
        double elapsedMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return new Result(hits, misses, elapsedMs, present.Count, classifier.SubtableCount);
    }

    /// <summary>The match make_rule builds for <paramref name="valuePattern"/>: every field, value by its bit.</summary>
    internal static Match MakeMatch(int valuePattern)
    {
        var b = new MatchBuilder();
        for (int f = 0; f < Fields.Length; f++)
        {
            ClsField field = Fields[f];
            b.Set(field.Id, (valuePattern & (1 << f)) != 0 ? field.Value1 : field.Value0, field.Mask);
        }
        return b.Build();
    }

    /// <summary>get_value(&amp;x, 2).</summary>
    private static uint GetValue(ref uint x)
    {
        uint rem = x % 2;
        x /= 2;
        return rem;
    }

    /// <summary>test-classifier.c's shuffle().</summary>
    private static void Shuffle(int[] p, ref OvsRandom random)
    {
        for (int i = 0, n = p.Length; n > 1; n--, i++)
        {
            int q = i + random.Range(n);
            (p[i], p[q]) = (p[q], p[i]);
        }
    }

    /// <summary>Lookups per warm-up round (a few milliseconds).</summary>
    private const int WarmUpLookups = 20_000;

    // lookup_classifier(): one thread's lookups; OVS seeds each thread with 1.

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (long Hits, long Misses) Lookup(FlowClassifier classifier, FlowKey[] flows, int lookups, uint seed)
    {
        var random = new OvsRandom(seed);
        long hits = 0;
        for (int i = 0; i < lookups; i++)
        {
            int x = random.Range(flows.Length);
            if (classifier.Lookup(in flows[x]) is not null)
                hits++;
        }
        return (hits, lookups - hits);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (long Hits, long Misses) LookupWithWildcards(FlowClassifier classifier, FlowKey[] flows, int lookups, uint seed)
    {
        var random = new OvsRandom(seed);
        long hits = 0;
        FlowKey wc;
        for (int i = 0; i < lookups; i++)
        {
            int x = random.Range(flows.Length);
            wc = default; // flow_wildcards_init_catchall
            if (classifier.Lookup(in flows[x], ref wc) is not null)
                hits++;
        }
        return (hits, lookups - hits);
    }
}
