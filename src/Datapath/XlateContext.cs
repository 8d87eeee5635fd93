using System.Runtime.CompilerServices;
using Datapath.Engine.Tracing;
using Datapath.Packets;

namespace Datapath.Engine;

/// <summary>
/// Per-thread scratch of the slow path (OVS's struct xlate_ctx plus the packet buffer): the
/// working key, the consulted-bits mask, key snapshots, the datapath action list and the frame.
/// Reused packet after packet, so translation allocates nothing once warmed up.
/// Limits as ofproto-dpif-xlate.c: <see cref="MaxDepth"/> counts only resubmits to the same or
/// an earlier table (a forward resubmit cannot loop), <see cref="MaxResubmits"/> counts them all.
/// </summary>
internal sealed class XlateContext
{
    public const int MaxDepth = 64;
    public const int MaxResubmits = MaxDepth * MaxDepth;
    /// <summary>Room before the frame for push_vlan.</summary>
    public const int Headroom = 64;
    public const int MaxFrame = 65535;

    /// <summary>
    /// The working key: a pass's lookup key; the slow path edits it as it translates. <see cref="Key"/>,
    /// <see cref="Applied"/> and <see cref="NextApplied"/> are three slots of one inline array, named by
    /// index, so that "the frame holds the key" (<see cref="AppliedIsKey"/>) and "resume with what ct()
    /// left" (<see cref="KeyIsApplied"/>) cost no 368-byte copy. Invariant: Key and Applied may share a
    /// slot only while nobody edits the key (the cached path); the slow path separates them first
    /// (<see cref="SeparateApplied"/>). NextApplied is always a third slot.
    /// </summary>
    public ref FlowKey Key => ref Slot(_keyIndex);
    /// <summary>
    /// When set, a pass ORs the bits of the key it consulted (and wrote) into <see cref="Consulted"/>
    /// and lists the rules and buckets it went through (<see cref="RuleCredits"/>, <see cref="BucketCredits"/>):
    /// what the flow cache installs, and what a trace's Megaflow line shows. Off for the slow path
    /// alone (--no-cache): asking the classifier for consulted bits costs a mask merge per subtable.
    /// </summary>
    public bool TrackConsulted;
    public readonly List<Classifier.FlowRule> RuleCredits = [];
    public readonly List<GroupBucket> BucketCredits = [];
    /// <summary>The bridge's recirc_id allocator (set by the node that owns this context).</summary>
    public Cache.RecirculationIds? RecircIds;
    /// <summary>This thread's flow cache for the node (null until the node first uses the cache).</summary>
    public Cache.FlowCache? Cache;
    /// <summary>Open batch scopes on this thread: while positive, cache stats are pushed when the outermost ends.</summary>
    public int BatchDepth;
    /// <summary>This thread's port rx/tx counts since the last push.</summary>
    public readonly PortTally PortTally = new();

    /// <summary>Pushes the cache's pending rule stats and the port tally (end of a batch, or of a frame outside one).</summary>
    public void PushStats()
    {
        Cache?.PushStats();
        PortTally.Push();
    }
    /// <summary>The consulted bits of the current pass; meaningful only when <see cref="TrackConsulted"/> is set.</summary>
    public FlowKey Consulted;
    /// <summary>The key a pass started from (kept when the pass is cached or traced).</summary>
    public FlowKey PassStart;
    /// <summary>
    /// What the frame in <see cref="Buffer"/> currently holds (headers and layout). The next key is built
    /// in <see cref="NextApplied"/>, the frame edited from the one to the other, then <see cref="FlipApplied"/>
    /// — one 368-byte copy per action snapshot, not two.
    /// </summary>
    public ref FlowKey Applied => ref Slot(_appliedIndex);
    /// <summary>A slot that is neither <see cref="Key"/>'s nor <see cref="Applied"/>'s.</summary>
    public ref FlowKey NextApplied => ref Slot(NextIndex);
    /// <summary>Makes <see cref="NextApplied"/> the applied key.</summary>
    public void FlipApplied() => _appliedIndex = NextIndex;
    /// <summary>The frame holds exactly <see cref="Key"/> (after extraction): Applied shares its slot.</summary>
    public void AppliedIsKey() => _appliedIndex = _keyIndex;
    /// <summary>The next pass starts from <see cref="Applied"/> (after ct() and recirculation): Key shares its slot.</summary>
    public void KeyIsApplied() => _keyIndex = _appliedIndex;
    /// <summary>Before the slow path edits <see cref="Key"/>: Applied gets a slot of its own (a copy).</summary>
    public void SeparateApplied()
    {
        if (_appliedIndex != _keyIndex)
            return;
        int n = NextIndex;
        Slot(n) = Slot(_keyIndex);
        _appliedIndex = n;
    }

