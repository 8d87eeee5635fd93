using System.Text;
using Datapath.Engine.Host;
using Datapath.Packets;

namespace Datapath.Antrea.Import;

/// <summary>
/// The routes of <c>ip route</c> or <c>ip route show table all</c> (or <c>ip -j route</c>) that the host stack routes
/// by: the main table's unicast, blackhole, unreachable and prohibit routes, each read by the host's route parser
/// (<see cref="RouteParser"/>), so a route it cannot take is an error at its FILE:LINE:COL. Left out, and counted in
/// <see cref="LeftOut"/>: the other tables (<c>table local</c>'s local and broadcast routes follow from the
/// addresses; policy tables such as Antrea's Egress tables are not routed by), and IPv6 routes.
/// </summary>
public sealed class IpRouteDump
{
    private static readonly HashSet<string> s_leftTypes = new(StringComparer.Ordinal) { "local", "broadcast", "multicast", "anycast", "nat", "throw" };

    public List<RouteDump> Routes { get; } = [];

    /// <summary>Routes left out, by why: <c>table local</c>, <c>IPv6</c>, ...</summary>
    public SortedDictionary<string, int> LeftOut { get; } = new(StringComparer.Ordinal);

    public static IpRouteDump Parse(DumpFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var dump = new IpRouteDump();
        if (file.IsJson)
        {
            foreach (var (item, line, col) in JsonDump.Items(file))
                dump.AddJson(file, item, line, col);
            return dump;
        }
        foreach (var (line, n) in file.Lines())
        {
            if (line.TrimStart().StartsWith('#'))
                continue;
            if (char.IsWhiteSpace(line[0]) && line.TrimStart().StartsWith("nexthop", StringComparison.Ordinal))
                throw new InputException(file.Path, n, line.Length - line.TrimStart().Length + 1, "multipath routes (nexthop ...) are not run by this host stack", "keep one path: 'PREFIX via GW dev DEV'");
            var words = IpNeighDump.Words(line);
            string? table = null;
            var text = new StringBuilder(line);
            for (int i = 0; i + 1 < words.Count; i++)
            {
                if (words[i].Text != "table")
                    continue;
                table = words[i + 1].Text;
                // Blanked, not removed: the route parser's columns stay the dump's.
                int from = words[i].Column - 1, to = words[i + 1].Column - 1 + table.Length;
                for (int k = from; k < to; k++)
                    text[k] = ' ';
            }
            string type = words[0].Text;
            string dest = s_leftTypes.Contains(type) || type is "unicast" or "blackhole" or "unreachable" or "prohibit" ? (words.Count > 1 ? words[1].Text : "") : type;
            if (table is not null and not "main" and not "254")
            {
                dump.Leave($"table {table}");
                continue;
            }
            if (s_leftTypes.Contains(type))
            {
                dump.Leave($"{type} routes");
                continue;
            }
            if (dest.Contains(':', StringComparison.Ordinal))
            {
                dump.Leave("IPv6");
                continue;
            }
            string route = text.ToString();
            dump.Routes.Add(new RouteDump(string.Join(' ', route.Split(' ', StringSplitOptions.RemoveEmptyEntries)), RouteParser.Parse(route, file.Path, n), n));
        }
        return dump;
    }

    private void AddJson(DumpFile file, System.Text.Json.JsonElement item, int line, int col)
    {
        string dst = JsonDump.String(item, "dst") ?? throw new InputException(file.Path, line, col, "a route without \"dst\"");
        string type = JsonDump.String(item, "type") ?? "unicast";
        string table = JsonDump.String(item, "table") ?? "main";
        if (table is not "main" and not "254")
        {
            Leave($"table {table}");
            return;
        }
        if (s_leftTypes.Contains(type))
        {
            Leave($"{type} routes");
            return;
        }
        if (dst.Contains(':', StringComparison.Ordinal))
        {
            Leave("IPv6");
            return;
        }
        var sb = new StringBuilder();
        if (type != "unicast")
            sb.Append(type).Append(' ');
        sb.Append(dst);
        if (JsonDump.String(item, "gateway") is { } gw)
            sb.Append(" via ").Append(gw);
        if (JsonDump.String(item, "dev") is { } dev)
            sb.Append(" dev ").Append(dev);
        if (JsonDump.String(item, "protocol") is { } proto)
            sb.Append(" proto ").Append(proto);
        if (JsonDump.String(item, "scope") is { } scope and not "global")
            sb.Append(" scope ").Append(scope);
        if (JsonDump.String(item, "prefsrc") is { } src)
            sb.Append(" src ").Append(src);
        if (JsonDump.Integer(item, "metric") is { } metric)
            sb.Append(" metric ").Append(metric);
        foreach (string flag in JsonDump.Strings(item, "flags"))
            sb.Append(' ').Append(flag);
        string text = sb.ToString();
        try
        {
            Routes.Add(new RouteDump(text, RouteParser.Parse(text, file.Path, line), line));
        }
        catch (InputException e)
        {
            throw new InputException(file.Path, line, col, $"route '{text}': {e.What}", e.Hint);
        }
    }

    private void Leave(string why) => LeftOut[why] = LeftOut.GetValueOrDefault(why) + 1;
}
