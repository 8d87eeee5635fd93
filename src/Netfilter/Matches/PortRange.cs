namespace Datapath.Netfilter.Matches;

/// <summary>A port or an inclusive range <c>a:b</c> (<c>:b</c> is 0:b, <c>a:</c> is a:65535).</summary>
public readonly record struct PortRange(ushort Min, ushort Max)
{
    public static readonly PortRange All = new(0, 65535);

    public bool Contains(ushort port) => port >= Min && port <= Max;

    public bool IsSingle => Min == Max;
}
