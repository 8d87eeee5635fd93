namespace Datapath.Classifier;

/// <summary>
/// OpenFlow's reserved port numbers as Open vSwitch numbers them internally (16-bit ofp_port_t,
/// OpenFlow 1.0 values), and their names in flow syntax (ovs-ofctl(8) "in_port").
/// </summary>
public static class OpenFlowPorts
{
    public const uint Max = 0xff00;
    public const uint InPort = 0xfff8;
    public const uint Table = 0xfff9;
    public const uint Normal = 0xfffa;
    public const uint Flood = 0xfffb;
    public const uint All = 0xfffc;
    public const uint Controller = 0xfffd;
    public const uint Local = 0xfffe;
    /// <summary>OFPP_NONE / OFPP_ANY.</summary>
    public const uint None = 0xffff;

    /// <summary>The reserved name of a port number, or null.</summary>
    public static string? ReservedName(uint port) => port switch
    {
        InPort => "IN_PORT",
        Table => "TABLE",
        Normal => "NORMAL",
        Flood => "FLOOD",
        All => "ALL",
        Controller => "CONTROLLER",
        Local => "LOCAL",
        None => "NONE",
        _ => null,
    };

    /// <summary>
    /// Parses a port number as ovs-ofctl's <c>ofputil_port_from_string</c> does: decimal only (no <c>0x</c>),
    /// 0 through 65535, or an OpenFlow 1.1 reserved number 0xffffff00 through 0xffffffff, which is the
    /// 16-bit reserved port 0xffff0000 below it; anything else is not a port.
    /// </summary>
    public static bool TryParseNumber(ReadOnlySpan<char> text, out uint port)
    {
        if (!uint.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port))
            return false;
        if (port <= 0xffff)
            return true;
        if (port >= 0xffffff00)
        {
            port -= 0xffff0000;
            return true;
        }
        port = 0;
        return false;
    }

    /// <summary>True when an output action may send to <paramref name="port"/> (ofpact_check_output_port: a number below <see cref="Max"/> or a reserved port other than NONE).</summary>
    public static bool IsOutputPort(uint port) => port < Max || (port != None && ReservedName(port) is not null);

    /// <summary>Parses a reserved port name (case-insensitive; <c>ANY</c> is <c>NONE</c>).</summary>
    public static bool TryParseReserved(ReadOnlySpan<char> name, out uint port)
    {
        port = name.ToString().ToUpperInvariant() switch
        {
            "IN_PORT" => InPort,
            "TABLE" => Table,
            "NORMAL" => Normal,
            "FLOOD" => Flood,
            "ALL" => All,
            "CONTROLLER" => Controller,
            "LOCAL" => Local,
            "NONE" or "ANY" => None,
            _ => 0,
        };
        return port != 0;
    }
}
