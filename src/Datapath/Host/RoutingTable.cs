namespace Datapath.Engine.Host;

/// <summary>
/// The main routing table of a node (<c>ip route</c>): longest prefix match, then the lowest metric,
/// then the route added first, as fib_table_lookup picks. Own addresses are not here: the
/// <see cref="HostStack"/> checks them first, as the kernel's local table (priority 0) comes before main.
/// </summary>
/// <remarks>
/// Design: one hash map per prefix length that has routes, probed from the longest length down, so a lookup
/// costs one hash probe per distinct prefix length (3 for the seed nodes: /24, /16, /0) whatever the number
/// of routes. Each map value carries the route's output device resolved once when the snapshot is built (by the
/// owning host's resolver), so forwarding does not look the device up by name per packet.
/// Modifiers build a new immutable snapshot and publish it; lookups read the snapshot lock-free.
/// Routes with <c>linkdown</c> stay usable (net.ipv4.conf.*.ignore_routes_with_linkdown=0, the default).
/// </remarks>
public sealed class RoutingTable
{
    private readonly record struct Slot(RouteEntry Route, HostInterface? Device);

    private sealed class Snapshot(RouteEntry[] routes, int[] lengths, Dictionary<uint, Slot>[] byLength)
    {
        public readonly RouteEntry[] Routes = routes;
        public readonly int[] Lengths = lengths;
        public readonly Dictionary<uint, Slot>[] ByLength = byLength;
    }

    private readonly Lock _writeLock = new();
    private readonly Func<string, HostInterface?>? _resolve;
    private Snapshot _snapshot;

    public RoutingTable()
        : this(null)
    {
    }

    /// <param name="resolve">Maps a route's device name to the host's interface (null: devices are not resolved).</param>
    internal RoutingTable(Func<string, HostInterface?>? resolve)
    {
        _resolve = resolve;
        _snapshot = Build([]);
    }

    // ---- Modifiers: serialized by a lock; readers are not blocked.

    /// <summary>Adds a route (<c>ip route append</c>: same prefix with another metric is kept; the lower metric wins).</summary>
    public void Add(RouteEntry route)
    {
        ArgumentNullException.ThrowIfNull(route);
        lock (_writeLock)
            Volatile.Write(ref _snapshot, Build([.. _snapshot.Routes, route]));
    }

    /// <summary>Deletes the routes to exactly this prefix (<c>ip route del PREFIX</c>); returns how many.</summary>
    public int Remove(uint destination, int prefixLength)
    {
        lock (_writeLock)
        {
            var kept = _snapshot.Routes.Where(r => r.Destination != destination || r.PrefixLength != prefixLength).ToArray();
            int removed = _snapshot.Routes.Length - kept.Length;
            Volatile.Write(ref _snapshot, Build(kept));
            return removed;
        }
    }

    // ---- Lookups: any thread, lock-free.

    /// <summary>The routes in the order they were added (what <c>ip route</c> lists).</summary>
    public IReadOnlyList<RouteEntry> Routes => Volatile.Read(ref _snapshot).Routes;

    /// <summary>The route for <paramref name="destination"/> (host order): longest prefix, then lowest metric.</summary>
    public bool TryLookup(uint destination, out RouteEntry route) => TryLookup(destination, out route, out _);

    /// <summary>As <see cref="TryLookup(uint, out RouteEntry)"/>, with the route's device as the host resolved it.</summary>
    internal bool TryLookup(uint destination, out RouteEntry route, out HostInterface? device)
    {
        var s = Volatile.Read(ref _snapshot);
        var lengths = s.Lengths;
        for (int i = 0; i < lengths.Length; i++)
        {
            int len = lengths[i];
            uint mask = len == 0 ? 0 : uint.MaxValue << (32 - len);
            if (s.ByLength[len].TryGetValue(destination & mask, out var slot))
            {
                route = slot.Route;
                device = slot.Device;
                return true;
            }
        }
        route = null!;
        device = null;
        return false;
    }

    private Snapshot Build(RouteEntry[] routes)
    {
        var byLength = new Dictionary<uint, Slot>[33];
        for (int i = 0; i < byLength.Length; i++)
            byLength[i] = [];
        foreach (var r in routes)
        {
            var map = byLength[r.PrefixLength];
            if (!map.TryGetValue(r.Destination, out var existing) || r.Metric < existing.Route.Metric)
                map[r.Destination] = new Slot(r, r.Device is { } d ? _resolve?.Invoke(d) : null);
        }
        int[] lengths = [.. Enumerable.Range(0, 33).Where(l => byLength[l].Count > 0).OrderDescending()];
        return new Snapshot(routes, lengths, byLength);
    }
}
