using Datapath.Conntrack;
using System.Globalization;
using System.Text;
using Datapath.Packets;

namespace Datapath.Netfilter;

/// <summary>
/// The argument of DNAT <c>--to-destination</c>, SNAT <c>--to-source</c> and MASQUERADE <c>--to-ports</c>:
/// <c>[ipaddr[-ipaddr]][:port[-port]]</c> plus flags (nf_nat_range2). Addresses are host order.
/// </summary>
public readonly record struct NatRange(uint MinAddress, uint MaxAddress, ushort MinPort, ushort MaxPort, NatRangeFlags Flags)
{
    public bool MapsAddress => (Flags & NatRangeFlags.MapIps) != 0;

    public bool MapsPort => (Flags & NatRangeFlags.ProtoSpecified) != 0;

    /// <summary>
    /// Picks the tuple a new connection gets, as the kernel's find_best_ips_proto does before conntrack's
    /// uniqueness check: the address from a hash of the connection's addresses (of the source only with
    /// --persistent), the port kept when it lies in the range (or no range is given), else the range's first.
    /// </summary>
    public void Select(in FlowKey key, NatManip manip, out uint address, out ushort port)
    {
        bool dst = manip == NatManip.Destination;
        address = dst ? key.NwDst : key.NwSrc;
        port = dst ? key.TpDst : key.TpSrc;
        if (MapsAddress)
        {
            ulong count = (ulong)MaxAddress - MinAddress + 1;
            if (count == 1)
            {
                address = MinAddress;
            }
            else
            {
                uint h = Mix(key.NwSrc, (Flags & NatRangeFlags.Persistent) != 0 ? 0 : key.NwDst);
                address = (uint)(MinAddress + (h % count));
            }
        }
        if (MapsPort && (port < MinPort || port > MaxPort))
            port = MinPort;
    }

    private static uint Mix(uint a, uint b)
    {
        ulong x = ((ulong)a << 32) | b;
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdUL;
        x ^= x >> 33;
        return (uint)x;
    }

    /// <summary>The range as iptables-save prints it: <c>10.0.0.1-10.0.0.3:80-90</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        if (MapsAddress)
        {
            sb.Append(new Ipv4Address(MinAddress).ToString());
            if (MaxAddress != MinAddress)
                sb.Append('-').Append(new Ipv4Address(MaxAddress).ToString());
        }
        if (MapsPort)
        {
            sb.Append(':').Append(MinPort.ToString(CultureInfo.InvariantCulture));
            if (MaxPort != MinPort)
                sb.Append('-').Append(MaxPort.ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