    private int NextIndex => _keyIndex == _appliedIndex ? (_keyIndex == 2 ? 0 : _keyIndex + 1) : 3 - _keyIndex - _appliedIndex;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref FlowKey Slot(int index) => ref Unsafe.Add(ref Unsafe.As<KeySlots, FlowKey>(ref _slots), index);

    [InlineArray(3)]
    private struct KeySlots
    {
        private FlowKey _first;
    }

    private KeySlots _slots;
    private int _keyIndex;
    private int _appliedIndex = 1;

    /// <summary>The tunnel fields of the frame being processed (GENEVE decapsulation or injected); valid only for tunnel frames.</summary>
    public FlowKey Tunnel;

    public FlowKey[] Snapshots = new FlowKey[8];
    /// <summary>
    /// The tunnel bits the pass has written so far (set_field/move to tun_*), which are not consulted:
    /// a tunnel write sets the outgoing header, as OVS's tnl_push carries it, whatever the packet had.
    /// <see cref="WrittenAt"/>[s] is its value when snapshot s was taken (the flow cache replays those bits as sets).
    /// </summary>
    public FlowKey TunnelWritten;
    public FlowKey[] WrittenAt = new FlowKey[8];
    public int SnapshotCount;
    public bool Dirty;

    public DpAction[] Actions = new DpAction[16];
    public int ActionCount;

    /// <summary>The flows this pass's learn actions learned (the flow cache's entry runs them again on each hit).</summary>
    public readonly List<Actions.LearnedFlow> Learns = [];
    /// <summary>A learn of this pass added a flow (the tables changed under the packet: the next pass revalidates).</summary>
    public bool LearnedChanges;
    /// <summary>The pass depends on more than the key and the bridge's versions (a learn with a limit, fin_timeout): not cached.</summary>
    public bool Uncacheable;
    /// <summary>The rule whose actions are running (fin_timeout changes it).</summary>
    public Classifier.FlowRule? RunningRule;

    public int Depth;
    public int Resubmits;
    public byte TableId;
    public bool Exit;
    /// <summary>The pass ended in ct(table=N): the walk goes on after conntrack, in the next pass.</summary>
    public bool Recirculating;

    /// <summary>
    /// The packet's action set (write_actions appends, clear_actions empties; run at the end of the pipeline):
    /// entries [<see cref="ActionSetStart"/>, <see cref="ActionSetCount"/>); a clone works on a copy above them.
    /// </summary>
    public Actions.FlowAction[] ActionSet = new Actions.FlowAction[16];
    public int ActionSetStart;
    public int ActionSetCount;

    /// <summary>The pass's push/pop stack: entries [<see cref="StackBase"/>, <see cref="StackCount"/>); a clone works on a copy above them.</summary>
    public UInt128[] Stack = new UInt128[16];
    public int StackBase;
    public int StackCount;

    public void Push(UInt128 value)
    {
        if (StackCount == Stack.Length)
            Array.Resize(ref Stack, Stack.Length * 2);
        Stack[StackCount++] = value;
    }

    public void AddToActionSet(Actions.FlowAction action)
    {
        if (ActionSetCount == ActionSet.Length)
            Array.Resize(ref ActionSet, ActionSet.Length * 2);
        ActionSet[ActionSetCount++] = action;
    }
    /// <summary>
    /// The pass's MPLS label stack entries the frame does not have yet (push_mpls), and for each the key before it was
    /// pushed (what pop_mpls restores); and how many of the frame's own entries pop_mpls removed (the next one is read
    /// from the frame). Reset per pass.
    /// </summary>
    public int MplsPushed;
    public int MplsPopped;
    public FlowKey[] MplsBelow = new FlowKey[Translator.MaxMplsLabels];

    public DropReason? Error;
    public byte ErrorTable;
    public DropReason? LastDrop;
    public byte LastDropTable;
    public int Outputs;
    public int PacketBytes;
    public Trace? Trace;
    public string NodeName = "";

