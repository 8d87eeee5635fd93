using Datapath.Packets;

namespace Datapath.Engine.Tracing;

/// <summary>
/// ofproto/trace's <c>--ct-next</c> argument as OVS 3.1 reads it (lib/flow.c parse_ct_state and
/// validate_ct_state): flag names separated by commas or spaces (<c>trk,est</c>), and the combinations
/// conntrack can give only.
/// </summary>
public static class OvsCtState
{
    private static readonly (string Name, CtStateFlags Bit)[] s_names =
    [
        ("new", CtStateFlags.New), ("est", CtStateFlags.Established), ("rel", CtStateFlags.Related), ("rpl", CtStateFlags.Reply),
        ("inv", CtStateFlags.Invalid), ("trk", CtStateFlags.Tracked), ("snat", CtStateFlags.SrcNat), ("dnat", CtStateFlags.DstNat),
    ];

    /// <summary>The state, or null with <paramref name="error"/> saying what is wrong.</summary>
    public static uint? Parse(string text, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        uint state = 0;
        foreach (string flag in text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries))
        {
            int i = Array.FindIndex(s_names, n => n.Name == flag);
            if (i < 0)
            {
                error = $"{flag}: unknown connection tracking state flag (one of {string.Join(", ", s_names.Select(n => n.Name))})";
                return null;
            }
            state |= (uint)s_names[i].Bit;
        }
        error = Validate((CtStateFlags)state);
        return error is null ? state : null;
    }

    private static string? Validate(CtStateFlags s)
    {
        string shown = FlowFormatter.FormatCtState((uint)s);
        if (s == CtStateFlags.None)
            return "no connection tracking state flag given (e.g. trk,est)";
        if ((s & CtStateFlags.Tracked) == 0)
            return $"{shown}: invalid connection state: If \"trk\" is unset, no other flags are set";
        if ((s & CtStateFlags.Invalid) != 0 && (s & ~(CtStateFlags.Tracked | CtStateFlags.Invalid)) != 0)
            return $"{shown}: invalid connection state: when \"inv\" is set, only \"trk\" may also be set";
        if ((s & CtStateFlags.New) != 0 && (s & CtStateFlags.Established) != 0)
            return $"{shown}: invalid connection state: \"new\" and \"est\" are mutually exclusive";
        if ((s & CtStateFlags.New) != 0 && (s & CtStateFlags.Reply) != 0)
            return $"{shown}: invalid connection state: \"new\" and \"rpl\" are mutually exclusive";
        return null;
    }
}
