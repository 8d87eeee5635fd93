using Datapath.Packets;

namespace Datapath.Antrea.Import;

/// <summary>
/// The entries of <c>ip neigh</c> (<c>10.79.1.1 dev ens160 lladdr 00:0c:29:fa:d8:a8 REACHABLE</c>, <c>10.222.1.99 dev
/// antrea-gw0 FAILED</c>) or <c>ip -j neigh</c> (<c>dst</c>, <c>dev</c>, <c>lladdr</c>, <c>state</c>), as iproute2's
/// print_neigh writes them; IPv6 entries are left out (the host stack is IPv4). A word it does not print is an error
/// at its FILE:LINE:COL.
/// </summary>
public static class IpNeighDump
{
    private static readonly HashSet<string> s_states = new(StringComparer.Ordinal)
    {
        "INCOMPLETE", "REACHABLE", "STALE", "DELAY", "PROBE", "FAILED", "NOARP", "PERMANENT", "NONE",
    };

    private static readonly HashSet<string> s_flags = new(StringComparer.Ordinal) { "router", "proxy", "extern_learn", "offload", "managed", "externally_learned" };

    public static List<NeighborDump> Parse(DumpFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return file.IsJson ? ParseJson(file) : ParseText(file);
    }

    private static List<NeighborDump> ParseText(DumpFile file)
    {
        var entries = new List<NeighborDump>();
        foreach (var (line, n) in file.Lines())
        {
            var words = Words(line);
            string ip = words[0].Text;
            bool v6 = ip.Contains(':', StringComparison.Ordinal);
            if (!v6 && !Ipv4Address.TryParse(ip, out _))
                throw new InputException(file.Path, n, words[0].Column, $"'{ip}' is not an address", "ip neigh prints 'ADDRESS dev DEV lladdr MAC STATE'");
            string? dev = null, mac = null, state = "NONE";
            for (int i = 1; i < words.Count; i++)
            {
                var (w, col) = words[i];
                switch (w)
                {
                    case "dev" or "lladdr" or "proto" or "vrf" when i + 1 < words.Count:
                        string value = words[++i].Text;
                        if (w == "dev")
                            dev = value;
                        else if (w == "lladdr")
                            mac = value;
                        if (w == "lladdr" && !v6 && !MacAddress.TryParse(value, out _))
                            throw new InputException(file.Path, n, words[i].Column, $"lladdr '{value}' is not a MAC address");
                        break;
                    case var s when s_states.Contains(s):
                        state = s;
                        break;
                    case var f when s_flags.Contains(f):
                        break;
                    default:
                        throw new InputException(file.Path, n, col, $"'{w}' is not a word ip neigh prints", "'ADDRESS dev DEV [lladdr MAC] [router] STATE'");
                }
            }
            if (dev is null)
                throw new InputException(file.Path, n, line.Length + 1, "the entry has no 'dev DEVICE'");
            if (!v6)
                entries.Add(new NeighborDump(ip, dev, mac, state, n));
        }
        return entries;
    }

    private static List<NeighborDump> ParseJson(DumpFile file)
    {
        var entries = new List<NeighborDump>();
        foreach (var (item, line, col) in JsonDump.Items(file))
        {
            string ip = JsonDump.String(item, "dst") ?? throw new InputException(file.Path, line, col, "an entry without \"dst\"");
            string dev = JsonDump.String(item, "dev") ?? throw new InputException(file.Path, line, col, $"entry {ip}: no \"dev\"");
            if (ip.Contains(':', StringComparison.Ordinal))
                continue;
            if (!Ipv4Address.TryParse(ip, out _))
                throw new InputException(file.Path, line, col, $"\"dst\" '{ip}' is not an address");
            string? mac = JsonDump.String(item, "lladdr");
            if (mac is not null && !MacAddress.TryParse(mac, out _))
                throw new InputException(file.Path, line, col, $"entry {ip}: \"lladdr\" '{mac}' is not a MAC address");
            entries.Add(new NeighborDump(ip, dev, mac, JsonDump.Strings(item, "state").FirstOrDefault() ?? "NONE", line));
        }
        return entries;
    }

    /// <summary>The words of a line with their 1-based columns.</summary>
    internal static List<(string Text, int Column)> Words(string line)
    {
        var words = new List<(string, int)>();
        int i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && char.IsWhiteSpace(line[i]))
                i++;
            int start = i;
            while (i < line.Length && !char.IsWhiteSpace(line[i]))
                i++;
            if (i > start)
                words.Add((line[start..i], start + 1));
        }
        return words;
    }
}
