using System.Collections.Concurrent;
using Datapath.Packets;

namespace Datapath.Engine.Host;

/// <summary>
/// The node's ARP cache (<c>arp -a</c>, <c>ip neigh</c>), keyed by (device, IPv4 address) as the kernel keys
/// neighbours per device. The seed nodes' entries are static; ARP requests and replies the host receives
/// add or refresh entries (arp_process), so the table can grow.
/// </summary>
/// <remarks>Thread-safety: lookups and updates on any thread (a concurrent dictionary; no allocation on lookup).</remarks>
public sealed class NeighborTable
{
    private readonly ConcurrentDictionary<(string Device, uint Address), MacAddress> _entries = new();

    public int Count => _entries.Count;

    public void Set(string device, Ipv4Address address, MacAddress mac)
    {
        ArgumentException.ThrowIfNullOrEmpty(device);
        _entries[(device, address.Value)] = mac;
    }

    public bool Remove(string device, Ipv4Address address) => _entries.TryRemove((device, address.Value), out _);

    public bool TryGet(string device, uint address, out MacAddress mac) => _entries.TryGetValue((device, address), out mac);

    /// <summary>The entries, ordered by device and address (the <c>arp -a</c> listing).</summary>
    public IEnumerable<NeighborEntry> Entries
        => _entries.OrderBy(e => e.Key.Device, StringComparer.Ordinal).ThenBy(e => e.Key.Address)
            .Select(e => new NeighborEntry(new Ipv4Address(e.Key.Address), e.Value, e.Key.Device));
}
