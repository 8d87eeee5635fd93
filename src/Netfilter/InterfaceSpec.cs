namespace Datapath.Netfilter;

/// <summary>
/// <c>-i</c>/<c>-o</c>: an interface name, <c>eth+</c> matching every name that starts with <c>eth</c>
/// (a lone <c>+</c> matches any, even no interface), optionally inverted with <c>!</c>.
/// </summary>
internal readonly record struct InterfaceSpec(string Name, bool Wildcard, bool Invert)
{
    public bool IsSet => Name.Length > 0 || Wildcard;

    public bool Matches(string? iface)
    {
        iface ??= string.Empty;
        bool hit = Wildcard ? iface.StartsWith(Name, StringComparison.Ordinal) : iface == Name;
        return hit ^ Invert;
    }

    public override string ToString() => (Invert ? "! " : "") + Name + (Wildcard ? "+" : "");
}
