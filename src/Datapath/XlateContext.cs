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

    public FlowKey Key;
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
    /// What the frame in <see cref="Buffer"/> currently holds (headers and layout). One of two buffers:
    /// the next key is built in <see cref="NextApplied"/>, the frame edited from the one to the other,
    /// then <see cref="FlipApplied"/> — one 368-byte copy per action snapshot, not two.
    /// </summary>
    public ref FlowKey Applied => ref _applied[_appliedIndex];
    /// <summary>The other buffer of <see cref="Applied"/>.</summary>
    public ref FlowKey NextApplied => ref _applied[_appliedIndex ^ 1];
    /// <summary>Makes <see cref="NextApplied"/> the applied key.</summary>
    public void FlipApplied() => _appliedIndex ^= 1;
    private readonly FlowKey[] _applied = new FlowKey[2];
    private int _appliedIndex;

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

    public int Depth;
    public int Resubmits;
    public byte TableId;
    public bool Exit;
    public DropReason? Error;
    public byte ErrorTable;
    public DropReason? LastDrop;
    public byte LastDropTable;
    public int Outputs;
    public int PacketBytes;
    public Trace? Trace;
    public string NodeName = "";

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
        Dirty = true;
        ActionCount = 0;
        Depth = 0;
        Resubmits = 0;
        Exit = false;
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
