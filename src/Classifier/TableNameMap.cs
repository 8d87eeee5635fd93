using System.Globalization;
using System.Text;
using Datapath.Packets;

namespace Datapath.Classifier;

// Table name map
// ==============
//
// What?
// -----
// A bridge's OpenFlow table names: the `name` column of the Flow_Table rows its `flow_tables` map
// points at in OVSDB, which ovs-ofctl reads back as table features and keeps in an
// ofputil_table_map (lib/ofp-table.c) so that `table=NAME`, `resubmit(,NAME)`, `goto_table:NAME` and
// `ct(table=NAME)` parse and `--names` prints names.
//
// Design
// ------
// Two dictionaries, name -> number and number -> name, filled as OVS's namemap_put fills its two
// hash maps: a second name for a number, or a second number for a name, makes the entry ambiguous,
// and an ambiguous entry is never used either way (ofputil_table_map_get_name/get_number return
// nothing for it). Reading a table (ofputil_table_from_string) tries a decimal number first, then a
// name, bare or JSON-quoted; printing (ofputil_format_table, namemap_put_name) gives the name bare
// when it is a letter followed by letters and digits, JSON-quoted otherwise, and the number when the
// table has no usable name.
//
// Invariants
// ----------
//  - _byName[n] == t exactly when _byNumber[t] == n, and neither is ambiguous.
//  - A name is never empty and never all digits (it could not be told from a number).
//
// Thread-safety
// -------------
// Construction: single-threaded. After it the map is immutable: any thread reads it.
//
// Cost
// ----
// One dictionary lookup per name read or printed; memory is the names. Never on a packet's path.
public sealed class TableNameMap
{
    private readonly Dictionary<string, byte> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<byte, string> _byNumber = [];
    private readonly List<(byte Table, string Name)> _entries = [];

    /// <summary>The names of <paramref name="tables"/>, put in order as OVS's namemap_put puts them.</summary>
    /// <exception cref="ArgumentException">A name is empty or all digits.</exception>
    public TableNameMap(IEnumerable<KeyValuePair<byte, string>> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var ambiguousNames = new HashSet<string>(StringComparer.Ordinal);
        var ambiguousNumbers = new HashSet<byte>();
        var firstName = new Dictionary<byte, string>();
        var firstNumber = new Dictionary<string, byte>(StringComparer.Ordinal);
        foreach (var (table, name) in tables)
        {
            if (Problem(name) is { } problem)
                throw new ArgumentException($"table {table}: name '{name}' {problem}", nameof(tables));
            _entries.Add((table, name));
            if (firstNumber.TryGetValue(name, out byte other))
            {
                if (other != table)
                    ambiguousNames.Add(name);
                continue;
            }
            if (firstName.ContainsKey(table))
            {
                ambiguousNumbers.Add(table);
                continue;
            }
            firstNumber[name] = table;
            firstName[table] = name;
        }
        foreach (var (name, table) in firstNumber)
        {
            if (ambiguousNames.Contains(name) || ambiguousNumbers.Contains(table))
                continue;
            _byName[name] = table;
            _byNumber[table] = name;
        }
    }

    /// <summary>Why <paramref name="name"/> cannot name a table, or null when it can.</summary>
    public static string? Problem(string? name)
        => string.IsNullOrEmpty(name) ? "is empty"
            : name.All(char.IsAsciiDigit) ? "is a number, which ovs-ofctl reads as the table's number"
            : null;

    /// <summary>Every (table, name) pair as given, ambiguous ones included.</summary>
    public IReadOnlyList<(byte Table, string Name)> Entries => _entries;

    /// <summary>The usable names, in table order (what "did you mean" offers).</summary>
    public IEnumerable<string> Names => _byNumber.OrderBy(p => p.Key).Select(p => p.Value);

    /// <summary>The table's name, or null when it has none or an ambiguous one.</summary>
    public string? NameOf(byte table) => _byNumber.GetValueOrDefault(table);

