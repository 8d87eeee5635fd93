using System.Collections.Concurrent;
using Datapath.Packets;

namespace Datapath.Engine;

/// <summary>
/// The MAC table of OVS's NORMAL action (ofproto/mac-learning.c, without ageing): which port a
/// source MAC was last seen on, per VLAN. Updates only when a MAC moves, so a steady stream does
/// not allocate. Any thread.
/// </summary>
public sealed class MacLearningTable
{
    private readonly ConcurrentDictionary<ulong, uint> _ports = new();
    private long _changes;

    /// <summary>How many times an entry was added, moved or the table cleared (flow caches flush when it moves).</summary>
    public long Changes => Volatile.Read(ref _changes);

    private static ulong Key(MacAddress mac, ushort vid) => ((ulong)vid << 48) | mac.Value;

    /// <summary>Learns <paramref name="mac"/> on <paramref name="port"/>; false when nothing changed.</summary>
    public bool Learn(MacAddress mac, ushort vid, uint port)
    {
        if (mac.IsMulticast)
            return false;
        ulong k = Key(mac, vid);
        if (_ports.TryGetValue(k, out uint old) && old == port)
            return false;
        _ports[k] = port;
        Interlocked.Increment(ref _changes);
        return true;
    }

    public bool TryLookup(MacAddress mac, ushort vid, out uint port) => _ports.TryGetValue(Key(mac, vid), out port);

    public int Count => _ports.Count;

    /// <summary>(port, vlan, mac) rows as <c>ovs-appctl fdb/show</c> lists them.</summary>
    public IEnumerable<(uint Port, ushort Vlan, MacAddress Mac)> Entries()
        => _ports.Select(kv => (kv.Value, (ushort)(kv.Key >> 48), new MacAddress(kv.Key))).OrderBy(e => e.Value).ThenBy(e => e.Item3.Value);

    public void Clear()
    {
        _ports.Clear();
        Interlocked.Increment(ref _changes);
    }
}
