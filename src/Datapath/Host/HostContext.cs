using Datapath.Engine.Tracing;
using Datapath.Netfilter;
using Datapath.Packets;

namespace Datapath.Engine.Host;

/// <summary>
/// One thread's working state for the host stack: the frame being processed (a pinned copy the host may
/// rewrite: NAT, TTL, MACs), its key, its conntrack handle, the trace being filled, and the packets the host
/// generated while processing it (replies and ICMP errors), sent once the packet's own path is done.
/// </summary>
internal sealed class HostContext
{
    public const int MaxFrame = 65535 + 18;

    public readonly byte[] Buffer = GC.AllocateUninitializedArray<byte>(MaxFrame, pinned: true);
    /// <summary>Where a VXLAN device builds the outer packet of the frame in <see cref="Buffer"/> (HostStack.Vxlan.cs).</summary>
    public readonly byte[] Encap = GC.AllocateUninitializedArray<byte>(MaxFrame, pinned: true);
    public FlowKey Key;
    public Trace? Trace;
    public List<NetfilterTraceStep>? NetfilterTrace;
    public IHostSink? Sink;
    public long NowMs;
    public int Transmitted;
    public int GeneratedDrops;
    /// <summary>Frames that waited for a neighbour and were sent during this call.</summary>
    public int Released;
    public DropReason? GeneratedDropReason;
    /// <summary>True while a generated packet runs: no ICMP error is sent about it.</summary>
    public bool Generating;
    /// <summary>True while a VXLAN device's outer packet runs, or a decapsulated frame is received: one level of
    /// tunnel only (VXLAN inside VXLAN through the same host would recurse; it is a drop).</summary>
    public bool InTunnel;
    public readonly Queue<byte[]> Pending = new();
    /// <summary>True while a received packet is forwarded (its neighbour wait counts it forwarded when it is sent).</summary>
    public bool Forwarding;
    /// <summary>Scratch lists of the neighbour code (frames released or dropped, timers due, what they ask for).</summary>
    public readonly List<QueuedFrame> NeighborFrames = [];
    public readonly List<Neighbor> DueNeighbors = [];
    public readonly List<NeighborAction> NeighborActions = [];

    public void Reset(Trace? trace, IHostSink? sink, long nowMs)
    {
        Trace = trace;
        Sink = sink;
        NowMs = nowMs;
        Transmitted = 0;
        GeneratedDrops = 0;
        Released = 0;
        GeneratedDropReason = null;
        Generating = false;
        Forwarding = false;
        InTunnel = false;
        Pending.Clear();
        if (trace is not null)
        {
            NetfilterTrace ??= [];
            NetfilterTrace.Clear();
        }
    }
}
