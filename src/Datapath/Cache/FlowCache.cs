using System.Runtime.CompilerServices;
using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Engine.Cache;

// Flow cache
// ==========
//
// What?
// -----
// The fast path of one worker on one bridge (dpif-netdev's per-PMD flow cache): what the slow
// path (Translator) produced for a pass — its datapath actions, the key changes they need, its
// drop, the rules it went through — kept under the bits of the key it consulted, so the next
// packet that agrees on those bits runs the actions without walking the OpenFlow tables.
//
// Design
// ------
//   lookup(key, previous pass's entry):
//                 next-pass hint     previous.Next, if found in this epoch and verified against its
//                                    megaflow (the pass after a recirculation usually hits the same
//                                    megaflow as the last packet's did; saves the front's hash)
//                 exact-match front  slot[hash(key's hot words)] -> entry, verified against the
//                                    entry's megaflow (OVS's EMC/SMC: a hint, never trusted)
//                 megaflow table     partition[recirc_id] -> subtables (one per mask, most hit
//                                    first) -> hash(key & mask) -> entry (dpif-netdev's dpcls,
//                                    partitioned by recirc_id where OVS partitions by in_port)
//   install:      after a slow pass: mask = consulted bits + what OVS always matches (in_port,
//                 recirc_id, dl_type, nw_frag, the tunnel's outer header), minus the frozen
//                 state that recirc_id implies (metadata, registers); and, walking the actions as
//                 Node.Execute will, each snapshot change as in-place steps (SnapshotStep: the
//                 words that change from the previous snapshot and the header fields to write).
// An entry is used for any key equal to its Value under its Mask. That is sound because every
// input of a pass either is a consulted bit of the key or is part of the bridge's state that the
// version check covers: the flow tables (FlowTableSet.Version, which every add/mod/del and
// bundle advances), the groups, the ports, the TLV map, the MAC learning table and the
// recirculation ids (Bridge.CacheGeneration). Conntrack is not cached: ct() runs on every packet.
// Side effects a pass has beyond its datapath actions are kept with the entry and run on every hit,
// as OVS's xlate cache runs them from the revalidators: a learn (XC_LEARN) refreshes its learned flow
// or adds it again if it expired; meters are datapath actions (the bridge's meter runs per packet). A
// learn that adds a flow changes Tables.Version, so the packet's next pass and the next packet see
// it (Node revalidates right after). A pass whose result depends on state the key and the versions
// do not capture (a learn with a limit, fin_timeout) is not installed (Uncacheable).
//
// Invariants
// ----------
//  - Every entry was installed while the bridge's versions were the ones the cache holds; when
//    they change the cache is flushed (stats pushed first) before the next packet's first lookup
//    (Revalidate), and a pass during which they changed is not installed.
//  - A key change in an entry touches only consulted bits, tunnel bits the pass wrote (replayed
//    as sets) or frozen words (checked at install; a pass that breaks it is not cached and is
//    counted in Uncacheable).
//  - Stats: every hit adds to the entry's pending counts; PushStats (end of a batch, a flush)
//    credits them to each rule and bucket the pass went through, once per time it went through
//    it, so dump-flows after a batch equals the slow path's figures.
//  - At most MaxEntries megaflows; the next install beyond flushes (OVS's flow limit).
//  - A next-pass hint is used only in the epoch (flush count) it was set in, and only after its
//    megaflow is verified against the key: a flushed entry is never reached through a live one.
//
// Thread-safety
// -------------
// None needed: one cache per (worker thread, node), inside that thread's XlateContext.
//
// Cost
// ----
// A hit: one hash of 13 words, one slot load, one masked compare of the megaflow's words, then per
// snapshot change a few word edits and the changed header fields (in-place entries); a miss
// in the front: one hash and probe per subtable of the partition. Memory: the front's 8192 slots
// (128 KiB) plus ~1 KiB per megaflow.
internal sealed class FlowCache
{
    public const int MaxEntries = 65536;
    public const int FrontSlots = 8192;

    /// <summary>The words the front hashes: tunnel, in_port/recirc_id, ct, L2, L3, L4. Any subset is sound (the entry is verified).</summary>
    private static ReadOnlySpan<int> FrontWords => [0, 1, 24, 25, 26, 31, 32, 33, 36, 37, 39, 43, 44];

