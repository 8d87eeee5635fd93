using System.Globalization;
using System.Text;

namespace Datapath.Antrea.Compile;

/// <summary>
/// The flows of one Antrea 2.x bridge being assembled, printed as <c>ovs-ofctl dump-flows br-int --names --no-stats</c>
/// lists them: by table (the pipeline's order, <see cref="AntreaTables.V2FlowTables"/>), then by priority, highest
/// first, then by the line's text. A flow's cookie is the agent's cookie.ID for its first round: round 1 in bits
/// 48..63, the feature's category in bits 40..47, an object id (a Service's group for its learn flows) below.
/// </summary>
internal sealed class AntreaV2FlowSet
{
    private readonly Dictionary<string, int> _tables = AntreaTables.V2FlowTables.ToDictionary(t => t.Value, t => (int)t.Key, StringComparer.Ordinal);
    private readonly List<(int Table, int Priority, string Line)> _flows = [];

    /// <summary>Adds <c>cookie=C, table=TABLE, priority=P[,MATCH] actions=ACTIONS</c>.</summary>
    public void Add(AntreaV2Cookie category, string table, int priority, string match, string actions, uint objectId = 0)
    {
        int id = _tables.TryGetValue(table, out int t) ? t : throw new ArgumentException($"no Antrea 2.x table '{table}'", nameof(table));
        ulong cookie = (1UL << 48) | ((ulong)category << 40) | objectId;
        string line = string.Create(CultureInfo.InvariantCulture,
            $"cookie=0x{cookie:x}, table={table}, priority={priority}{(match.Length > 0 ? "," + match : "")} actions={actions}");
        _flows.Add((id, priority, line));
    }

    /// <summary>The flows, one line each, in dump-flows' order.</summary>
    public string Text()
    {
        var text = new StringBuilder();
        foreach (var (_, _, line) in _flows.OrderBy(f => f.Table).ThenByDescending(f => f.Priority).ThenBy(f => f.Line, StringComparer.Ordinal))
            text.Append(line).Append('\n');
        return text.ToString();
    }
}
