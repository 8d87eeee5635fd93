namespace Datapath.Netfilter.Matches;

/// <summary>
/// <c>-m addrtype [[!] --src-type TYPES] [[!] --dst-type TYPES] [--limit-iface-in|--limit-iface-out]</c>
/// (xt_addrtype v1): the address's type as the node classifies it has any of the listed types.
/// </summary>
public sealed class AddrTypeMatch : XtMatch
{
    public override string Name => "addrtype";

    public AddressTypes SourceTypes { get; internal set; }

    public bool SourceInvert { get; internal set; }

    public AddressTypes DestinationTypes { get; internal set; }

    public bool DestinationInvert { get; internal set; }

    public bool LimitInterfaceIn { get; internal set; }

    public bool LimitInterfaceOut { get; internal set; }

    internal override bool Matches(ref NetfilterPacket packet, NetfilterEngine engine)
    {
        var host = engine.Host;
        string? limit = LimitInterfaceIn ? packet.InInterface ?? string.Empty
            : LimitInterfaceOut ? packet.OutInterface ?? string.Empty : null;
        if (SourceTypes != AddressTypes.None)
        {
            var t = host?.Classify(packet.Key.NwSrc, limit) ?? AddressTypes.Unicast;
            if (((t & SourceTypes) != 0) == SourceInvert)
                return false;
        }
        if (DestinationTypes != AddressTypes.None)
        {
            var t = host?.Classify(packet.Key.NwDst, limit) ?? AddressTypes.Unicast;
            if (((t & DestinationTypes) != 0) == DestinationInvert)
                return false;
        }
        return true;
    }

    internal static bool TryParseTypes(string text, out AddressTypes types)
    {
        types = AddressTypes.None;
        foreach (var part in text.Split(','))
        {
            AddressTypes t = part.ToUpperInvariant() switch
            {
                "UNSPEC" => AddressTypes.Unspec,
                "UNICAST" => AddressTypes.Unicast,
                "LOCAL" => AddressTypes.Local,
                "BROADCAST" => AddressTypes.Broadcast,
                "ANYCAST" => AddressTypes.Anycast,
                "MULTICAST" => AddressTypes.Multicast,
                "BLACKHOLE" => AddressTypes.Blackhole,
                "UNREACHABLE" => AddressTypes.Unreachable,
                "PROHIBIT" => AddressTypes.Prohibit,
                "THROW" => AddressTypes.Throw,
                "NAT" => AddressTypes.Nat,
                "XRESOLVE" => AddressTypes.XResolve,
                _ => AddressTypes.None,
            };
            if (t == AddressTypes.None)
                return false;
            types |= t;
        }
        return true;
    }
}
