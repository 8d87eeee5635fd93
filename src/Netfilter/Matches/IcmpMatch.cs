namespace Datapath.Netfilter.Matches;

/// <summary><c>-m icmp [!] --icmp-type {type[/code]|name|any}</c> (ipt_icmp); the key holds type in TpSrc, code in TpDst.</summary>
public sealed class IcmpMatch : XtMatch
{
    public override string Name => "icmp";

    /// <summary>0xFF means any type.</summary>
    public byte Type { get; internal set; } = 0xFF;

    public byte MinCode { get; internal set; }

    public byte MaxCode { get; internal set; } = 0xFF;

    public bool Invert { get; internal set; }

    internal override bool Matches(ref NetfilterPacket packet, NetfilterEngine engine)
    {
        ref var key = ref packet.Key;
        if ((key.NwFrag & 2) != 0)
            return false;
        byte type = (byte)key.TpSrc, code = (byte)key.TpDst;
        bool hit = Type == 0xFF || (type == Type && code >= MinCode && code <= MaxCode);
        return hit ^ Invert;
    }

    /// <summary>The names iptables accepts for --icmp-type (iptables -p icmp -h), with their type and code range.</summary>
    internal static bool TryLookupName(string name, out byte type, out byte minCode, out byte maxCode)
    {
        (type, minCode, maxCode) = name switch
        {
            "any" => ((byte)0xFF, (byte)0, (byte)0xFF),
            "echo-reply" or "pong" => ((byte)0, (byte)0, (byte)0xFF),
            "destination-unreachable" => ((byte)3, (byte)0, (byte)0xFF),
            "network-unreachable" => ((byte)3, (byte)0, (byte)0),
            "host-unreachable" => ((byte)3, (byte)1, (byte)1),
            "protocol-unreachable" => ((byte)3, (byte)2, (byte)2),
            "port-unreachable" => ((byte)3, (byte)3, (byte)3),
            "fragmentation-needed" => ((byte)3, (byte)4, (byte)4),
            "source-route-failed" => ((byte)3, (byte)5, (byte)5),
            "network-prohibited" => ((byte)3, (byte)9, (byte)9),
            "host-prohibited" => ((byte)3, (byte)10, (byte)10),
            "communication-prohibited" => ((byte)3, (byte)13, (byte)13),
            "source-quench" => ((byte)4, (byte)0, (byte)0xFF),
            "redirect" => ((byte)5, (byte)0, (byte)0xFF),
            "echo-request" or "ping" => ((byte)8, (byte)0, (byte)0xFF),
            "router-advertisement" => ((byte)9, (byte)0, (byte)0xFF),
            "router-solicitation" => ((byte)10, (byte)0, (byte)0xFF),
            "time-exceeded" or "ttl-exceeded" => ((byte)11, (byte)0, (byte)0xFF),
            "ttl-zero-during-transit" => ((byte)11, (byte)0, (byte)0),
            "ttl-zero-during-reassembly" => ((byte)11, (byte)1, (byte)1),
            "parameter-problem" => ((byte)12, (byte)0, (byte)0xFF),
            "timestamp-request" => ((byte)13, (byte)0, (byte)0xFF),
            "timestamp-reply" => ((byte)14, (byte)0, (byte)0xFF),
            _ => ((byte)0, (byte)0, (byte)0),
        };
        return name is "any" or "echo-reply" or "pong" or "destination-unreachable" or "network-unreachable"
            or "host-unreachable" or "protocol-unreachable" or "port-unreachable" or "fragmentation-needed"
            or "source-route-failed" or "network-prohibited" or "host-prohibited" or "communication-prohibited"
            or "source-quench" or "redirect" or "echo-request" or "ping" or "router-advertisement"
            or "router-solicitation" or "time-exceeded" or "ttl-exceeded" or "ttl-zero-during-transit"
            or "ttl-zero-during-reassembly" or "parameter-problem" or "timestamp-request" or "timestamp-reply";
    }
}
