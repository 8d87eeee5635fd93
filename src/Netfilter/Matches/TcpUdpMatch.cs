namespace Datapath.Netfilter.Matches;

/// <summary>
/// <c>-m tcp</c> / <c>-m udp</c> (xt_tcpudp): <c>[!] --sport a[:b]</c>, <c>[!] --dport a[:b]</c>, and for TCP
/// <c>[!] --tcp-flags MASK COMP</c> and <c>[!] --syn</c> (= <c>--tcp-flags SYN,RST,ACK,FIN SYN</c>).
/// Later fragments never match (they carry no ports).
/// </summary>
public sealed class TcpUdpMatch : XtMatch
{
    internal TcpUdpMatch(string name) => Name = name;

    public override string Name { get; }

    public PortRange SourcePorts { get; internal set; } = PortRange.All;

    public bool SourceInvert { get; internal set; }

    public PortRange DestinationPorts { get; internal set; } = PortRange.All;

    public bool DestinationInvert { get; internal set; }

    /// <summary>TCP flag bits to examine (FIN=0x01 ... CWR=0x80), 0 when no flag test.</summary>
    public byte FlagMask { get; internal set; }

    public byte FlagCompare { get; internal set; }

    public bool FlagInvert { get; internal set; }

    internal override bool Matches(ref NetfilterPacket packet, NetfilterEngine engine)
    {
        ref var key = ref packet.Key;
        if ((key.NwFrag & 2) != 0)
            return false;
        if (SourcePorts.Contains(key.TpSrc) == SourceInvert)
            return false;
        if (DestinationPorts.Contains(key.TpDst) == DestinationInvert)
            return false;
        if (FlagMask != 0 && (((key.TcpFlags & FlagMask) == FlagCompare) == FlagInvert))
            return false;
        return true;
    }
}
