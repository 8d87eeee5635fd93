using System.Globalization;
using System.Text;
using Datapath.Packets;

namespace Datapath.Geneve;

/// <summary>
/// Prints a GENEVE header as <c>tcpdump -e</c> does (print-geneve.c), for <c>datapath decode</c>:
/// <c>Geneve, Flags [none], vni 0x0, proto TEB (0x6558)</c>, then <c>, options [N bytes]</c>, or with
/// verbose (tcpdump -v) each option as <c>class Experimental (0xffff) type 0x80(C) len 8</c>.
/// Not a hot path (allocates the string); never throws on packet contents.
/// </summary>
public static class GeneveFormatter
{
    /// <summary>Formats the GENEVE header at the start of <paramref name="udpPayload"/>; truncated input ends in <c>[|geneve]</c> as tcpdump's does.</summary>
    public static string Format(ReadOnlySpan<byte> udpPayload, bool verbose = false)
    {
        if (!GeneveHeader.TryRead(udpPayload, out var h))
            return "Geneve [|geneve]";
        var sb = new StringBuilder("Geneve");
        if (h.Version != GeneveHeader.CurrentVersion)
            return sb.Append(CultureInfo.InvariantCulture, $" version {h.Version}").ToString();
        string flags = (h.Oam ? "O" : "") + (h.Critical ? "C" : "");
        sb.Append(CultureInfo.InvariantCulture, $", Flags [{(flags.Length == 0 ? "none" : flags)}], vni 0x{h.Vni:x}");
        sb.Append(CultureInfo.InvariantCulture, $", proto {ProtocolName(h.ProtocolType)} (0x{h.ProtocolType:x4})");
        if (h.OptionLengthWords != 0)
        {
            if (!verbose)
                return sb.Append(CultureInfo.InvariantCulture, $", options [{h.OptionsLength} bytes]").ToString();
            sb.Append(", options [");
            bool first = true;
            var e = h.EnumerateOptions();
            while (e.MoveNext())
            {
                var o = e.Current;
                if (!first)
                    sb.Append(", ");
                first = false;
                sb.Append(CultureInfo.InvariantCulture, $"class {ClassName(o.Class)} (0x{o.Class:x}) type 0x{o.Type:x}{(o.IsCritical ? "(C)" : "")} len {o.TotalLength}");
            }
            if (e.IsMalformed)
                return sb.Append(" [|geneve]").ToString();
            sb.Append(']');
        }
        return sb.ToString();
    }

    /// <summary>tcpdump's names for the option classes of the IANA registry.</summary>
    public static string ClassName(ushort optionClass) => optionClass switch
    {
        <= 0x00FF => "Standard",
        0x0100 => "Linux",
        0x0101 => "Open vSwitch",
        0x0102 => "Open Virtual Networking (OVN)",
        0x0103 => "In-band Network Telemetry (INT)",
        0x0104 => "VMware",
        0xFFFF => "Experimental",
        _ => "Unknown",
    };

    private static string ProtocolName(ushort protocolType) => protocolType switch
    {
        EtherTypes.TransparentEthernetBridging => "TEB",
        EtherTypes.IPv4 => "IPv4",
        EtherTypes.IPv6 => "IPv6",
        EtherTypes.Arp => "ARP",
        _ => "unknown",
    };
}
