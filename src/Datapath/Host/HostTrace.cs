using Datapath.Engine.Tracing;

namespace Datapath.Engine.Host;

/// <summary>
/// The trace kinds and drop reasons the host stack records, resolved once by name against the engine's
/// <see cref="TraceKind"/> and <see cref="DropReason"/> (<c>Netfilter</c>, <c>Route</c>, <c>Neighbor</c>,
/// <c>Drop</c>; <c>NoRoute</c>, <c>TtlExpired</c>...). A name the engine does not define yet falls back to a
/// value outside the enum for kinds (printed by number) and to <see cref="DropReason.NoOutput"/> for drops, with
/// the host's own reason in the step's details.
/// </summary>
internal static class HostTrace
{
    public static readonly TraceKind Netfilter = Kind("Netfilter", 100);
    public static readonly TraceKind Route = Kind("Route", 101);
    public static readonly TraceKind Neighbor = Kind("Neighbor", 102);
    public static readonly TraceKind Drop = Kind("Drop", 103);
    /// <summary>Local delivery (INPUT done): a step of kind route with the summary saying so.</summary>
    public static readonly TraceKind Deliver = Route;

    private static TraceKind Kind(string name, int fallback)
        => Enum.TryParse<TraceKind>(name, ignoreCase: false, out var k) ? k : (TraceKind)fallback;

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
