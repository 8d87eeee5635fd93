using Datapath.Packets;

namespace Datapath.Classifier;

/// <summary>
/// Finds conjunctive flows of one table that overlap at one priority: some packet can match one
/// rule of every dimension of both (ovs-fields(7): "Conjunctive flows must not overlap with each
/// other, at a given priority ... Overlapping conjunctive flows yield unpredictable results").
/// OVS does not check this; we warn, or refuse under --strict.
/// </summary>
/// <remarks>
/// Masked matches intersect as a set iff they intersect pairwise, so an overlap is a choice of one
/// rule per dimension of both conjunctions that is pairwise compatible: a small constraint problem,
/// solved by backtracking with forward checking.  A cheap necessary test first compares the bits
/// that every rule of a dimension agrees on (so tcp-only against udp-only conjunctions are rejected
/// at once).  The search has a step budget; a pair that exhausts it is not reported (documented in
/// docs/classifier.md).  Conjunctions missing a dimension can never match and are skipped.
/// </remarks>
internal static class ConjunctionOverlapDetector
{
    public const int StepBudget = 200_000;

    private sealed class Conj
    {
        public required int Priority;
        public required uint Id;
        public required int ClauseCount;
        public required List<FlowRule>[] Dimensions;
        public FlowKey CommonValue;
        public FlowKey CommonMask;
    }

    public static List<(FlowRule A, FlowRule B, uint IdA, uint IdB, int Priority)> Find(IEnumerable<FlowRule> tableRules)
    {
        var byKey = new Dictionary<(int Priority, uint Id), Conj>();
        foreach (FlowRule r in tableRules)
        {
            foreach (Conjunction c in r.Conjunctions)
            {
                if (!byKey.TryGetValue((r.Priority, c.Id), out Conj? conj))
                {
                    conj = new Conj
                    {
                        Priority = r.Priority,
                        Id = c.Id,
                        ClauseCount = c.ClauseCount,
                        Dimensions = new List<FlowRule>[c.ClauseCount],
                    };
                    byKey.Add((r.Priority, c.Id), conj);
                }
                if (c.Clause > conj.Dimensions.Length)
                    continue;
                (conj.Dimensions[c.Clause - 1] ??= []).Add(r);
            }
        }

        var result = new List<(FlowRule, FlowRule, uint, uint, int)>();
        foreach (var group in byKey.Values.Where(c => c.Dimensions.All(d => d is { Count: > 0 }))
                     .GroupBy(c => c.Priority))
        {
            Conj[] conjs = [.. group.OrderBy(c => c.Id)];
            foreach (Conj c in conjs)
                ComputeEnvelope(c);
            for (int i = 0; i < conjs.Length; i++)
            {
                for (int j = i + 1; j < conjs.Length; j++)
                {
                    if (!Compatible(conjs[i].CommonValue, conjs[i].CommonMask, conjs[j].CommonValue, conjs[j].CommonMask))
                        continue;
                    if (FindWitness(conjs[i], conjs[j]) is { } w)
                        result.Add((w.A, w.B, conjs[i].Id, conjs[j].Id, group.Key));
                }
            }
        }
        return result;
    }

    // The bits every rule of each dimension agrees on, across the dimensions (if they conflict the
    // conjunction can never match; the envelope then has a conflict and so matches nothing here).
    private static void ComputeEnvelope(Conj c)
    {
        FlowKey value = default, mask = default;
        Span<ulong> vw = value.Words, mw = mask.Words;
        foreach (List<FlowRule> dim in c.Dimensions)
        {
            FlowKey dv = dim[0].Match.Value, dm = dim[0].Match.Mask;
            Span<ulong> dvw = dv.Words, dmw = dm.Words;
            for (int k = 1; k < dim.Count; k++)
            {
                ReadOnlySpan<ulong> v = KeyWords.Of(in dim[k].Match.Value), m = KeyWords.Of(in dim[k].Match.Mask);
                for (int w = 0; w < v.Length; w++)
                {
                    dmw[w] &= m[w] & ~(dvw[w] ^ v[w]);
                    dvw[w] &= dmw[w];
                }
            }
            for (int w = 0; w < KeyWords.Matchable; w++)
            {
                // Union of constraints; a conflict leaves the bit set in mask with a value from one side.
                vw[w] |= dvw[w] & ~mw[w];
                mw[w] |= dmw[w];
            }
        }
        c.CommonValue = value;
        c.CommonMask = mask;
    }

    private static bool Compatible(in FlowKey v1, in FlowKey m1, in FlowKey v2, in FlowKey m2)
    {
        ReadOnlySpan<ulong> a = KeyWords.Of(in v1), am = KeyWords.Of(in m1), b = KeyWords.Of(in v2), bm = KeyWords.Of(in m2);
        for (int i = 0; i < a.Length; i++)
        {
            if (((a[i] ^ b[i]) & am[i] & bm[i]) != 0)
                return false;
        }
        return true;
    }

    private static (FlowRule A, FlowRule B)? FindWitness(Conj a, Conj b)
    {
        // Variables: every dimension of both.  Forward checking: after each choice, prune every
        // remaining domain to the rules compatible with it; an empty domain backtracks at once.
        var dims = a.Dimensions.Select(d => (Rules: d, FromA: true))
            .Concat(b.Dimensions.Select(d => (Rules: d, FromA: false))).ToArray();
        var chosen = new FlowRule?[dims.Length];
        int steps = 0;
        List<FlowRule>[] domains = [.. dims.Select(d => d.Rules.Distinct().ToList())];
        bool found = Search(domains);
        if (!found)
            return null;
        FlowRule? ra = null, rb = null;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i].FromA)
                ra ??= chosen[i];
            else
                rb ??= chosen[i];
        }
        return (ra!, rb!);

        bool Search(List<FlowRule>[] doms)
        {
            // Most constrained open variable first.
            int pick = -1;
            for (int i = 0; i < doms.Length; i++)
            {
                if (chosen[i] is null && (pick < 0 || doms[i].Count < doms[pick].Count))
                    pick = i;
            }
            if (pick < 0)
                return true;
            foreach (FlowRule candidate in doms[pick])
            {
                chosen[pick] = candidate;
                var next = new List<FlowRule>[doms.Length];
                bool ok = true;
                for (int i = 0; i < doms.Length && ok; i++)
                {
                    if (chosen[i] is not null)
                    {
                        next[i] = doms[i];
                        continue;
                    }
                    next[i] = [];
                    foreach (FlowRule r in doms[i])
                    {
                        if (++steps > StepBudget)
                        {
                            chosen[pick] = null;
                            return false;
                        }
                        if (r.Match.Intersects(candidate.Match))
                            next[i].Add(r);
                    }
                    ok = next[i].Count > 0;
                }
                if (ok && Search(next))
                    return true;
                chosen[pick] = null;
                if (steps > StepBudget)
                    return false;
            }
            return false;
        }
    }
}
