using Datapath.Engine.Tracing;

namespace Datapath.Engine.Host;

/// <summary>
/// The trace kinds the host stack records: the engine's <see cref="TraceKind"/> values for netfilter, routing
/// and neighbour steps. Its drops use the engine's <see cref="DropReason"/> like every other place.
/// </summary>
internal static class HostTrace
{
    public const TraceKind Netfilter = TraceKind.Netfilter;
    public const TraceKind Route = TraceKind.Route;
    public const TraceKind Neighbor = TraceKind.Neighbor;
    public const TraceKind Drop = TraceKind.Drop;
    /// <summary>Local delivery (INPUT done): a step of kind route with the summary saying so.</summary>
    public const TraceKind Deliver = Route;
}
