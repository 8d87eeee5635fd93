namespace Datapath.Netfilter.Tests;

/// <summary>A theory with the needs of <see cref="NetnsFactAttribute"/> (root, namespaces, iptables/ipset); skipped with the reason otherwise.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class NetnsTheoryAttribute : TheoryAttribute
{
    public NetnsTheoryAttribute()
    {
        if (NetnsFactAttribute.s_reason.Value is { } reason)
            Skip = reason;
    }
}
