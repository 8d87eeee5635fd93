using System.Collections.Concurrent;
using Datapath.Packets;

namespace Datapath.Engine.Host;

/// <summary>
/// A host's ARP cache (<c>ip neigh</c>, <c>arp -a</c>) as Linux's neighbour subsystem keeps it: entries keyed by
/// (device, IPv4 address), each with its NUD state, timers and the frames waiting for it (see
/// <see cref="HostStack"/>'s essay, "neighbour", for the state machine and what the host sends).
/// </summary>
/// <remarks>
/// <para>Design: devices are numbered once (a small name → number map), and entries are keyed by
/// (device number &lt;&lt; 32 | address) so the per-packet lookup hashes one ulong, not a string. Entries given by
/// the scenario are PERMANENT (<c>ip neigh replace ... nud permanent</c>): ARP never changes them and they never
/// age. Learned entries carry Linux's timers in the host's clock (the frames' timestamps in a replay, the wall clock
/// live): <see cref="NextTimerMs"/> is the earliest, so the output path knows with one compare whether any is due.
/// reachable_time is drawn in [base/2, 3·base/2) from the host's seed and drawn again every 300 s, as
/// neigh_periodic_work does for the table's parameters.</para>
/// <para>Invariants: an entry's state, timer and queue change only under <see cref="Lock"/>; an entry with frames
/// waiting is INCOMPLETE; the bytes waiting per entry never exceed unres_qlen_bytes; <see cref="NextTimerMs"/> is at
/// most the earliest entry timer.</para>
/// <para>Thread-safety: lookups on any thread without the lock (a concurrent dictionary; state and address are single
/// words); changes under the lock. No allocation on the lookup of a resolved entry.</para>
/// </remarks>
public sealed class NeighborTable
{
    private const long ReachableRedrawMs = 300_000;
    private readonly ConcurrentDictionary<ulong, Neighbor> _entries = new();
    private readonly ConcurrentDictionary<string, int> _deviceIds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, string> _deviceNames = new();
    private ulong _random;
    private long _nextTimerMs = long.MaxValue;
    private long _reachableDrawnAt = long.MinValue;
    private long _reachableTimeMs;
    private int _queued;

    public NeighborTable(NeighborParameters? parameters = null, ulong seed = 1)
    {
        Parameters = parameters ?? new NeighborParameters();
        _random = seed * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E019UL;
        _reachableTimeMs = DrawReachableTime();
    }

    public NeighborParameters Parameters { get; }

    /// <summary>Serializes every change of state, timer or queue.</summary>
    internal Lock Lock { get; } = new();

    public int Count => _entries.Count;

    /// <summary>The earliest time an entry's timer fires (<see cref="long.MaxValue"/>: none).</summary>
    public long NextTimerMs => Volatile.Read(ref _nextTimerMs);

    /// <summary>Frames waiting for an address, over all entries.</summary>
    public int QueuedFrames => Volatile.Read(ref _queued);

    /// <summary>The current reachable_time (a draw from base_reachable_time).</summary>
    public long ReachableTimeMs => Volatile.Read(ref _reachableTimeMs);

    private int DeviceId(string device)
        => _deviceIds.GetOrAdd(device, d =>
        {
            int id = _deviceIds.Count + 1;
            _deviceNames[id] = d;
            return id;
        });

    private static ulong Key(int device, uint address) => ((ulong)(uint)device << 32) | address;

    /// <summary>Adds or replaces a PERMANENT entry (<c>ip neigh replace ADDR lladdr MAC dev DEV nud permanent</c>).</summary>
    public void Set(string device, Ipv4Address address, MacAddress mac)
    {
        ArgumentException.ThrowIfNullOrEmpty(device);
        int id = DeviceId(device);
        lock (Lock)
        {
            var n = _entries.GetOrAdd(Key(id, address.Value), k => new Neighbor((uint)k, id, device));
            DropQueue(n);
            n.Mac = mac;
            n.State = NudState.Permanent;
            n.TimerMs = long.MaxValue;
        }
    }

    public bool Remove(string device, Ipv4Address address)
    {
        if (!_deviceIds.TryGetValue(device, out int id))
            return false;
        lock (Lock)
        {
            if (!_entries.TryRemove(Key(id, address.Value), out var n))
                return false;
            DropQueue(n);
            return true;
        }
    }

    /// <summary>The link-layer address of a neighbour whose state is valid (REACHABLE, STALE, DELAY, PROBE, PERMANENT).</summary>
    public bool TryGet(string device, uint address, out MacAddress mac)
    {
        mac = default;
        if (!_deviceIds.TryGetValue(device, out int id) || !_entries.TryGetValue(Key(id, address), out var n) || !NudStates.IsValid(n.State))
            return false;
        mac = n.Mac;
        return true;
    }

    /// <summary>The entry for <paramref name="address"/> on <paramref name="device"/>, whatever its state.</summary>
    public bool TryGetEntry(string device, Ipv4Address address, out NeighborEntry entry)
    {
        entry = default;
        if (!_deviceIds.TryGetValue(device, out int id) || !_entries.TryGetValue(Key(id, address.Value), out var n))
            return false;
        entry = n.ToEntry();
        return true;
    }

    internal int GetDeviceId(string device) => DeviceId(device);

    internal Neighbor? Find(int deviceId, uint address) => _entries.TryGetValue(Key(deviceId, address), out var n) ? n : null;

