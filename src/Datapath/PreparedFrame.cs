using Datapath.Engine.Cache;
using Datapath.Packets;

namespace Datapath.Engine;

/// <summary>
/// What <see cref="Node.Prepare{TBatch}"/> worked out for one frame of a batch before the frame's turn: its
/// flow key (after GENEVE decapsulation on the tunnel port), its first flow-cache lookup and the cache epoch it
/// was made in. Valid only while the cache has not been flushed since (<see cref="Epoch"/>).
/// </summary>
internal struct PreparedFrame
{
    public FlowKey Key;
    /// <summary>The first pass's megaflow, or null (a miss: the frame's turn looks up again).</summary>
    public MegaflowEntry? Entry;
    /// <summary>FlowCache.Flushes when <see cref="Entry"/> was found.</summary>
    public long Epoch;
    /// <summary>What the prepare lookup added to the cache's hit, front-hit and miss counts (taken back if the turn looks up again).</summary>
    public int Hits, FrontHits, Misses;
    public uint InPort;
    public int Length;
    /// <summary>Where the inner frame starts and how long it is (tunnel port); 0 and Length otherwise.</summary>
    public int InnerOffset, InnerLength;
    /// <summary>False: the frame's turn runs as if nothing was prepared (a drop on entry, a decapsulation failure).</summary>
    public bool Valid;
}
