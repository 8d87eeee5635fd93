namespace Datapath.Netfilter.Matches;

/// <summary>The states of <c>--ctstate</c> / <c>--state</c> (XT_CONNTRACK_STATE_*).</summary>
[Flags]
public enum ConntrackStates
{
    None = 0,
    Invalid = 1 << 0,
    New = 1 << 1,
    Established = 1 << 2,
    Related = 1 << 3,
    Untracked = 1 << 4,
    Snat = 1 << 5,
    Dnat = 1 << 6,
}
