using System.Collections.Concurrent;
using Datapath.Packets;

namespace Datapath.Geneve;

/// <summary>
/// A switch for emulated nodes in one process: every <see cref="InMemoryGeneveUnderlay"/> attached
/// to it can send datagrams to the others by address. Datagrams to an address nobody holds are
/// dropped (TrySend returns false), as an unreachable host's would be.
/// </summary>
/// <remarks>Thread-safety: Attach/detach and sends from any thread.</remarks>
public sealed class InMemoryUnderlayNetwork
{
    private readonly ConcurrentDictionary<uint, InMemoryGeneveUnderlay> _nodes = new();

    /// <summary>Attaches a node at <paramref name="address"/>.</summary>
    /// <param name="address">The node's underlay address.</param>
    /// <param name="queueCapacity">Datagrams waiting beyond this are dropped (a full NIC ring).</param>
    /// <param name="batchCapacity">The most datagrams one Receive returns.</param>
    /// <exception cref="InvalidOperationException">The address is taken.</exception>
    public InMemoryGeneveUnderlay Attach(Ipv4Address address, int queueCapacity = 4096, int batchCapacity = 32)
    {
        var node = new InMemoryGeneveUnderlay(this, address, queueCapacity, batchCapacity);
        if (!_nodes.TryAdd(address.Value, node))
            throw new InvalidOperationException($"{address} is already attached to this underlay network");
        return node;
    }

    internal bool TryDeliver(Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> payload)
        => _nodes.TryGetValue(destination.Value, out var node) && node.TryEnqueue(source, payload);

    internal void Detach(InMemoryGeneveUnderlay node) => _nodes.TryRemove(new KeyValuePair<uint, InMemoryGeneveUnderlay>(node.LocalAddress.Value, node));
}
