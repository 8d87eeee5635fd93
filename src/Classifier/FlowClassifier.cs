using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Datapath.Packets;

namespace Datapath.Classifier;

// Flow classifier
// ===============
//
// What?
// -----
// Holds the rules of one OpenFlow table and answers: which visible rule with the highest
// priority matches this FlowKey?  Rules may be parts of conjunctive matches
// (ovs-fields(7) "Conjunctive Match Fields"); the answer is then the conj_id=N rule.
// Each lookup also reports the bits of the key it consulted (the wildcards a flow cache needs).
//
// Design: tuple space search with a prefix stage and in-cache filters
// --------------------------------------------------------------------
// Rules with the same mask share one Subtable: a hash table from the masked key to the
// MatchList of rules with that identical match, highest priority first.  Only the words the
// mask touches are hashed and compared.  The published Plan lists the subtables sorted by their
// highest priority (MaxPriority) and holds, per subtable, its filter: a blocked Bloom filter
// (16 bits per list the table can hold, 3 bits per key in one 64-bit word) whose block also has
// four 16-bit "priority lanes", each the highest priority of any list hashed to it.  So the
// filter answers, from a few KB that stay in L1/L2, "no rule of this subtable can equal the key"
// (no false negatives) or "a rule of priority <= B might" (B an upper bound).
//
// The prefix stage (OVS's prefix tries on nw_src and nw_dst, reduced to what a lookup needs):
// a PrefixFilter per field keeps, for every prefix length L some subtable's CIDR mask has, a
// bitmap of the L-bit prefixes its rules hold.  Before the walk, a plan of more than one first
// batch of subtables checks the key's prefixes against each length (one bit read each) and ORs
// together the bit sets of plan positions whose length passed; a subtable is alive when both its
// nw_src and its nw_dst length passed (length 0, no prefix, always does).  Dead subtables are
// skipped without hashing: in our 20-mask benchmarks about 8 of 20 stay alive.
//
// Lookup walks the alive subtables in plan order, in batches of 8, then 16:
//  1. a subtable whose MaxPriority is below the best ordinary match so far ends the walk (the
//     plan is sorted by it: the classic priority bound, no lookup scans all rules);
//  2. pass 1 hashes the key for each subtable of the batch, then reads the filters in a loop of
//     their own (independent loads).  A hash is the sum over the mask's words of
//     (key word & mask word) * multiplier(word), finished by one xor-shift-multiply round.  On
//     AVX-512 machines a plan of 4+ subtables whose masks touch at most 8 words lays those words
//     out as the lanes of a vector: the key's lanes are loaded once per lookup and a subtable's
//     hash is one AND with its lane masks, one 64-bit lane multiply and a lane sum;
//  3. pass 2 probes the candidates in decreasing bound order and stops when the best bound is
//     below the best ordinary match's priority (equal bounds are probed for the tie-break).
// Why: OVS's rule sets (and our benchmarks) have many subtables whose max priorities are all
// high, so the priority bound alone probes every subtable, each a cache miss at 100 k rules;
// now a dead subtable costs nothing, an alive one that cannot match a hash and an L1/L2 read,
// and of the subtables that hold a match usually only the one with the highest bound is probed.
//
// Consulted bits: every decision of the walk depends only on the key's bits under the masks of
// the subtables at the positions it went through: a filter read or a probe on the whole masked
// key, a prefix-stage skip only on the prefix bits that failed (nw_src's, else nw_dst's); and the
// walk ends at a subtable that, like every one after it, cannot reach the best match (or at the
// end).  So those bits are ORed in: without the prefix stage the union of the masks before the
// end (the plan keeps it per position), with it per position (ConsultWalk).  A key that agrees on
// them passes the same prefix checks, hashes alike, reads the same bounds, probes the same lists
// and gets the same rule.
//
// Design: the probe (where lookup time goes)
// ------------------------------------------
// A subtable keeps struct arrays, not a graph of objects: a slot array of packed
// (fingerprint, list index) words, and per list its masked words inline, its head rule and its
// MatchList.  A probe reads the slot, the values, the head and the head rule; the MatchList is
// read only when the head is not visible in the lookup's version.  The lookup path makes no
// interface calls (conjunctions are read as a span), reads the plan unchecked (it is consistent
// by construction) and, without consulted bits, writes no FlowKey.
//
// Design: one subtable
// --------------------
// A table whose rules share one mask (an exact-match table, OVS's test-classifier benchmark) has
// nothing to walk: the walk would hash the one subtable, read its filter, probe it if the filter
// allows, and consult its whole mask.  LookupSingle does just that, without the batch machinery,
// when the result cannot differ: without consulted bits (the prefix stage only saves work: a key it
// rules out has no match in the probe either), or with them when no prefix length is in use.  A
// conjunctive head, and consulted bits with prefixes (a prefix-stage skip consults fewer bits),
// take the walk.
//
// Design: conjunctive match (OVS's classifier_lookup__, reproduced)
// -----------------------------------------------------------------
// The subtable walk yields the best ordinary ("hard") match and, from each subtable, a head rule
// that may be conjunctive ("soft" match).  An ordinary rule wins a tie against soft matches of its
// priority.  If soft matches outrank the hard one, the soft matches of the top soft priority are
// combined: when every clause 1..n of some id has matched (counting only conjunctions with
// n <= the number of soft matches at that priority, as OVS does), the table is searched again with
// conj_id=id and conjunctive rules ignored; the first hit is the answer.  Otherwise each of those
// soft matches is replaced by the next lower-priority rule with the identical match (a hard one may
// become the hard match) and the step repeats.  When none is left, the hard match is the answer.
//
// Determinism (our one tie-break rule)
// ------------------------------------
// Where OpenFlow leaves the winner undefined (overlapping rules of equal priority) or OVS's
// answer depends on memory layout (order of subtables and soft matches), the rule inserted
// earlier wins: ties between ordinary matches go to the lower Sequence, and soft matches are
// combined in Sequence order.  A replacing add keeps the replaced rule's Sequence.
//
// Versioning
// ----------
// Rules carry [AddVersion, RemoveVersion); a lookup sees the rules visible in the version it read
// from the clock.  A bundle inserts at Current+1, marks removals at Current+1, then publishes:
// readers see all of it or none.  Removed rules are unlinked later ("purged") under a sequence
// counter; a lookup that overlaps a purge runs again (seqlock), so it never sees half of one.
//
// Invariants
// ----------
//  - Match.Value has no bit outside Match.Mask; the PacketLayout word is never matched.
//  - Every rule physically present is in exactly one MatchList of the Subtable of its mask.
//  - MatchList.Rules is sorted by (Priority desc, Sequence asc) and replaced, never mutated.
//  - The published plan is sorted by its recorded MaxPriority (desc), each an upper bound of the
//    priorities of rules physically present in that subtable when published.  It holds each
//    subtable's current filter: a rebuild (new table, new filter) republishes the plan before
//    the version that could need it is published.
//  - Filters have no false negatives and their lanes never understate: every list physically
//    present has its 3 Bloom bits set and its lane >= its head's priority (a lane only grows;
//    removals leave it stale, a rebuild recomputes it).  Bits and lane are written before the
//    slot and before the clock, so a reader that can see a rule also sees them.
//  - Prefix bitmaps have no false negatives: a rule's prefix bits are set before it is visible;
//    a bitmap that is resized or a new length makes a new plan before the version that needs it.
//  - At most one rule per (match, priority) is visible in any version.
//
// Thread-safety
// -------------
// Construction: single-threaded.  Modifiers (Insert/Remove/Purge, normally through FlowTableSet):
// single writer; callers serialize.  Lookups: any thread, lock-free, allocation-free (soft
// matches use a per-thread scratch array, conjunction clause sets a stack buffer).
//
// Cost
// ----
// Lookup: O(P) for the P prefix lengths in use, plus O(W) per alive subtable before the walk's
// end (O(1) with vector lanes) for W mask words, plus one probe, O(W), per candidate whose bound
// can still win (usually one or two), plus the conjunction step when soft matches outrank the
// hard one.  Insert: O(W + L) for a MatchList of L identical-match rules, O(S log S + S W) when
// a subtable's max priority changes, its table is rebuilt or a prefix bitmap is resized (a new
// plan), amortised O(1) table growth.  Memory per subtable: 8 bytes per slot (at most 50 %
// full, at least 12.5 % after growth), 2 bytes of filter per list of capacity, and per distinct
// match W words of values, a head reference and a MatchList; per prefix length, 2 to 4 bytes per
// distinct prefix (at most 2^L bits).
public sealed class FlowClassifier
{
    private static readonly bool s_needsFence = RuntimeInformation.ProcessArchitecture != Architecture.X64;

