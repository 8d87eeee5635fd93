using System.Globalization;
using System.Text.RegularExpressions;
using Datapath.Packets;

namespace Datapath.Antrea.Import;

/// <summary>
/// The devices of <c>ip addr</c> or <c>ip link</c> as iproute2 prints them (<c>6: antrea-gw0: &lt;...&gt; mtu 1450
/// ...</c>, <c>    link/ether MAC brd ...</c>, <c>    inet 10.222.1.1/24 brd ... scope global antrea-gw0</c>), or
/// their <c>ip -j</c> forms (<c>ifname</c>, <c>mtu</c>, <c>address</c>, <c>addr_info</c>). IPv6 addresses are left
/// out (the host stack is IPv4). A device header or an inet line that does not read is an error at its FILE:LINE:COL.
/// </summary>
public static partial class IpAddrDump
{
    public static List<HostInterfaceDump> Parse(DumpFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return file.IsJson ? ParseJson(file) : ParseText(file);
    }

    private static List<HostInterfaceDump> ParseText(DumpFile file)
    {
        var devices = new List<HostInterfaceDump>();
        HostInterfaceDump? current = null;
        foreach (var (line, n) in file.Lines())
        {
            if (!char.IsWhiteSpace(line[0]))
            {
                var m = Header().Match(line);
                if (!m.Success)
                    throw new InputException(file.Path, n, 1, "not a device line as ip addr prints it", "'N: NAME: <FLAGS> mtu MTU ...'");
                current = new HostInterfaceDump(m.Groups[1].Value);
                var mtu = Mtu().Match(line);
                if (mtu.Success)
                    current.Mtu = int.Parse(mtu.Groups[1].Value, CultureInfo.InvariantCulture);
                devices.Add(current);
                continue;
            }
            string s = line.TrimStart();
            int col = line.Length - s.Length + 1;
            if (current is null)
                throw new InputException(file.Path, n, col, "an address line before any device line");
            string[] words = s.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words[0].StartsWith("link/", StringComparison.Ordinal) && words.Length > 1 && words[0] != "link/loopback" && words[0] != "link/none")
            {
                if (words[0] == "link/ether")
                {
                    if (!MacAddress.TryParse(words[1], out _))
                        throw new InputException(file.Path, n, col + words[0].Length + 1, $"'{words[1]}' is not a MAC address");
                    current.Mac = words[1];
                }
            }
            else if (words[0] == "inet")
            {
                if (words.Length < 2 || YamlInput.Ipv4Interface(words[1].Contains('/', StringComparison.Ordinal) ? words[1] : words[1] + "/32") is { } why)
                    throw new InputException(file.Path, n, col + 5, $"inet '{(words.Length > 1 ? words[1] : "")}' {(words.Length > 1 ? "is not an IPv4 address with its prefix" : "has no address")}");
                current.Addresses.Add(words[1].Contains('/', StringComparison.Ordinal) ? words[1] : words[1] + "/32");
            }
        }
        return devices;
    }

    private static List<HostInterfaceDump> ParseJson(DumpFile file)
    {
        var devices = new List<HostInterfaceDump>();
        foreach (var (item, line, col) in JsonDump.Items(file))
        {
            string name = JsonDump.String(item, "ifname") ?? throw new InputException(file.Path, line, col, "a device without \"ifname\"");
            var d = new HostInterfaceDump(name) { Mtu = (int)(JsonDump.Integer(item, "mtu") ?? 0) };
            if (JsonDump.String(item, "link_type") is "ether" && JsonDump.String(item, "address") is { } mac)
            {
                if (!MacAddress.TryParse(mac, out _))
                    throw new InputException(file.Path, line, col, $"device {name}: \"address\" '{mac}' is not a MAC address");
                d.Mac = mac;
            }
            if (item.TryGetProperty("addr_info", out var infos) && infos.ValueKind == System.Text.Json.JsonValueKind.Array)
            {
                foreach (var a in infos.EnumerateArray())
                {
                    if (JsonDump.String(a, "family") != "inet")
                        continue;
                    string cidr = $"{JsonDump.String(a, "local")}/{JsonDump.Integer(a, "prefixlen") ?? 32}";
                    if (YamlInput.Ipv4Interface(cidr) is not null)
                        throw new InputException(file.Path, line, col, $"device {name}: address '{cidr}' is not an IPv4 address with its prefix");
                    d.Addresses.Add(cidr);
                }
            }
            devices.Add(d);
        }
        return devices;
    }

    [GeneratedRegex(@"^\d+: ([^\s:@]+)(@\S+)?: <[^>]*>")]
    private static partial Regex Header();

    [GeneratedRegex(@" mtu (\d+)")]
    private static partial Regex Mtu();
}
