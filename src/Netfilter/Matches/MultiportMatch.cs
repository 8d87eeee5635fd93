namespace Datapath.Netfilter.Matches;

/// <summary>
/// <c>-m multiport [!] --dports|--sports|--ports p[,p|,a:b]...</c> (xt_multiport v1, at most 15 ports, a range
/// counting two). <c>--ports</c> matches when the source or the destination port is listed.
/// </summary>
public sealed class MultiportMatch : XtMatch
{
    public enum Direction
    {
        Source,
        Destination,
        Either,
    }

    internal MultiportMatch(Direction direction, PortRange[] ports, bool invert)
    {
        Flags = direction;
        Ports = ports;
        Invert = invert;
    }

    public override string Name => "multiport";

    public Direction Flags { get; }

    public IReadOnlyList<PortRange> Ports { get; }

    public bool Invert { get; }

    internal override bool Matches(ref NetfilterPacket packet, NetfilterEngine engine)
    {
        ref var key = ref packet.Key;
        if ((key.NwFrag & 2) != 0)
            return false;
        ushort s = key.TpSrc, d = key.TpDst;
        foreach (var r in (PortRange[])Ports)
        {
            bool hit = Flags switch
            {
                Direction.Source => r.Contains(s),
                Direction.Destination => r.Contains(d),
                _ => r.Contains(s) || r.Contains(d),
            };
            if (hit)
                return !Invert;
        }
        return Invert;
    }
}