    /// <summary>The table a name stands for (no ambiguous name does).</summary>
    public bool TryGetTable(string name, out byte table) => _byName.TryGetValue(name, out table);

    /// <summary>
    /// Reads a table as ovs-ofctl does (ofputil_table_from_string): a decimal number 0..255, or a name of
    /// <paramref name="names"/>, bare or JSON-quoted. 255 (OFPTT_ALL) is for the caller to judge.
    /// </summary>
    public static bool TryParse(string text, TableNameMap? names, out byte table)
    {
        ArgumentNullException.ThrowIfNull(text);
        table = 0;
        if (text.Length > 0 && text.All(char.IsAsciiDigit))
        {
            bool ok = uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint n) && n <= 255;
            table = ok ? (byte)n : (byte)0;
            return ok;
        }
        if (names is null)
            return false;
        string? name = text.Length > 1 && text[0] == '"' && text[^1] == '"' ? Unquote(text.AsSpan(1, text.Length - 2)) : text;
        return name is not null && names.TryGetTable(name, out table);
    }

    /// <summary>
    /// The error for a table text that <see cref="TryParse"/> refused, in ovs-ofctl's words
    /// (<c>unknown table "Spoofguard"</c>), with a "did you mean" among <paramref name="names"/>.
    /// </summary>
    public static (string What, string? Hint) UnknownTable(string text, TableNameMap? names)
    {
        ArgumentNullException.ThrowIfNull(text);
        string what = $"unknown table \"{text}\"";
        if (text.Length > 0 && text.All(char.IsAsciiDigit))
            return (what, "a table is a number from 0 to 254 (255 means every table)");
        if (names is null || !names.Names.Any())
            return (what, "this bridge has no table names: give the table's number (0..254), or name its tables (a scenario's cluster.yaml: tables:)");
        string bare = text.Trim('"');
        return DidYouMean.Closest(bare, names.Names) is { } close
            ? (what + $" (did you mean {Format(close)}?)", null)
            : (what, $"the bridge's tables are named {string.Join(", ", names.Names.Select(Format))}");
    }

    /// <summary>Appends the table as ovs-ofctl prints it (ofputil_format_table): its name when it has one, else its number.</summary>
    public static StringBuilder Append(StringBuilder sb, byte table, TableNameMap? names)
    {
        ArgumentNullException.ThrowIfNull(sb);
        return names?.NameOf(table) is { } name
            ? sb.Append(Format(name))
            : sb.Append(table.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>A table or port name as OVS prints one (namemap_put_name): bare when it is a letter followed by letters and digits, else JSON-quoted.</summary>
    public static string Format(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        bool bare = name.Length > 0 && char.IsAsciiLetter(name[0]) && name.All(char.IsAsciiLetterOrDigit);
        if (bare)
            return name;
        // json_string_escape: quotes, backslashes and control characters escaped, nothing else.
        var sb = new StringBuilder(name.Length + 2).Append('"');
        foreach (char c in name)
        {
            _ = c switch
            {
                '"' => sb.Append("\\\""),
                '\\' => sb.Append("\\\\"),
                '\n' => sb.Append("\\n"),
                '\t' => sb.Append("\\t"),
                '\r' => sb.Append("\\r"),
                '\b' => sb.Append("\\b"),
                '\f' => sb.Append("\\f"),
                < ' ' => sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
                _ => sb.Append(c),
            };
        }
        return sb.Append('"').ToString();
    }

    // json_string_unescape of a quoted name's inside; null when it is not a JSON string's inside.
    private static string? Unquote(ReadOnlySpan<char> inside)
    {
        var sb = new StringBuilder(inside.Length);
        for (int i = 0; i < inside.Length; i++)
        {
            char c = inside[i];
            if (c == '"')
                return null;
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }
            if (++i >= inside.Length)
                return null;
            switch (inside[i])
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u' when i + 4 < inside.Length
                    && ushort.TryParse(inside.Slice(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort u):
                    sb.Append((char)u);
                    i += 4;
                    break;
                default:
                    return null;
            }
        }
        return sb.ToString();
    }
}
