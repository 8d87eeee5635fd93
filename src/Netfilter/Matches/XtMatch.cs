namespace Datapath.Netfilter.Matches;

/// <summary>
/// A match extension (<c>-m NAME ...</c>) of a rule, the xt_match of the kernel. Instances belong to one
/// rule; some keep state the kernel keeps too (nth counters, recent lists).
/// </summary>
public abstract class XtMatch
{
    /// <summary>The module name as written after <c>-m</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Whether the packet matches. Never throws on packet contents.</summary>
    internal abstract bool Matches(ref NetfilterPacket packet, NetfilterEngine engine);
}