    [ThreadStatic]
    private static FlowRule?[]? t_soft;

    private readonly VersionClock _clock;
    private readonly Dictionary<MaskKey, Subtable> _byMask = [];
    private readonly PrefixFilter _srcPrefixes = new();
    private readonly PrefixFilter _dstPrefixes = new();
    private Plan _plan = Plan.Empty;
    private readonly List<FlowRule> _removed = [];
    private long _purgeSequence;
    private long _nextSubtableOrder;
    private long _nextSequence;

    public FlowClassifier()
        : this(new VersionClock())
    {
    }

    internal FlowClassifier(VersionClock clock) => _clock = clock;

    /// <summary>Whether this machine multiplies 64-bit lanes of 512-bit vectors (AVX-512 DQ).</summary>
    internal static readonly bool VectorHashSupported = Vector512.IsHardwareAccelerated && Avx512DQ.IsSupported;

    /// <summary>
    /// Whether plans hash with vectors where they can (default: where the machine supports it);
    /// tests turn it off to exercise the scalar path.  Takes effect at the next plan.
    /// </summary>
    internal bool VectorHash { get; set; } = VectorHashSupported;

    /// <summary>Rules physically present (visible, or removed but not yet purged).</summary>
    public int PhysicalRuleCount { get; private set; }

    /// <summary>Distinct masks (subtables) in use.</summary>
    public int SubtableCount => _plan.Subtables.Length;

    internal VersionClock Clock => _clock;

    // ---- Lookups: any thread, lock-free.