    private readonly Bridge _bridge;
    private readonly ulong[] _frontHashes = new ulong[FrontSlots];
    private readonly MegaflowEntry?[] _frontEntries = new MegaflowEntry?[FrontSlots];
    private MegaflowSubtable[]?[] _partitions = new MegaflowSubtable[]?[64];
    private readonly List<MegaflowEntry> _dirty = [];
    private long _tablesVersion;
    private long _generation;
    private int _entries;

    public FlowCache(Bridge bridge)
    {
        _bridge = bridge;
        _tablesVersion = bridge.Tables.Version;
        _generation = bridge.CacheGeneration;
    }

    public long Hits { get; private set; }
    public long FrontHits { get; private set; }
    public long Misses { get; private set; }
    public long Flushes { get; private set; }
    public long Uncacheable { get; private set; }
    public int Count => _entries;

    /// <summary>The bridge versions the entries were made under; a pass compares them before and after translating.</summary>
    public (long Tables, long Generation) BridgeVersions() => (_bridge.Tables.Version, _bridge.CacheGeneration);

    /// <summary>
    /// The megaflow for <paramref name="key"/>, or null (a miss: run the slow path and <see cref="Install"/>).
    /// <paramref name="previous"/>: the entry of the packet's previous pass (before its recirculation), or null.
    /// </summary>
    public MegaflowEntry? Lookup(in FlowKey key, MegaflowEntry? previous = null)
    {
        if (previous is not null)
        {
            if (previous.NextEpoch == Flushes && previous.Next is { } hinted && hinted.Matches(in key, hinted.SubtableWords))
            {
                FrontHits++;
                Hits++;
                return hinted;
            }
            var found = LookupFront(in key);
            previous.Next = found;
            previous.NextEpoch = Flushes;
            return found;
        }
        return LookupFront(in key);
    }

    private MegaflowEntry? LookupFront(in FlowKey key)
    {
        ulong fh = FrontHash(in key);
        int slot = (int)fh & (FrontSlots - 1);
        var e = _frontEntries[slot];
        if (e is not null && _frontHashes[slot] == fh && e.Matches(in key, e.SubtableWords))
        {
            FrontHits++;
            Hits++;
            return e;
        }
        uint rid = key.RecircId;
        var subtables = rid < (uint)_partitions.Length ? _partitions[rid] : null;
        if (subtables is not null)
        {
            for (int i = 0; i < subtables.Length; i++)
            {
                e = subtables[i].Find(in key);
                if (e is not null)
                {
                    if (++subtables[i].Hits > (i > 0 ? subtables[i - 1].Hits : long.MaxValue))
                        (subtables[i - 1], subtables[i]) = (subtables[i], subtables[i - 1]);
                    _frontHashes[slot] = fh;
                    _frontEntries[slot] = e;
                    Hits++;
                    return e;
                }
            }
        }
        Misses++;
        return null;
    }

    /// <summary>Takes back what a lookup whose answer was not used added to the counters (Node.Prepare's, when the frame's turn looks up again).</summary>
    public void Discount(int hits, int frontHits, int misses)
    {
        Hits -= hits;
        FrontHits -= frontHits;
        Misses -= misses;
    }

    /// <summary>
    /// Flushes the cache when the bridge changed since its entries were made. Called once per packet,
    /// before its first lookup: a packet's passes all run on the tables as they were when it arrived
    /// (as a packet in OVS's datapath finishes its recirculations on the datapath flows it started with).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Revalidate()
    {
        if (_bridge.Tables.Version != _tablesVersion || _bridge.CacheGeneration != _generation)
            Flush();
    }

    /// <summary>Counts a hit's packet for the entry's rules (pushed by <see cref="PushStats"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Credit(MegaflowEntry e, int bytes, long nowMs)
    {
        e.PendingPackets++;
        e.PendingBytes += bytes;
        e.PendingLastMs = nowMs;
        e.Hits++;
        if (!e.Dirty)
        {
            e.Dirty = true;
            _dirty.Add(e);
        }
    }

    /// <summary>Credits every entry's pending hits to its rules and buckets.</summary>
    public void PushStats()
    {
        foreach (var e in _dirty)
            e.PushStats();
        _dirty.Clear();
    }

