namespace Datapath.Netfilter;

/// <summary>What a trace step records (the "type" field of the kernel's TRACE output).</summary>
public enum NetfilterTraceKind
{
    /// <summary>A rule matched; Verdict says what its target did.</summary>
    Rule = 0,
    /// <summary>The packet fell off the end of a user chain and returned to its caller.</summary>
    Return = 1,
    /// <summary>The packet fell off the end of a built-in chain and got the chain's policy.</summary>
    Policy = 2,
    /// <summary>The nat table was not consulted: the connection's NAT binding already exists.</summary>
    NatBinding = 3,
}
