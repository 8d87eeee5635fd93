using System.Collections.Concurrent;
using Datapath.Packets;

namespace Datapath.Engine.Host;

/// <summary>
/// The node's ARP cache (<c>arp -a</c>, <c>ip neigh</c>), keyed by (device, IPv4 address) as the kernel keys
/// neighbours per device. The seed nodes' entries are static; ARP requests and replies the host receives
/// add or refresh entries (arp_process), so the table can grow.
/// </summary>
/// <remarks>
/// Design: devices are numbered once (a small name → number map), and entries are keyed by
/// (device number &lt;&lt; 32 | address) so the per-packet lookup hashes one ulong, not a string.
/// Thread-safety: lookups and updates on any thread (a concurrent dictionary; no allocation on lookup).
/// </remarks>
public sealed class NeighborTable
{
    private readonly ConcurrentDictionary<ulong, MacAddress> _entries = new();
    private readonly ConcurrentDictionary<string, int> _deviceIds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, string> _deviceNames = new();

    public int Count => _entries.Count;

    private int DeviceId(string device)
        => _deviceIds.GetOrAdd(device, d =>
        {
            int id = _deviceIds.Count + 1;
            _deviceNames[id] = d;
            return id;
        });

    private static ulong Key(int device, uint address) => ((ulong)(uint)device << 32) | address;

    public void Set(string device, Ipv4Address address, MacAddress mac)
    {
        ArgumentException.ThrowIfNullOrEmpty(device);
        _entries[Key(DeviceId(device), address.Value)] = mac;
    }

    public bool Remove(string device, Ipv4Address address)
        => _deviceIds.TryGetValue(device, out int id) && _entries.TryRemove(Key(id, address.Value), out _);

    public bool TryGet(string device, uint address, out MacAddress mac)
    {
        mac = default;
        return _deviceIds.TryGetValue(device, out int id) && _entries.TryGetValue(Key(id, address), out mac);
    }

    /// <summary>The lookup the host's output path uses: <paramref name="deviceId"/> from <see cref="GetDeviceId"/>.</summary>
    internal bool TryGet(int deviceId, uint address, out MacAddress mac) => _entries.TryGetValue(Key(deviceId, address), out mac);

    internal int GetDeviceId(string device) => DeviceId(device);

    /// <summary>The entries, ordered by device and address (the <c>arp -a</c> listing).</summary>
    public IEnumerable<NeighborEntry> Entries
        => _entries.Select(e => new NeighborEntry(new Ipv4Address((uint)e.Key), e.Value, _deviceNames[(int)(e.Key >> 32)]))
            .OrderBy(e => e.Device, StringComparer.Ordinal).ThenBy(e => e.Address.Value);
}
