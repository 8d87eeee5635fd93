namespace Datapath.Netfilter;

/// <summary>What a rule's target does; the engine switches on it.</summary>
public enum TargetKind : byte
{
    /// <summary>No <c>-j</c>: the rule only counts.</summary>
    None = 0,
    Jump,
    Goto,
    Accept,
    Drop,
    Return,
    Reject,
    Mark,
    Dnat,
    Snat,
    Masquerade,
    Trace,
    Log,
}