    /// <summary>
    /// The winning rule for <paramref name="key"/> in the current version, conjunctions resolved
    /// (the conj_id rule is returned, never a conjunctive rule), or null on a miss.
    /// ORs the bits consulted into <paramref name="consulted"/>.
    /// </summary>
    public FlowRule? Lookup(in FlowKey key, ref FlowKey consulted)
    {
        while (true)
        {
            long seq = Volatile.Read(ref _purgeSequence);
            if ((seq & 1) != 0)
            {
                Thread.SpinWait(4);
                continue;
            }
            FlowRule? result = LookupCore(in key, _clock.Current, ref consulted, allowConjunctive: true);
            if (s_needsFence)
                Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _purgeSequence) == seq)
                return result;
        }
    }

    /// <summary>Lookup without the consulted bits.</summary>
    public FlowRule? Lookup(in FlowKey key)
    {
        return Lookup(in key, ref Unsafe.NullRef<FlowKey>());
    }

    /// <summary>Most subtables whose filters are evaluated together before any is probed.</summary>
    private const int MaxBatch = 16;

    /// <summary>Subtables in the first batch (fewer let a table whose first subtables decide skip the rest).</summary>
    private const int FirstBatch = 8;

    private FlowRule? LookupCore(in FlowKey key, long version, ref FlowKey consulted, bool allowConjunctive)
    {
        Plan plan = Volatile.Read(ref _plan);
        // One subtable (see "Design: one subtable"): when the walk's prefix stage cannot change the
        // consulted bits, hash, filter and probe it directly; a conjunctive head takes the walk.
        if (plan.Infos.Length == 1 && plan.Subtables.Length == 1 && (Unsafe.IsNullRef(ref consulted) || !plan.UsesPrefixes)
            && LookupSingle(plan, in key, version, ref consulted, out FlowRule? single))
        {
            return single;
        }
        return LookupWalk(plan, in key, version, ref consulted, allowConjunctive);
    }

    /// <summary>
    /// The lookup of a plan of one subtable, as the walk decides it: false (and nothing written) when
    /// the visible head that matches is conjunctive, which only the walk resolves.
    /// </summary>
    private static bool LookupSingle(Plan plan, in FlowKey key, long version, ref FlowKey consulted, out FlowRule? result)
    {
        ref SubtableInfo si = ref MemoryMarshal.GetArrayDataReference(plan.Infos);
        ref HashWord word0 = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(plan.HashWords), si.WordStart);
        ref ulong k = ref KeyWords.Ref(in key, 0);
        int n = si.WordEnd - si.WordStart;
        ulong h = 0;
        for (int x = 0; x < n; x++)
        {
            ref HashWord hw = ref Unsafe.Add(ref word0, x);
            h += (Unsafe.Add(ref k, hw.Word) & hw.Mask) * hw.Multiplier;
        }
        h = Subtable.Finish(h);
        FlowRule? match = Subtable.FilterBound(si.Filter, si.FilterBlockMask, h) >= 0
            ? Subtable.FindVisible(si.Table, ref k, ref word0, n, h, version)
            : null;
        if (match is { IsConjunctive: true })
        {
            result = null;
            return false;
        }
        if (!Unsafe.IsNullRef(ref consulted))
        {
            // The walk's consulted bits at its end (position 1): the subtable's whole mask.
            ref ulong c = ref Unsafe.As<FlowKey, ulong>(ref consulted);
            ref UnionWord u0 = ref MemoryMarshal.GetArrayDataReference(plan.UnionWords);
            int ue = MemoryMarshal.GetArrayDataReference(plan.UnionEnds);
            for (int x = 0; x < ue; x++)
            {
                ref UnionWord uw = ref Unsafe.Add(ref u0, x);
                Unsafe.Add(ref c, uw.Word) |= uw.Mask;
            }
        }
        result = match;
        return true;
    }

    [SkipLocalsInit]
    private FlowRule? LookupWalk(Plan plan, in FlowKey key, long version, ref FlowKey consulted, bool allowConjunctive)
    {
        Subtable[] subtables = plan.Subtables;
        int count = subtables.Length;
        if (plan.Infos.Length != count)
            return null;
        // The plan is immutable and consistent (see Plan), so the walk below reads it unchecked.
        ref SubtableInfo info0 = ref MemoryMarshal.GetArrayDataReference(plan.Infos);
        ref HashWord word0 = ref MemoryMarshal.GetArrayDataReference(plan.HashWords);
        ref ulong k = ref KeyWords.Ref(in key, 0);
        Span<ulong> hashes = stackalloc ulong[MaxBatch];
        Span<int> bounds = stackalloc int[MaxBatch];
        Span<int> live = stackalloc int[MaxBatch];
        ref ulong hv = ref MemoryMarshal.GetReference(hashes);
        ref int bv = ref MemoryMarshal.GetReference(bounds);
        ref int lv = ref MemoryMarshal.GetReference(live);

        // Prefix stage: the plan positions of subtables whose nw_src and nw_dst prefix lengths
        // can match the key (the plan's PrefixFilter snapshots, read after the version), as a
        // bit set; the others are skipped unhashed.  Without prefixes every subtable is alive.
        Span<ulong> alive = stackalloc ulong[MaxPrefixWords + 1];
        ref ulong av = ref MemoryMarshal.GetReference(alive);
        bool allAlive = !plan.UsesPrefixes;
        ulong srcAv = 0;   // one-word plans: the positions whose nw_src length passed
        if (!allAlive)
        {
            ulong nw = Unsafe.Add(ref k, KeyWords.Nw);
            int words = plan.PrefixWords;
            if (words == 1)
            {
                av = PrefixAlive(plan, nw, out srcAv);
            }
            else
            {
                Span<ulong> dst = stackalloc ulong[MaxPrefixWords];
                PrefixFilter.Alive(plan.SrcPrefixes, (uint)nw, plan.SrcSets, alive[..words]);
                PrefixFilter.Alive(plan.DstPrefixes, (uint)(nw >> 32), plan.DstSets, dst[..words]);
                for (int w = 0; w < words; w++)
                    alive[w] &= dst[w];
            }
        }

        // The key's words that some mask touches, one per lane (see Plan.Lanes), when the plan
        // hashes with vectors.
        Vector512<ulong> keyLanes = default;
        if (plan.Vectorized)
        {
            ref int lane = ref MemoryMarshal.GetArrayDataReference(plan.Lanes);
            keyLanes = Vector512.Create(
                Unsafe.Add(ref k, lane), Unsafe.Add(ref k, Unsafe.Add(ref lane, 1)),
                Unsafe.Add(ref k, Unsafe.Add(ref lane, 2)), Unsafe.Add(ref k, Unsafe.Add(ref lane, 3)),
                Unsafe.Add(ref k, Unsafe.Add(ref lane, 4)), Unsafe.Add(ref k, Unsafe.Add(ref lane, 5)),
                Unsafe.Add(ref k, Unsafe.Add(ref lane, 6)), Unsafe.Add(ref k, Unsafe.Add(ref lane, 7)));
        }

        FlowRule? hard = null;
        int hardPri = -1;
        FlowRule?[]? soft = null;
        int nSoft = 0;
        int softPri = -1;
        int pos = 0;   // next plan position to consider; at the end, the walk decided on those below it

        // Batches of FirstBatch, then MaxBatch alive subtables in MaxPriority order: a table
        // whose priorities decide early (the bound below) evaluates few filters and consults few
        // masks, and one batch usually holds every subtable the prefix stage leaves.
        for (int batch = FirstBatch; ; batch = MaxBatch)
        {
            // Pass 1 (see HashBatch): hash and filter the batch's alive subtables.
            bool last;
            int n = count > FirstBatch
                ? HashBatchOutOfLine(plan, ref k, in keyLanes, ref av, allAlive, ref pos, hardPri, batch, ref lv, ref hv, ref bv, out last)
                : HashBatch(plan, ref k, in keyLanes, ref av, allAlive, ref pos, hardPri, batch, ref lv, ref hv, ref bv, out last);

            // Pass 2: probe the candidates by decreasing bound; stop when no bound reaches the
            // hard priority (an equal one may still win the tie-break).
            while (true)
            {
                int best = -1, bestBound = -1;
                for (int j = 0; j < n; j++)
                {
                    int bound = Unsafe.Add(ref bv, j);
                    if (bound > bestBound)
                    {
                        bestBound = bound;
                        best = j;
                    }
                }
                if (best < 0 || bestBound < hardPri)
                    break;
                Unsafe.Add(ref bv, best) = -1;
                ref SubtableInfo sb = ref Unsafe.Add(ref info0, Unsafe.Add(ref lv, best));
                FlowRule? match = Subtable.FindVisible(sb.Table, ref k, ref Unsafe.Add(ref word0, sb.WordStart),
                    sb.WordEnd - sb.WordStart, Unsafe.Add(ref hv, best), version);
                if (match is null || match.Priority < hardPri)
                    continue;
                if (!match.IsConjunctive)
                {
                    if (match.Priority > hardPri || match.Sequence < hard!.Sequence)
                    {
                        hard = match;
                        hardPri = match.Priority;
                    }
                }
                else if (allowConjunctive && match.Priority > hardPri)
                {
                    soft ??= t_soft ??= new FlowRule?[64];
                    if (nSoft == soft.Length)
                    {
                        Array.Resize(ref soft, soft.Length * 2);
                        t_soft = soft;
                    }
                    soft[nSoft++] = match;
                    if (match.Priority > softPri)
                        softPri = match.Priority;
                }
            }
            if (last)
                break;
        }

        // Consulted: every decision above depends only on the key's bits under the masks of the
        // subtables at positions below pos (the walk ends at a subtable that, like all after it,
        // cannot reach the hard priority): a key that agrees on them takes the same walk, or one
        // that differs only from pos on, where no rule can win.  With the prefix stage, a skipped
        // subtable contributes only the prefix bits that ruled it out (see ConsultWalk).
        if (!Unsafe.IsNullRef(ref consulted) && pos > 0)
        {
            ref ulong c = ref Unsafe.As<FlowKey, ulong>(ref consulted);
            if (allAlive)
            {
                ref UnionWord u0 = ref MemoryMarshal.GetArrayDataReference(plan.UnionWords);
                int ue = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(plan.UnionEnds), pos - 1);
                for (int x = 0; x < ue; x++)
                {
                    ref UnionWord uw = ref Unsafe.Add(ref u0, x);
                    Unsafe.Add(ref c, uw.Word) |= uw.Mask;
                }
            }
            else
            {
                ConsultWalk(plan, ref c, alive, srcAv, pos, Unsafe.Add(ref k, KeyWords.Nw));
            }
        }

        if (hardPri >= softPri)
        {
            if (nSoft > 0)
                Array.Clear(soft!, 0, nSoft);
            return hard;
        }
        FlowRule? r = ResolveSoftMatches(in key, version, ref consulted, soft!, nSoft, hard, hardPri);
        return r;
    }

    private struct ConjAccumulator
    {
        public uint Id;
        public ulong Clauses;
        public bool Tried;
    }

    private FlowRule? ResolveSoftMatches(in FlowKey key, long version, ref FlowKey consulted,
        FlowRule?[] soft, int nSoft, FlowRule? hard, int hardPri)
    {
        Span<ConjAccumulator> stub = stackalloc ConjAccumulator[16];
        try
        {
            while (true)
            {
                // Drop empty entries and those the hard match outranks or ties.
                for (int i = 0; i < nSoft;)
                {
                    FlowRule? s = soft[i];
                    if (s is null || s.Priority <= hardPri)
                    {
                        soft[i] = soft[--nSoft];
                        soft[nSoft] = null;
                    }
                    else
                    {
                        i++;
                    }
                }
                if (nSoft == 0)
                    return hard;

                int softPri = -1, nSoftPri = 0;
                for (int i = 0; i < nSoft; i++)
                {
                    int p = soft[i]!.Priority;
                    if (p > softPri)
                    {
                        softPri = p;
                        nSoftPri = 1;
                    }
                    else if (p == softPri)
                    {
                        nSoftPri++;
                    }
                }

                // Bring the top-priority soft matches to the front, in insertion order.
                int front = 0;
                for (int i = 0; i < nSoft; i++)
                {
                    if (soft[i]!.Priority == softPri)
                        (soft[front], soft[i]) = (soft[i], soft[front++]);
                }
                for (int i = 1; i < nSoftPri; i++)
                {
                    FlowRule x = soft[i]!;
                    int j = i - 1;
                    while (j >= 0 && soft[j]!.Sequence > x.Sequence)
                    {
                        soft[j + 1] = soft[j];
                        j--;
                    }
                    soft[j + 1] = x;
                }

                // Combine clauses (OVS find_conjunctive_match).
                Span<ConjAccumulator> acc = stub;
                ConjAccumulator[]? rented = null;
                int nAcc = 0;
                for (int i = 0; i < nSoftPri; i++)
                {
                    ReadOnlySpan<Conjunction> conjs = soft[i]!.ConjunctionSpan;
                    for (int c = 0; c < conjs.Length; c++)
                    {
                        Conjunction cj = conjs[c];
                        if (cj.ClauseCount > nSoftPri)
                            continue;
                        int a = 0;
                        while (a < nAcc && acc[a].Id != cj.Id)
                            a++;
                        if (a == nAcc)
                        {
                            if (nAcc == acc.Length)
                            {
                                var bigger = new ConjAccumulator[acc.Length * 2];
                                acc.CopyTo(bigger);
                                rented = bigger;
                                acc = bigger;
                            }
                            acc[a] = new ConjAccumulator
                            {
                                Id = cj.Id,
                                Clauses = cj.ClauseCount >= 64 ? 0 : ulong.MaxValue << cj.ClauseCount,
                            };
                            nAcc++;
                        }
                        acc[a].Clauses |= 1UL << (cj.Clause - 1);
                        if (acc[a].Clauses == ulong.MaxValue)
                        {
                            if (!acc[a].Tried)
                            {
                                acc[a].Tried = true;
                                FlowKey withConjId = key;
                                withConjId.ConjId = cj.Id;
                                FlowRule? rule = LookupCore(in withConjId, version, ref consulted, allowConjunctive: false);
                                if (rule is not null)
                                    return rule;
                            }
                            // As OVS: a completed conjunction ends this soft match's contribution.
                            break;
                        }
                    }
                }
                _ = rented;

                // No real match at softPri: step each of those soft matches down its identical-match list.
                for (int i = 0; i < nSoftPri; i++)
                {
                    FlowRule s = soft[i]!;
                    FlowRule? next = s.List?.NextVisibleAfter(s, version);
                    if (next is null)
                    {
                        soft[i] = null;
                    }
                    else if (next.IsConjunctive)
                    {
                        soft[i] = next;
                    }
                    else
                    {
                        if (next.Priority > hardPri || (next.Priority == hardPri && next.Sequence < hard!.Sequence))
                        {
                            hard = next;
                            hardPri = next.Priority;
                        }
                        soft[i] = null;
                    }
                }
            }
        }
        finally
        {
            Array.Clear(soft, 0, soft.Length);
        }
    }

    // ---- Modifiers: single writer; callers serialize.

    /// <summary>Inserts a rule visible from the current version on (standalone use; FlowTableSet stages versions itself).</summary>
    public void Insert(FlowRule rule)
    {
        long v = _clock.Current + 1;
        InsertAt(rule, v, null);
        _clock.Publish(v);
    }

    /// <summary>Removes a rule at once (standalone use).</summary>
    public void Remove(FlowRule rule)
    {
        long v = _clock.Current + 1;
        MarkRemoved(rule, v);
        _clock.Publish(v);
        Purge(v);
    }

    internal void InsertAt(FlowRule rule, long version, long? sequence)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.List is not null)
            throw new InvalidOperationException("the rule is already in a classifier");
        rule.Sequence = sequence ?? _nextSequence++;
        rule.AddVersion = version;
        Volatile.Write(ref rule.RemoveVersion, long.MaxValue);
        var key = new MaskKey(rule.Match);
        if (!_byMask.TryGetValue(key, out Subtable? st))
        {
            st = new Subtable(KeyWords.Of(in rule.Match.Mask), _nextSubtableOrder++);
            _byMask.Add(key, st);
        }
        int oldMax = st.MaxPriority;
        ulong nw = KeyWords.Ref(in rule.Match.Value, KeyWords.Nw);
        bool newSnapshot = _srcPrefixes.Add(st.SrcPrefixLength, (uint)nw);
        newSnapshot |= _dstPrefixes.Add(st.DstPrefixLength, (uint)(nw >> 32));
        st.Insert(rule);
        PhysicalRuleCount++;
        if (newSnapshot || st.MaxPriority != oldMax || oldMax < 0 || st.Rebuilt)
            Republish();
    }

    internal void MarkRemoved(FlowRule rule, long version)
    {
        Volatile.Write(ref rule.RemoveVersion, version);
        _removed.Add(rule);
    }

    /// <summary>Undoes <see cref="MarkRemoved"/> (a failed bundle).</summary>
    internal void UnmarkRemoved(FlowRule rule)
    {
        Volatile.Write(ref rule.RemoveVersion, long.MaxValue);
        _removed.Remove(rule);
    }

    /// <summary>Unlinks a rule that was never published (a failed bundle); no reader can see it.</summary>
    internal void Unlink(FlowRule rule)
    {
        if (rule.List is null)
            return;
        var key = new MaskKey(rule.Match);
        if (_byMask.TryGetValue(key, out Subtable? st))
        {
            st.Remove(rule);
            ForgetPrefixes(st, rule);
            PhysicalRuleCount--;
            rule.List = null;
            if (st.RuleCount == 0)
                _byMask.Remove(key);
            Republish();
        }
    }

    /// <summary>Unlinks rules removed in versions up to <paramref name="version"/> (already published).</summary>
    internal void Purge(long version)
    {
        if (_removed.Count == 0)
            return;
        Interlocked.Increment(ref _purgeSequence);
        try
        {
            bool changed = false;
            for (int i = _removed.Count - 1; i >= 0; i--)
            {
                FlowRule r = _removed[i];
                if (r.RemoveVersion > version)
                    continue;
                _removed.RemoveAt(i);
                var key = new MaskKey(r.Match);
                if (!_byMask.TryGetValue(key, out Subtable? st))
                    continue;
                int oldMax = st.MaxPriority;
                st.Remove(r);
                changed |= ForgetPrefixes(st, r);
                r.List = null;
                PhysicalRuleCount--;
                if (st.RuleCount == 0)
                    _byMask.Remove(key);
                changed |= st.RuleCount == 0 || st.MaxPriority != oldMax || st.Rebuilt;
            }
            if (changed)
                Republish();
        }
        finally
        {
            Interlocked.Increment(ref _purgeSequence);
        }
    }

    /// <summary>Removes the rule's prefixes; true when a prefix snapshot was replaced (the plan must follow).</summary>
    private bool ForgetPrefixes(Subtable st, FlowRule rule)
    {
        ulong nw = KeyWords.Ref(in rule.Match.Value, KeyWords.Nw);
        bool newSnapshot = _srcPrefixes.Remove(st.SrcPrefixLength, (uint)nw);
        return _dstPrefixes.Remove(st.DstPrefixLength, (uint)(nw >> 32)) | newSnapshot;
    }

    private void Republish()
    {
        var list = new List<Subtable>(_byMask.Count);
        foreach (Subtable st in _byMask.Values)
        {
            st.Rebuilt = false;
            if (st.RuleCount > 0)
                list.Add(st);
        }
        list.Sort(static (a, b) => a.MaxPriority != b.MaxPriority ? b.MaxPriority.CompareTo(a.MaxPriority) : a.Order.CompareTo(b.Order));
        Volatile.Write(ref _plan, new Plan(list, VectorHash, _srcPrefixes.Current, _dstPrefixes.Current));
    }

    /// <summary>The rule with this exact match and priority visible in <paramref name="version"/>, or null.</summary>
    internal FlowRule? FindExact(Match match, ushort priority, long version)
    {
        if (!_byMask.TryGetValue(new MaskKey(match), out Subtable? st))
            return null;
        MatchList? list = st.FindList(match);
        if (list is null)
            return null;
        foreach (FlowRule r in list.Rules)
        {
            if (r.Priority == priority && r.IsVisibleIn(version))
                return r;
        }
        return null;
    }

    /// <summary>
    /// The filter's priority bound for a key with <paramref name="match"/>'s masked value in the
    /// subtable of its mask (-1: filtered out, or no such subtable); writer side, for tests.
    /// </summary>
    internal int FilterBound(Match match)
        => _byMask.TryGetValue(new MaskKey(match), out Subtable? st) ? st.FilterBoundOf(match) : -1;

    /// <summary>Rules visible in <paramref name="version"/>, in insertion (Sequence) order.</summary>
    internal List<FlowRule> VisibleRules(long version)
    {
        var rules = new List<FlowRule>();
        foreach (Subtable st in _byMask.Values)
        {
            foreach (FlowRule r in st.AllRules())
            {
                if (r.IsVisibleIn(version))
                    rules.Add(r);
            }
        }
        rules.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));
        return rules;
    }

    /// <summary>Rules visible now, in insertion order (writer side: not concurrent with modifiers).</summary>
    public IReadOnlyList<FlowRule> Rules() => VisibleRules(_clock.Current);

    /// <summary>Words of the prefix stage's subtable bit sets: plans of more subtables than 64 times this skip the stage.</summary>
    private const int MaxPrefixWords = 8;

    /// <summary>
    /// Pass 1 of a batch: for each of the next (up to <paramref name="batch"/>) alive subtables from
    /// <paramref name="pos"/> on, hash the masked key (the sum over its mask words of (key word &amp;
    /// mask word) * multiplier, finished) and read its filter's priority bound; no probe yet, so
    /// that the filters' loads and the hashing overlap.  Writes positions, hashes and bounds to
    /// <paramref name="lv"/>, <paramref name="hv"/>, <paramref name="bv"/>, advances
    /// <paramref name="pos"/> and returns how many.  Subtables are sorted by MaxPriority: the
    /// first that cannot reach <paramref name="hardPri"/> (equal ones still can, for the
    /// tie-break) ends the walk (<paramref name="last"/>, pos left at it), as does running out.
    /// Inlined for small plans (one batch, few subtables); see <see cref="HashBatchOutOfLine"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int HashBatch(Plan plan, ref ulong k, in Vector512<ulong> keyLanes, ref ulong av, bool allAlive,
        ref int pos, int hardPri, int batch, ref int lv, ref ulong hv, ref int bv, out bool last)
    {
        int count = plan.Infos.Length;
        ref SubtableInfo info0 = ref MemoryMarshal.GetArrayDataReference(plan.Infos);
        ref HashWord word0 = ref MemoryMarshal.GetArrayDataReference(plan.HashWords);
        ref Vector512<ulong> laneMask0 = ref MemoryMarshal.GetArrayDataReference(plan.LaneMasks);
        bool vectorized = plan.Vectorized;
        Vector512<ulong> lanes = keyLanes;
        Vector512<ulong> multipliers = plan.LaneMultipliers;
        int p = pos;
        int n = 0;
        last = false;
        while (n < batch)
        {
            int i = allAlive ? p : NextAlive(ref av, p, count);
            if (i >= count)
            {
                p = count;
                last = true;
                break;
            }
            ref SubtableInfo si = ref Unsafe.Add(ref info0, i);
            if (si.MaxPriority < hardPri)
            {
                p = i;
                last = true;
                break;
            }
            p = i + 1;
            ulong h = 0;
            if (vectorized)
            {
                // Lanes the mask does not touch have a zero mask, so add zero.
                h = Vector512.Sum((lanes & Unsafe.Add(ref laneMask0, i)) * multipliers);
            }
            else
            {
                for (int x = si.WordStart; x < si.WordEnd; x++)
                {
                    ref HashWord hw = ref Unsafe.Add(ref word0, x);
                    h += (Unsafe.Add(ref k, hw.Word) & hw.Mask) * hw.Multiplier;
                }
            }
            Unsafe.Add(ref lv, n) = i;
            Unsafe.Add(ref hv, n) = Subtable.Finish(h);
            n++;
        }
        // The filter reads in a loop of their own: independent loads, issued back to back.
        for (int j = 0; j < n; j++)
        {
            ref SubtableInfo si = ref Unsafe.Add(ref info0, Unsafe.Add(ref lv, j));
            Unsafe.Add(ref bv, j) = Subtable.FilterBound(si.Filter, si.FilterBlockMask, Unsafe.Add(ref hv, j));
        }
        pos = p;
        return n;
    }

    /// <summary>
    /// <see cref="HashBatch"/> for plans of more subtables than one first batch: not inlined, so
    /// that in its own frame the loop keeps its state in registers (inside LookupCore it spilled).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int HashBatchOutOfLine(Plan plan, ref ulong k, in Vector512<ulong> keyLanes, ref ulong av, bool allAlive,
        ref int pos, int hardPri, int batch, ref int lv, ref ulong hv, ref int bv, out bool last)
        => HashBatch(plan, ref k, in keyLanes, ref av, allAlive, ref pos, hardPri, batch, ref lv, ref hv, ref bv, out last);

    /// <summary>
    /// ORs into <paramref name="c"/> the bits a walk with the prefix stage consulted at positions
    /// below <paramref name="pos"/>: an alive subtable's whole mask (it was hashed, filtered,
    /// maybe probed), and for a skipped one only the nw_src prefix bits that ruled it out, or
    /// else its nw_dst ones (as OVS un-wildcards only the prefix bits its tries examined): a key
    /// with the same top bits there fails the same prefix check.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ConsultWalk(Plan plan, ref ulong c, ReadOnlySpan<ulong> alive, ulong srcAlive, int pos, ulong nw)
    {
        ulong nwBits = 0;
        if (plan.PrefixWords == 1)
        {
            // Bit sets over the positions walked: hashed, ruled out by nw_src, else by nw_dst.
            ulong below = pos >= 64 ? ulong.MaxValue : (1UL << pos) - 1;
            ulong hashed = alive[0] & below;
            ulong deadSrc = ~srcAlive & below;
            ulong deadDst = ~alive[0] & srcAlive & below;
            if (plan.Vectorized)
            {
                ref Vector512<ulong> laneMask0 = ref MemoryMarshal.GetArrayDataReference(plan.LaneMasks);
                Vector512<ulong> masks = default;
                for (ulong b = hashed; b != 0; b &= b - 1)
                    masks |= Unsafe.Add(ref laneMask0, BitOperations.TrailingZeroCount(b));
                Span<ulong> words = stackalloc ulong[8];
                masks.CopyTo(words);
                for (int lane = 0; lane < 8; lane++)
                    Unsafe.Add(ref c, plan.Lanes[lane]) |= words[lane];   // padding lanes OR zero
            }
            else
            {
                for (ulong b = hashed; b != 0; b &= b - 1)
                    ConsultMask(plan, ref c, BitOperations.TrailingZeroCount(b));
            }
            ref ulong prefixBits0 = ref MemoryMarshal.GetArrayDataReference(plan.PrefixBits);
            for (ulong b = deadSrc; b != 0; b &= b - 1)
                nwBits |= Unsafe.Add(ref prefixBits0, 2 * BitOperations.TrailingZeroCount(b));
            for (ulong b = deadDst; b != 0; b &= b - 1)
                nwBits |= Unsafe.Add(ref prefixBits0, 2 * BitOperations.TrailingZeroCount(b) + 1);
        }
        else
        {
            Span<ulong> src = stackalloc ulong[MaxPrefixWords];
            PrefixFilter.Alive(plan.SrcPrefixes, (uint)nw, plan.SrcSets, src[..plan.PrefixWords]);
            for (int i = 0; i < pos; i++)
            {
                ulong bit = 1UL << (i & 63);
                if ((alive[i >> 6] & bit) != 0)
                    ConsultMask(plan, ref c, i);
                else
                    nwBits |= plan.PrefixBits[2 * i + ((src[i >> 6] & bit) == 0 ? 0 : 1)];
            }
        }
        Unsafe.Add(ref c, KeyWords.Nw) |= nwBits;
    }

    /// <summary>ORs the mask of the subtable at plan position <paramref name="i"/> into <paramref name="c"/>.</summary>
    private static void ConsultMask(Plan plan, ref ulong c, int i)
    {
        ref SubtableInfo si = ref plan.Infos[i];
        for (int x = si.WordStart; x < si.WordEnd; x++)
        {
            ref HashWord hw = ref plan.HashWords[x];
            Unsafe.Add(ref c, hw.Word) |= hw.Mask;
        }
    }

    /// <summary>
    /// The prefix stage for a plan of at most 64 subtables: the positions whose nw_src and nw_dst
    /// prefix lengths can match <paramref name="nw"/> (the key's nw_src | nw_dst &lt;&lt; 32 word).
    /// Not inlined: in its own frame the loops keep their state in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong PrefixAlive(Plan plan, ulong nw, out ulong srcAlive)
    {
        srcAlive = PrefixFilter.Alive(plan.SrcLevels, plan.SrcPrefixes.Bits, plan.SrcSets[0], (uint)nw);
        return srcAlive & PrefixFilter.Alive(plan.DstLevels, plan.DstPrefixes.Bits, plan.DstSets[0], (uint)(nw >> 32));
    }

    /// <summary>The first position at or after <paramref name="pos"/> set in the alive bit set (bits only below count), or count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int NextAlive(ref ulong alive, int pos, int count)
    {
        if (pos >= count)
            return count;
        int w = pos >> 6;
        ulong bits = Unsafe.Add(ref alive, w) & (ulong.MaxValue << (pos & 63));
        while (bits == 0)
        {
            if (++w << 6 >= count)
                return count;
            bits = Unsafe.Add(ref alive, w);
        }
        return (w << 6) + BitOperations.TrailingZeroCount(bits);
    }

    /// <summary>A subtable as the lookup walk reads it.</summary>
    private struct SubtableInfo
    {
        /// <summary>The subtable's current hash table and its filter (a rebuild replaces them, and then the plan).</summary>
        public Subtable.Table Table;
        public ulong[] Filter;
        /// <summary>Filter.Length / 2 - 1 (the plan is republished with every new filter).</summary>
        public int FilterBlockMask;
        public int MaxPriority;
        /// <summary>Its mask words are HashWords[WordStart..WordEnd).</summary>
        public int WordStart, WordEnd;
    }

    /// <summary>Bits of one FlowKey word that a walk through some batch consults.</summary>
    private struct UnionWord
    {
        public ulong Mask;
        public int Word;
    }

    /// <summary>
    /// The published lookup order: subtables sorted by recorded MaxPriority (desc, then creation
    /// order), each with its current filter and mask words; the union of the masks of the
    /// subtables at positions 0..j (UnionWords[0..UnionEnds[j]), each position adding the bits
    /// the ones before it lacked); and, for the prefix stage, per nw_src (nw_dst) prefix length L
    /// the bit set of plan positions whose mask has that length (SrcSets[L * PrefixWords..],
    /// L = 0: no prefix constraint).
    /// Replaced, never mutated; consistent by construction (the lookup reads it unchecked):
    /// Infos and Subtables have one entry per subtable, WordStart &lt;= WordEnd &lt;= HashWords.Length,
    /// every Word &lt; FlowKey.WordCount, UnionEnds has an entry per subtable, each &lt;= UnionWords.Length,
    /// and with UsesPrefixes the sets have 33 * PrefixWords words, PrefixWords &lt;= MaxPrefixWords.
    /// </summary>
    private sealed class Plan
    {
        public static readonly Plan Empty = new([], false, PrefixFilter.Snapshot.Empty, PrefixFilter.Snapshot.Empty);

        public readonly Subtable[] Subtables;
        public readonly SubtableInfo[] Infos;
        public readonly HashWord[] HashWords;
        public readonly UnionWord[] UnionWords;
        public readonly int[] UnionEnds;
        /// <summary>Whether the lookup runs the prefix stage (some subtable has an nw_src or nw_dst prefix).</summary>
        public readonly bool UsesPrefixes;
        public readonly int PrefixWords;
        /// <summary>
        /// Whether subtable hashes are computed with 512-bit vectors: the FlowKey words any mask
        /// touches (at most 8) are Lanes (padded with word 0), each subtable's mask words are
        /// LaneMasks[position] (zero in lanes its mask does not touch) and LaneMultipliers the
        /// lanes' multipliers, so a hash is the lane sum of (key lanes &amp; mask) * multipliers,
        /// the same sum as the scalar one over HashWords.  Else Lanes and LaneMasks are empty.
        /// </summary>
        public readonly bool Vectorized;
        public readonly int[] Lanes;
        public readonly Vector512<ulong>[] LaneMasks;
        public readonly Vector512<ulong> LaneMultipliers;
        public readonly ulong[] SrcSets;
        public readonly ulong[] DstSets;
        /// <summary>The prefix filters' snapshots current when the plan was made (a new snapshot makes a new plan).</summary>
        public readonly PrefixFilter.Snapshot SrcPrefixes, DstPrefixes;
        /// <summary>Per position, its nw_src prefix bits then its nw_dst prefix bits in the nw word (with UsesPrefixes).</summary>
        public readonly ulong[] PrefixBits = [];
        /// <summary>For plans of at most 64 subtables: the snapshots' levels with their position sets.</summary>
        public readonly PrefixFilter.PlanLevel[] SrcLevels = [], DstLevels = [];

        public Plan(List<Subtable> ordered, bool vectorize, PrefixFilter.Snapshot srcPrefixes, PrefixFilter.Snapshot dstPrefixes)
        {
            SrcPrefixes = srcPrefixes;
            DstPrefixes = dstPrefixes;
            int n = ordered.Count;
            Subtables = [.. ordered];
            Infos = new SubtableInfo[n];
            var hashWords = new List<HashWord>();
            for (int i = 0; i < n; i++)
            {
                Subtable st = ordered[i];
                int start = hashWords.Count;
                for (int j = 0; j < st.Words.Length; j++)
                    hashWords.Add(new HashWord { Word = st.Words[j], Mask = st.MaskWords[j], Multiplier = Subtable.Multiplier(st.Words[j]) });
                Infos[i] = new SubtableInfo
                {
                    Table = st.Current,
                    Filter = st.Current.Filter,
                    FilterBlockMask = st.Current.Filter.Length / 2 - 1,
                    MaxPriority = st.MaxPriority,
                    WordStart = start,
                    WordEnd = hashWords.Count,
                };
                UsesPrefixes |= st.SrcPrefixLength != 0 || st.DstPrefixLength != 0;
            }
            HashWords = [.. hashWords];

            // The words any mask touches, ascending (a word mask, then its set bits).
            var used = new bool[FlowKey.WordCount];
            foreach (Subtable st in ordered)
            {
                foreach (int w in st.Words)
                    used[w] = true;
            }
            var laneWords = new List<int>(8);
            for (int w = 0; w < used.Length; w++)
            {
                if (used[w])
                    laneWords.Add(w);
            }
            // Building the key's lanes costs about as much as hashing three subtables one word at a time.
            Vectorized = vectorize && n >= 4 && laneWords.Count <= 8;
            Lanes = [];
            LaneMasks = [];
            if (Vectorized)
            {
                Lanes = new int[8];
                var multipliers = new ulong[8];
                for (int lane = 0; lane < laneWords.Count; lane++)
                {
                    Lanes[lane] = laneWords[lane];
                    multipliers[lane] = Subtable.Multiplier(laneWords[lane]);
                }
                LaneMultipliers = Vector512.Create(multipliers);
                LaneMasks = new Vector512<ulong>[n];
                var masks = new ulong[8];
                for (int i = 0; i < n; i++)
                {
                    Array.Clear(masks);
                    Subtable st = ordered[i];
                    for (int j = 0; j < st.Words.Length; j++)
                        masks[laneWords.IndexOf(st.Words[j])] = st.MaskWords[j];
                    LaneMasks[i] = Vector512.Create(masks);
                }
            }

            // Cumulative mask unions per position.
            var union = new ulong[FlowKey.WordCount];
            var unionWords = new List<UnionWord>();
            var unionEnds = new List<int>();
            foreach (Subtable st in ordered)
            {
                for (int j = 0; j < st.Words.Length; j++)
                {
                    ulong added = st.MaskWords[j] & ~union[st.Words[j]];
                    if (added == 0)
                        continue;
                    union[st.Words[j]] |= added;
                    unionWords.Add(new UnionWord { Word = st.Words[j], Mask = added });
                }
                unionEnds.Add(unionWords.Count);
            }
            UnionWords = [.. unionWords];
            UnionEnds = [.. unionEnds];

            // The stage pays when it can spare more than one batch's hashing.
            UsesPrefixes &= n > FirstBatch && n <= 64 * MaxPrefixWords;
            PrefixWords = Math.Max(1, (n + 63) / 64);
            SrcSets = [];
            DstSets = [];
            if (UsesPrefixes)
            {
                SrcSets = new ulong[33 * PrefixWords];
                DstSets = new ulong[33 * PrefixWords];
                for (int i = 0; i < n; i++)
                {
                    SrcSets[ordered[i].SrcPrefixLength * PrefixWords + (i >> 6)] |= 1UL << (i & 63);
                    DstSets[ordered[i].DstPrefixLength * PrefixWords + (i >> 6)] |= 1UL << (i & 63);
                }
                PrefixBits = new ulong[2 * n];
                for (int i = 0; i < n; i++)
                {
                    PrefixBits[2 * i] = ordered[i].SrcPrefixLength == 0 ? 0 : Ipv4Address.PrefixMask(ordered[i].SrcPrefixLength);
                    PrefixBits[2 * i + 1] = ordered[i].DstPrefixLength == 0 ? 0 : (ulong)Ipv4Address.PrefixMask(ordered[i].DstPrefixLength) << 32;
                }
                if (PrefixWords == 1)
                {
                    SrcLevels = PrefixFilter.PlanLevels(srcPrefixes, SrcSets);
                    DstLevels = PrefixFilter.PlanLevels(dstPrefixes, DstSets);
                }
            }
        }
    }

    /// <summary>A mask as a dictionary key (writer side only).</summary>
    private readonly struct MaskKey : IEquatable<MaskKey>
    {
        private readonly Match _match;

        public MaskKey(Match match) => _match = match;

        public bool Equals(MaskKey other) => _match.SameMask(other._match);

        public override bool Equals(object? obj) => obj is MaskKey k && Equals(k);

        public override int GetHashCode() => _match.MaskHash;
    }
}