    /// <summary>The batch <see cref="Node.Prepare{TBatch}"/> prepared on this thread (<see cref="PreparedCount"/> frames).</summary>
    public readonly PreparedFrame[] Prepared = new PreparedFrame[Node.MaxPreparedFrames];
    public int PreparedCount;
    /// <summary>Frames prepared on this thread since it began (FlowCacheStats.Prepared).</summary>
    public long PreparedTotal;

    /// <summary>The packet's time (ms; the clock conntrack and the rules' idle_age use), set as each packet starts.</summary>
    public long NowMs;
    /// <summary>Scratch for Prepare: tunnel fields, and the key a cached pass's first ct() will see.</summary>
    public FlowKey PrepareTunnel, PrepareCtKey;
    /// <summary>Scratch for the executor after a ct() without recirculation: two snapshots to take the difference of.</summary>
    public FlowKey SnapshotFrom, SnapshotTo;
    /// <summary>The connection hashes Prepare prefetched, for its second pass.</summary>
    public readonly ulong[] PrepareHashes = new ulong[Node.MaxPreparedFrames];

    public readonly byte[] Buffer = GC.AllocateUninitializedArray<byte>(Headroom + MaxFrame, pinned: true);
    public readonly byte[] EncapBuffer = GC.AllocateUninitializedArray<byte>(MaxFrame + 256, pinned: true);
    public int FrameStart;
    public int FrameLength;

    public Span<byte> Frame => Buffer.AsSpan(FrameStart, FrameLength);

    public void ResetPacket(Trace? trace, string nodeName)
    {
        Trace = trace;
        NodeName = nodeName;
        Error = null;
        LastDrop = null;
        Outputs = 0;
        FrameStart = Headroom;
        FrameLength = 0;
        ForkCount = 0;
        ForkNext = 0;
    }

    /// <summary>Inside clone(...): a ct(table=N) there forks the packet instead of ending the pass.</summary>
    public int CloneDepth;

    /// <summary>The packet's forked recirculations, [<see cref="ForkNext"/>, <see cref="ForkCount"/>) still to run; the slots are reused.</summary>
    public readonly List<ForkedRecirculation> Forks = [];
    public int ForkCount;
    public int ForkNext;

    /// <summary>A slot for one more fork, with room for <paramref name="length"/> bytes.</summary>
    public ForkedRecirculation AddFork(int length)
    {
        if (ForkCount == Forks.Count)
            Forks.Add(new ForkedRecirculation());
        var f = Forks[ForkCount++];
        if (f.Frame.Length < length)
            f.Frame = new byte[Math.Max(length, 256)];
        f.Length = length;
        return f;
    }

    public void ResetPass()
    {
        if (TrackConsulted)
        {
            Consulted = default;
            TunnelWritten = default;
            RuleCredits.Clear();
            BucketCredits.Clear();
        }
        SnapshotCount = 0;
        Learns.Clear();
        LearnedChanges = false;
        Uncacheable = false;
        RunningRule = null;
        Dirty = true;
        ActionCount = 0;
        Depth = 0;
        Resubmits = 0;
        Exit = false;
        Recirculating = false;
        CloneDepth = 0;
        ActionSetStart = 0;
        ActionSetCount = 0;
        StackBase = 0;
        StackCount = 0;
        MplsPushed = 0;
        MplsPopped = 0;
    }

    /// <summary>The index of a snapshot equal to the current key, taking one if the key changed.</summary>
    public int CurrentSnapshot()
    {
        if (!Dirty && SnapshotCount > 0)
            return SnapshotCount - 1;
        if (SnapshotCount == Snapshots.Length)
            Array.Resize(ref Snapshots, Snapshots.Length * 2);
        Snapshots[SnapshotCount] = Key;
        if (TrackConsulted)
        {
            if (SnapshotCount >= WrittenAt.Length)
                Array.Resize(ref WrittenAt, Snapshots.Length);
            WrittenAt[SnapshotCount] = TunnelWritten;
        }
        Dirty = false;
        return SnapshotCount++;
    }

    public ref DpAction Emit(DpKind kind)
    {
        int snap = CurrentSnapshot();
        if (ActionCount == Actions.Length)
            Array.Resize(ref Actions, Actions.Length * 2);
        ref DpAction a = ref Actions[ActionCount++];
        a = default;
        a.Kind = kind;
        a.Snapshot = snap;
        return ref a;
    }

    public void RecordDrop(DropReason reason)
    {
        LastDrop = reason;
        LastDropTable = TableId;
    }

    public void Fail(DropReason reason)
    {
        Error ??= reason;
        ErrorTable = TableId;
        Exit = true;
    }
}
