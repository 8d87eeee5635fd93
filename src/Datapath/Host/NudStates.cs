namespace Datapath.Engine.Host;

/// <summary>The kernel's groups of <see cref="NudState"/> values (NUD_VALID, NUD_CONNECTED, NUD_IN_TIMER) and the names <c>ip neigh</c> prints.</summary>
public static class NudStates
{
    /// <summary>NUD_VALID: the entry has a link-layer address frames may be sent to.</summary>
    public static bool IsValid(NudState s) => (s & (NudState.Permanent | NudState.NoArp | NudState.Reachable | NudState.Probe | NudState.Stale | NudState.Delay)) != 0;

    /// <summary>NUD_CONNECTED: the address is known good (no probing needed when used).</summary>
    public static bool IsConnected(NudState s) => (s & (NudState.Permanent | NudState.NoArp | NudState.Reachable)) != 0;

    /// <summary>NUD_IN_TIMER: a timer runs for the entry.</summary>
    public static bool InTimer(NudState s) => (s & (NudState.Incomplete | NudState.Reachable | NudState.Delay | NudState.Probe)) != 0;

    /// <summary>The word <c>ip neigh show</c> prints (iproute2's nud_state_n2a).</summary>
    public static string Name(NudState s) => s switch
    {
        NudState.None => "NONE",
        NudState.Incomplete => "INCOMPLETE",
        NudState.Reachable => "REACHABLE",
        NudState.Stale => "STALE",
        NudState.Delay => "DELAY",
        NudState.Probe => "PROBE",
        NudState.Failed => "FAILED",
        NudState.NoArp => "NOARP",
        NudState.Permanent => "PERMANENT",
        _ => $"0x{(byte)s:x2}",
    };
}
