using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Engine.Cache;

/// <summary>
/// One megaflow: the consulted bits of one slow-path pass (<see cref="Mask"/>, recirc_id always
/// among them) and their values (<see cref="Value"/>), with what the pass produced — its datapath
/// actions, the key changes each action needs the frame to reflect (<see cref="Deltas"/> from
/// <see cref="DeltaStart"/>[snapshot]), the drop it ended in, and the rules and group buckets it
/// went through, which a hit credits (OVS's revalidators push a megaflow's stats to its rules;
/// here the owning worker pushes them at the end of each batch).
/// </summary>
/// <remarks>Owned by one worker's <see cref="FlowCache"/>: plain fields, no locks.</remarks>
internal sealed class MegaflowEntry
{
    public FlowKey Mask;
    public FlowKey Value;
    public ulong Hash;
    /// <summary>The words <see cref="Mask"/> touches (its subtable's), for the front's verification.</summary>
    public int[] SubtableWords = [];

    public DpAction[] Actions = [];
    public int ActionCount;
    /// <summary>Deltas of snapshot s: Deltas[DeltaStart[s] .. DeltaStart[s + 1]).</summary>
    public KeyDelta[] Deltas = [];

    /// <summary>Turns <paramref name="key"/>, the pass's start key, into snapshot <paramref name="snapshot"/>'s key (its deltas applied).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void ApplyDeltas(int snapshot, ref FlowKey key)
    {
        Span<ulong> words = key.Words;
        for (int d = DeltaStart[snapshot]; d < DeltaStart[snapshot + 1]; d++)
        {
            var delta = Deltas[d];
            words[delta.Word] = (words[delta.Word] & ~delta.Mask) | delta.Value;
        }
    }
    public int[] DeltaStart = [0];
    public int SnapshotCount;

    /// <summary>
    /// The snapshots can be applied one after another in place (<see cref="Steps"/>), with no copy of the start key
    /// and no key comparison: no action after a ct() without recirculation, no VLAN or MPLS push or pop (they change
    /// the frame's layout), and every bit a later snapshot puts back is a consulted one. Otherwise each snapshot is
    /// built from the start key with <see cref="ApplyDeltas"/> and the frame edited with PacketEditor.ApplyKey.
    /// </summary>
    public bool InPlace;
    /// <summary>Per action (InPlace entries): the key words and header fields its snapshot changes.</summary>
    public SnapshotStep[] Steps = [];
    public KeyDelta[] StepOps = [];

    /// <summary>The pass's translation error (ends the packet at once), or null.</summary>
    public DropReason? Error;
    public byte ErrorTable;
    /// <summary>The last drop the pass recorded (XlateContext.LastDrop after it), or null.</summary>
    public DropReason? LastDrop;
    public byte LastDropTable;
    /// <summary>The table the pass ended in (the drop table of a pass that output nothing and recorded no drop).</summary>
    public byte FinalTable;

    /// <summary>Each rule the pass matched, once per match (a rule resubmitted to twice is here twice).</summary>
    public FlowRule[] Rules = [];
    public GroupBucket[] Buckets = [];
    /// <summary>The flows the pass's learn actions learned; each hit runs them again (OVS's XC_LEARN entries).</summary>
    public Actions.LearnedFlow[] Learns = [];

    /// <summary>Hits since the stats were last pushed to <see cref="Rules"/> and <see cref="Buckets"/>.</summary>
    public long PendingPackets;

    /// <summary>The time of the latest pending hit (ms), pushed as the rules' last use (their idle_age).</summary>
    public long PendingLastMs;
    public long PendingBytes;
    public bool Dirty;
    /// <summary>
    /// The megaflow the pass after this one (after its ct() recirculation) last hit, and the cache epoch
    /// it was found in: a hint the next lookup verifies before the exact-match front (as the front's slots are).
    /// </summary>
    public MegaflowEntry? Next;
    public long NextEpoch;

    /// <summary>Hits over the entry's life (for dump-cache and the hit-rate report).</summary>
    public long Hits;

    /// <summary>True when <paramref name="key"/> has this entry's values in every consulted bit.</summary>
    public bool Matches(in FlowKey key, ReadOnlySpan<int> words)
    {
        ref readonly FlowKey m = ref Mask;
        ReadOnlySpan<ulong> k = MemoryMarshalWords(in key), mw = MemoryMarshalWords(in m), v = MemoryMarshalWords(in Value);
        foreach (int w in words)
        {
            if ((k[w] & mw[w]) != v[w])
                return false;
        }
        return true;
    }

    internal static ReadOnlySpan<ulong> MemoryMarshalWords(in FlowKey key)
        => System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(
            ref System.Runtime.CompilerServices.Unsafe.As<FlowKey, ulong>(ref System.Runtime.CompilerServices.Unsafe.AsRef(in key)), FlowKey.WordCount);

    /// <summary>Credits the pending hits to the rules and buckets (the owning worker, at a batch's end).</summary>
    public void PushStats()
    {
        if (PendingPackets != 0)
        {
            foreach (var r in Rules)
            {
                r.AddStats(PendingPackets, PendingBytes);
                r.Touch(PendingLastMs);
            }
            foreach (var b in Buckets)
                b.AddStats(PendingPackets, PendingBytes);
        }
        PendingPackets = PendingBytes = 0;
        Dirty = false;
    }
}
