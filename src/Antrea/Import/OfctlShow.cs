using System.Globalization;
using System.Text.RegularExpressions;
using Datapath.Packets;

namespace Datapath.Antrea.Import;

/// <summary>
/// The ports of <c>ovs-ofctl show br-int</c> (or <c>dump-ports-desc</c>, a support bundle's <c>ovsports</c>): each
/// <c> N(NAME): addr:MAC</c> line as ofp-print.c prints a port, LOCAL (the bridge's own port) left out. The other
/// lines (the features reply, config, state, speed, current, ...) carry nothing a scenario keeps. A port line that
/// does not read, a name that is no interface name, or an ofport or name given twice is an error at its FILE:LINE:COL.
/// </summary>
public static partial class OfctlShow
{
    public static List<OvsPortDump> Parse(DumpFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var ports = new List<OvsPortDump>();
        int n = 0;
        foreach (string raw in file.Text.Split('\n'))
        {
            n++;
            string line = raw.TrimEnd('\r');
            if (!PortStart().IsMatch(line))
                continue;
            var m = PortLine().Match(line);
            if (!m.Success)
                throw new InputException(file.Path, n, line.Length - line.TrimStart().Length + 1, "not a port line as ovs-ofctl show prints it", "' N(NAME): addr:aa:bb:cc:dd:ee:ff'");
            if (m.Groups[1].Value == "LOCAL")
                continue;
            if (!MacAddress.TryParse(m.Groups[3].Value, out _))
                throw new InputException(file.Path, n, m.Groups[3].Index + 1, $"'{m.Groups[3].Value}' is not a MAC address");
            if (!uint.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out uint ofport) || ofport is 0 or > 0xfeff)
                throw new InputException(file.Path, n, m.Groups[1].Index + 1, $"ofport {m.Groups[1].Value} is not a port number (1..65279)");
            string name = m.Groups[2].Value;
            if (YamlInput.InterfaceName(name) is { } bad)
                throw new InputException(file.Path, n, m.Groups[2].Index + 1, $"port name '{name}' {bad}");
            if (ports.FirstOrDefault(p => p.OfPort == ofport || p.Name == name) is { } other)
                throw new InputException(file.Path, n, m.Groups[1].Index + 1, $"port {ofport}({name}) repeats {(other.OfPort == ofport ? $"ofport {ofport}" : $"the name {name}")} of line {other.Line}", "a bridge numbers and names each port once");
            ports.Add(new OvsPortDump(ofport, name, m.Groups[3].Value, n));
        }
        return ports;
    }

    [GeneratedRegex(@"^\s*(\d+|LOCAL)\(")]
    private static partial Regex PortStart();

    [GeneratedRegex(@"^\s*(\d+|LOCAL)\(([^()\s]+)\): addr:(\S+)\s*$")]
    private static partial Regex PortLine();
}