    /// <summary>
    /// Installs the pass the slow path just ran in <paramref name="ctx"/>, which started from
    /// <paramref name="passStart"/>, if the bridge is still at <paramref name="versions"/>.
    /// </summary>
    public void Install(XlateContext ctx, in FlowKey passStart, (long Tables, long Generation) versions)
    {
        if (versions != (_tablesVersion, _generation) || BridgeVersions() != versions)
            return;
        if (ctx.Uncacheable)
        {
            Uncacheable++;
            return;
        }
        if (_entries >= MaxEntries)
            Flush();
        var entry = new MegaflowEntry();
        if (!TryBuild(ctx, in passStart, entry))
        {
            Uncacheable++;
            return;
        }
        uint rid = passStart.RecircId;
        if (rid >= (uint)_partitions.Length)
        {
            if (rid >= RecirculationIds.MaxIds + 1)
                return;
            Array.Resize(ref _partitions, (int)Math.Min(RecirculationIds.MaxIds + 1, Math.Max(rid + 1, (uint)_partitions.Length * 2)));
        }
        var subtables = _partitions[rid] ?? [];
        MegaflowSubtable? sub = null;
        foreach (var s in subtables)
        {
            if (MegaflowEntry.MemoryMarshalWords(in s.Mask).SequenceEqual(MegaflowEntry.MemoryMarshalWords(in entry.Mask)))
            {
                sub = s;
                break;
            }
        }
        if (sub is null)
        {
            sub = new MegaflowSubtable(in entry.Mask);
            _partitions[rid] = [.. subtables, sub];
        }
        entry.SubtableWords = sub.Words;
        entry.Hash = MegaflowSubtable.Hash(in entry.Value, in sub.Mask, sub.Words);
        int before = sub.Count;
        sub.Add(entry);
        _entries += sub.Count - before;
    }

    /// <summary>Pushes pending stats and forgets every entry (a bridge change, or the flow limit).</summary>
    public void Flush()
    {
        PushStats();
        Array.Clear(_frontEntries);
        Array.Clear(_partitions);
        _entries = 0;
        _tablesVersion = _bridge.Tables.Version;
        _generation = _bridge.CacheGeneration;
        Flushes++;
    }

    /// <summary>The megaflows held, for dump-cache style reports and tests.</summary>
    public IEnumerable<MegaflowEntry> Entries
        => _partitions.Where(p => p is not null).SelectMany(p => p!).SelectMany(s => s.Entries);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong FrontHash(in FlowKey key)
    {
        ReadOnlySpan<ulong> k = MegaflowEntry.MemoryMarshalWords(in key);
        ulong h = 0;
        foreach (int w in FrontWords)
            h += MegaflowSubtable.Term(k[w], w);
        return MegaflowSubtable.Finish(h);
    }

    /// <summary>Fills <paramref name="e"/> from the pass in <paramref name="ctx"/>; false when it cannot be cached soundly.</summary>
    private static bool TryBuild(XlateContext ctx, in FlowKey passStart, MegaflowEntry e)
    {
        Megaflow.Mask(in ctx.Consulted, in passStart, out e.Mask);
        ReadOnlySpan<ulong> start = MegaflowEntry.MemoryMarshalWords(in passStart);
        ReadOnlySpan<ulong> mask = MegaflowEntry.MemoryMarshalWords(in e.Mask);
        Span<ulong> value = e.Value.Words;
        for (int w = 0; w < FlowKey.WordCount - 1; w++)
            value[w] = start[w] & mask[w];
        value[FlowKey.WordCount - 1] = 0;

        var deltas = new List<KeyDelta>();
        e.SnapshotCount = ctx.SnapshotCount;
        e.DeltaStart = new int[ctx.SnapshotCount + 1];
        for (int s = 0; s < ctx.SnapshotCount; s++)
        {
            e.DeltaStart[s] = deltas.Count;
            ReadOnlySpan<ulong> snap = MegaflowEntry.MemoryMarshalWords(in ctx.Snapshots[s]);
            ReadOnlySpan<ulong> written = MegaflowEntry.MemoryMarshalWords(in ctx.WrittenAt[s]);
            for (int w = 0; w < FlowKey.WordCount - 1; w++)
            {
                ulong x = snap[w] ^ start[w];
                if ((x | written[w]) == 0)
                    continue;
                if ((x & ~mask[w] & ~written[w]) != 0 && !Megaflow.IsFrozenWord(w))
                    return false;
                ulong m = x | written[w];
                deltas.Add(new KeyDelta(w, m, snap[w] & m));
            }
        }
        e.DeltaStart[ctx.SnapshotCount] = deltas.Count;
        e.Deltas = [.. deltas];
        e.Actions = ctx.Actions.AsSpan(0, ctx.ActionCount).ToArray();
        e.ActionCount = ctx.ActionCount;
        e.Error = ctx.Error;
        e.ErrorTable = ctx.ErrorTable;
        e.LastDrop = ctx.LastDrop;
        e.LastDropTable = ctx.LastDropTable;
        e.FinalTable = ctx.TableId;
        e.Rules = [.. ctx.RuleCredits];
        e.Buckets = [.. ctx.BucketCredits];
        e.Learns = [.. ctx.Learns];
        BuildSteps(ctx, in passStart, e);
        return true;
    }

