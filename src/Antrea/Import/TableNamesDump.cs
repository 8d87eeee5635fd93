using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Datapath.Packets;

namespace Datapath.Antrea.Import;

/// <summary>
/// The numbers of a bridge's named tables. From <c>ovs-ofctl dump-tables br-int</c> (<c>  table 3 ("SpoofGuard"):</c>)
/// when it was collected; else from the flows themselves: a dump that names its tables (<c>--names</c>, as a support
/// bundle's is) lists them in table order, so every name gets the smallest number above the table before it (table 0
/// is never printed), and a name only actions use (<c>resubmit(,NAME)</c>) one above all. Names that are all Antrea
/// v0.10's get its numbers (<see cref="AntreaTables"/>).
/// </summary>
public static partial class TableNamesDump
{
    /// <summary>The dump-tables numbers and names (names OpenFlow 1.0 cut to 31 characters stay cut).</summary>
    public static List<KeyValuePair<byte, string>> ParseDumpTables(DumpFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var tables = new List<KeyValuePair<byte, string>>();
        int n = 0;
        foreach (string raw in file.Text.Split('\n'))
        {
            n++;
            var m = NamedTable().Match(raw);
            if (!m.Success)
                continue;
            if (!byte.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out byte t) || t > 254)
                throw new InputException(file.Path, n, m.Groups[1].Index + 1, $"table {m.Groups[1].Value} is not a table number (0..254)");
            tables.Add(new(t, m.Groups[2].Value));
        }
        return tables;
    }

    /// <summary>
    /// The bridge's table names: <paramref name="fromDump"/> (dump-tables) where it was collected, its names cut to 31
    /// characters completed from the flows; the names <paramref name="flowsText"/> uses beyond it numbered as the class
    /// comment says (<paramref name="guessed"/>); null when nothing names a table.
    /// </summary>
    public static List<KeyValuePair<byte, string>>? Number(string flowsText, string file, List<KeyValuePair<byte, string>>? fromDump, out bool guessed)
    {
        guessed = false;
        var inOrder = new List<(string Name, byte? After)>();
        var numbers = new HashSet<int>();
        var actionNames = new List<string>();
        int last = 0;
        foreach (string raw in flowsText.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            int actions = line.IndexOf("actions=", StringComparison.Ordinal);
            string match = actions >= 0 ? line[..actions] : line;
            foreach (Match m in MatchTable().Matches(match))
            {
                string v = Unquote(m.Groups[1].Value);
                if (int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int t))
                {
                    numbers.Add(t);
                    last = t;
                }
                else if (!inOrder.Any(x => x.Name == v))
                {
                    inOrder.Add((v, (byte)Math.Min(last, 254)));
                }
            }
            if (actions >= 0)
            {
                foreach (Match m in ActionTable().Matches(line[actions..]))
                {
                    string v = Unquote(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Success ? m.Groups[2].Value : m.Groups[3].Value);
                    if (v.Length == 0)
                        continue;
                    if (int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int t))
                        numbers.Add(t);
                    else if (!actionNames.Contains(v))
                        actionNames.Add(v);
                }
            }
        }
        var names = inOrder.Select(x => x.Name).Concat(actionNames.Where(a => inOrder.All(x => x.Name != a))).ToList();
        // dump-tables names every named table; a name OpenFlow 1.0 cut to 31 characters takes the flows' full name.
        var result = fromDump is null ? [] : new List<KeyValuePair<byte, string>>(fromDump);
        var unknown = new List<string>();
        foreach (string name in names)
        {
            int hit = result.FindIndex(t => t.Value == name);
            if (hit < 0 && name.Length > OfctlRepliesMaxName)
                hit = result.FindIndex(t => t.Value == name[..OfctlRepliesMaxName]);
            if (hit >= 0)
                result[hit] = new(result[hit].Key, name);
            else
                unknown.Add(name);
        }
        if (result.Count == 0 && unknown.Count == 0)
            return null;
        if (unknown.Count == 0)
            return result;
        if (result.Count == 0 && unknown.All(u => AntreaTables.NameSets["antrea-v0.10"].Any(t => t.Value == u)))
            return [.. AntreaTables.NameSets["antrea-v0.10"].Where(t => unknown.Contains(t.Value))];
        guessed = true;
        var used = new HashSet<int>(numbers.Concat(result.Select(r => (int)r.Key)));
        int top = 0;
        foreach (var (name, after) in inOrder.Where(x => unknown.Contains(x.Name)))
        {
            int t = Math.Max(after ?? 0, top) + 1;
            while (used.Contains(t))
                t++;
            used.Add(t);
            top = t;
            result.Add(new(TableNumber(t, name, file), name));
        }
        foreach (string name in unknown.Where(u => inOrder.All(x => x.Name != u)))
        {
            int t = Math.Max(top, used.Count == 0 ? 0 : used.Max()) + 1;
            while (used.Contains(t))
                t++;
            used.Add(t);
            top = t;
            result.Add(new(TableNumber(t, name, file), name));
        }
        return result;
    }

    private static byte TableNumber(int t, string name, string file)
        => t <= 254 ? (byte)t : throw InputException.InFile(file, $"table '{name}' finds no number below 255 after the tables before it", "collect `ovs-ofctl dump-tables br-int` on the node: it gives every table's number");

    private const int OfctlRepliesMaxName = 31;

    /// <summary>A table value as OVS prints it: bare, or JSON-quoted when it is not a plain word.</summary>
    private static string Unquote(string v)
        => v.Length >= 2 && v[0] == '"' ? JsonSerializer.Deserialize<string>(v) ?? v : v;

    [GeneratedRegex(@"^\s*table (\d+) \(""(.*)""\):")]
    private static partial Regex NamedTable();

    [GeneratedRegex(@"(?:^|[\s,])table=(""(?:[^""\\]|\\.)*""|[^,\s]+)")]
    private static partial Regex MatchTable();

    [GeneratedRegex(@"resubmit\([^,()]*,(""(?:[^""\\]|\\.)*""|[^,)]*)|goto_table:(""(?:[^""\\]|\\.)*""|[^,\s]+)|[(,]table=(""(?:[^""\\]|\\.)*""|[^,)\s]+)")]
    private static partial Regex ActionTable();
}