    /// <summary>
    /// The entry, created NONE when missing (neigh_create; under the lock). A full table (gc_thresh3) is collected
    /// first (neigh_forced_gc: FAILED and unused STALE entries go); when that frees nothing, null.
    /// </summary>
    internal Neighbor? GetOrCreate(int deviceId, uint address, long nowMs)
    {
        if (_entries.TryGetValue(Key(deviceId, address), out var n))
            return n;
        if (_entries.Count >= Parameters.GcThresh3 && Collect(nowMs, forced: true) == 0)
            return null;
        n = new Neighbor(address, deviceId, _deviceNames[deviceId]) { Updated = nowMs, Used = nowMs };
        _entries[Key(deviceId, address)] = n;
        return n;
    }

    /// <summary>Sets the entry's timer (under the lock).</summary>
    internal void Arm(Neighbor n, long atMs)
    {
        n.TimerMs = atMs;
        if (atMs < _nextTimerMs)
            Volatile.Write(ref _nextTimerMs, atMs);
    }

    /// <summary>Collects the entries whose timer is due at <paramref name="nowMs"/>, earliest first, and recomputes <see cref="NextTimerMs"/> over the rest (under the lock).</summary>
    internal void CollectDue(long nowMs, List<Neighbor> due)
    {
        long next = long.MaxValue;
        foreach (var n in _entries.Values)
        {
            if (n.TimerMs <= nowMs)
                due.Add(n);
            else if (n.TimerMs < next)
                next = n.TimerMs;
        }
        due.Sort(static (a, b) => a.TimerMs != b.TimerMs ? a.TimerMs.CompareTo(b.TimerMs) : a.Address.CompareTo(b.Address));
        Volatile.Write(ref _nextTimerMs, next);
    }

    /// <summary>reachable_time at <paramref name="nowMs"/>: drawn again every 300 s (under the lock).</summary>
    internal long ReachableTime(long nowMs)
    {
        if (_reachableDrawnAt == long.MinValue)
            _reachableDrawnAt = nowMs;
        else if (nowMs - _reachableDrawnAt >= ReachableRedrawMs)
        {
            _reachableDrawnAt = nowMs;
            Volatile.Write(ref _reachableTimeMs, DrawReachableTime());
        }
        return _reachableTimeMs;
    }

    /// <summary>neigh_rand_reach_time: uniform in [base/2, 3·base/2).</summary>
    private long DrawReachableTime()
    {
        long b = Parameters.BaseReachableTimeMs;
        if (b <= 0)
            return 0;
        _random ^= _random << 13;
        _random ^= _random >> 7;
        _random ^= _random << 17;
        return (long)(_random % (ulong)b) + (b >> 1);
    }

    /// <summary>Adds a waiting frame; returns the frames dropped from the front to stay within unres_qlen_bytes (under the lock).</summary>
    internal int Enqueue(Neighbor n, QueuedFrame frame, List<QueuedFrame> dropped)
    {
        int size = frame.Frame.Length + NeighborParameters.SkbOverhead;
        n.Queue ??= new Queue<QueuedFrame>();
        int count = 0;
        while (n.Queue.Count > 0 && n.QueuedBytes + size > Parameters.UnresQlenBytes)
        {
            var old = n.Queue.Dequeue();
            n.QueuedBytes -= old.Frame.Length + NeighborParameters.SkbOverhead;
            dropped.Add(old);
            count++;
        }
        if (size > Parameters.UnresQlenBytes)
        {
            dropped.Add(frame);
            Interlocked.Add(ref _queued, -count);
            return count + 1;
        }
        n.Queue.Enqueue(frame);
        n.QueuedBytes += size;
        Interlocked.Add(ref _queued, 1 - count);
        return count;
    }

    /// <summary>Takes every waiting frame of the entry, oldest first (under the lock).</summary>
    internal void TakeQueue(Neighbor n, List<QueuedFrame> into)
    {
        if (n.Queue is not { Count: > 0 } q)
            return;
        Interlocked.Add(ref _queued, -q.Count);
        while (q.TryDequeue(out var f))
            into.Add(f);
        n.QueuedBytes = 0;
    }

    private void DropQueue(Neighbor n)
    {
        if (n.Queue is { Count: > 0 } q)
        {
            Interlocked.Add(ref _queued, -q.Count);
            q.Clear();
            n.QueuedBytes = 0;
        }
    }

    /// <summary>
    /// The garbage collector (neigh_periodic_work and neigh_forced_gc): with more than gc_thresh1 entries (or forced),
    /// removes FAILED entries and those unused for gc_stale_time that no timer holds; PERMANENT entries stay.
    /// Returns the entries removed (under the lock).
    /// </summary>
    internal int Collect(long nowMs, bool forced)
    {
        if (!forced && _entries.Count <= Parameters.GcThresh1)
            return 0;
        int removed = 0;
        foreach (var (key, n) in _entries)
        {
            var s = n.State;
            if (s == NudState.Permanent || n.QueuedCount > 0)
                continue;
            if (s == NudState.Failed || (!NudStates.InTimer(s) && nowMs - n.Used > Parameters.GcStaleTimeMs) || (forced && s == NudState.Stale))
            {
                if (_entries.TryRemove(key, out _))
                    removed++;
            }
        }
        return removed;
    }

    /// <summary>The entries, ordered by device and address (what <c>ip neigh show</c> and <c>arp -a</c> list).</summary>
    public IEnumerable<NeighborEntry> Entries
        => _entries.Values.Select(n => n.ToEntry()).OrderBy(e => e.Device, StringComparer.Ordinal).ThenBy(e => e.Address.Value);
}