    /// <summary>
    /// Fills the entry's in-place <see cref="MegaflowEntry.Steps"/> by walking its actions as Node.Execute will: each
    /// snapshot change becomes the word changes from the previous snapshot (bits it sets, and bits the previous one
    /// set that go back to the megaflow's value) and the header fields that differ; leaves InPlace false when that
    /// walk does not hold for every packet of the megaflow.
    /// </summary>
    private static void BuildSteps(XlateContext ctx, in FlowKey passStart, MegaflowEntry e)
    {
        ReadOnlySpan<ulong> mask = MegaflowEntry.MemoryMarshalWords(in e.Mask);
        ReadOnlySpan<ulong> value = MegaflowEntry.MemoryMarshalWords(in e.Value);
        var steps = new SnapshotStep[e.ActionCount];
        var ops = new List<KeyDelta>();
        Span<ulong> curMask = stackalloc ulong[FlowKey.WordCount], curValue = stackalloc ulong[FlowKey.WordCount];
        Span<ulong> tgtMask = stackalloc ulong[FlowKey.WordCount], tgtValue = stackalloc ulong[FlowKey.WordCount];
        curMask.Clear();
        curValue.Clear();
        int applied = -1; // the start key
        bool afterCt = false;
        for (int i = 0; i < e.ActionCount; i++)
        {
            ref DpAction a = ref e.Actions[i];
            if (afterCt || a.Kind is DpKind.PushVlan or DpKind.PopVlan or DpKind.PushMpls or DpKind.PopMpls)
                return;
            if (a.Snapshot != applied)
            {
                tgtMask.Clear();
                tgtValue.Clear();
                for (int d = e.DeltaStart[a.Snapshot]; d < e.DeltaStart[a.Snapshot + 1]; d++)
                {
                    tgtMask[e.Deltas[d].Word] = e.Deltas[d].Mask;
                    tgtValue[e.Deltas[d].Word] = e.Deltas[d].Value;
                }
                int start = ops.Count;
                for (int w = 0; w < FlowKey.WordCount - 1; w++)
                {
                    ulong restore = curMask[w] & ~tgtMask[w];
                    if ((restore & ~mask[w]) != 0)
                        return; // a bit put back that the megaflow does not know
                    if (curMask[w] == tgtMask[w] && curValue[w] == tgtValue[w])
                        continue;
                    ulong clear = tgtMask[w] | restore;
                    if (clear != 0)
                        ops.Add(new KeyDelta(w, clear, tgtValue[w] | (value[w] & restore)));
                }
                ref readonly FlowKey from = ref applied < 0 ? ref passStart : ref ctx.Snapshots[applied];
                var fields = PacketEditor.Diff(in from, in ctx.Snapshots[a.Snapshot], out _);
                steps[i] = new SnapshotStep(start, ops.Count - start, fields);
                tgtMask.CopyTo(curMask);
                tgtValue.CopyTo(curValue);
                applied = a.Snapshot;
            }
            afterCt = a.Kind == DpKind.Ct && !a.Recirc;
        }
        e.Steps = steps;
        e.StepOps = [.. ops];
        e.InPlace = true;
    }
}
