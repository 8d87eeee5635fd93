using Datapath.Engine.Tracing;

namespace Datapath.Engine.Host;

/// <summary>
/// The trace kinds and drop reasons the host stack records: the engine's <see cref="TraceKind"/> values for
/// netfilter, routing and neighbour steps, and each <see cref="HostDropReason"/> mapped by name onto the
/// engine's <see cref="DropReason"/> (falling back to <see cref="DropReason.NoOutput"/>, with the host's own
/// reason in the step's details).
/// </summary>
internal static class HostTrace
{
    public const TraceKind Netfilter = TraceKind.Netfilter;
    public const TraceKind Route = TraceKind.Route;
    public const TraceKind Neighbor = TraceKind.Neighbor;
    public const TraceKind Drop = TraceKind.Drop;
    /// <summary>Local delivery (INPUT done): a step of kind route with the summary saying so.</summary>
    public const TraceKind Deliver = Route;

    private static readonly DropReason[] s_drops = [.. Enum.GetValues<HostDropReason>().Select(MapDrop)];

    private static DropReason MapDrop(HostDropReason reason)
    {
        if (Enum.TryParse<DropReason>(reason.ToString(), ignoreCase: false, out var d))
            return d;
        if (Enum.TryParse<DropReason>("HostStack", ignoreCase: false, out d))
            return d;
        return DropReason.NoOutput;
    }

    public static DropReason ToDropReason(HostDropReason reason) => s_drops[(int)reason];
}
