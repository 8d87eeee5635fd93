using Datapath.Packets;

namespace Datapath.Engine.Host;

/// <summary>
/// One neighbour of a host as the kernel's struct neighbour keeps it: state, link-layer address, the times it was
/// confirmed, used and updated, the probes sent in its current resolution, its timer, and the frames waiting for
/// its address (arp_queue, bounded in bytes). Mutated only under its <see cref="NeighborTable"/>'s lock; the
/// output path reads <see cref="State"/> and <see cref="Mac"/> without it (each a single word).
/// </summary>
internal sealed class Neighbor(uint address, int deviceId, string device)
{
    public uint Address { get; } = address;
    public int DeviceId { get; } = deviceId;
    public string Device { get; } = device;

    private int _state;
    private long _mac, _used;

    public NudState State
    {
        get => (NudState)Volatile.Read(ref _state);
        set => Volatile.Write(ref _state, (int)value);
    }

    public MacAddress Mac
    {
        get => new((ulong)Volatile.Read(ref _mac));
        set => Volatile.Write(ref _mac, (long)value.Value);
    }

    /// <summary>The last time a frame was sent through the entry (neigh->used), written by the output path without the lock.</summary>
    public long Used
    {
        get => Volatile.Read(ref _used);
        set => Volatile.Write(ref _used, value);
    }

    public long Confirmed;
    public long Updated;
    /// <summary>Requests sent in the current resolution (neigh->probes; INCOMPLETE starts at ucast_solicit, as the kernel counts).</summary>
    public int Probes;
    /// <summary>When the entry's timer fires, or <see cref="long.MaxValue"/>.</summary>
    public long TimerMs = long.MaxValue;
    /// <summary>The source address the last waiting frame carried (arp_solicit picks the request's sender from it).</summary>
    public uint LastSource;
    /// <summary>Frames waiting for the address (INCOMPLETE), oldest first; null when none ever waited.</summary>
    public Queue<QueuedFrame>? Queue;
    public int QueuedBytes;

    public int QueuedCount => Queue?.Count ?? 0;

    public NeighborEntry ToEntry() => new(new Ipv4Address(Address), Mac, Device, State);
}
