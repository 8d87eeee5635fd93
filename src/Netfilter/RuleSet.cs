using Datapath.Netfilter.Matches;

namespace Datapath.Netfilter;

/// <summary>
/// The tables loaded from one or more iptables-save files. A table that a file does not mention does
/// not exist (its hooks are empty), as on a kernel where the module is not loaded.
/// </summary>
public sealed class RuleSet
{
    private readonly Dictionary<string, NetfilterTable> _tables = new(StringComparer.Ordinal);

    public IReadOnlyCollection<NetfilterTable> Tables => _tables.Values;

    /// <summary>The <c>-m recent</c> lists, shared by name between rules (/proc/net/xt_recent/NAME).</summary>
    public RecentRegistry Recent { get; } = new();

    /// <summary>The <c>xtables-monitor --trace</c> subscribed to these tables (XtablesMonitor.Attach), or null.</summary>
    internal XtablesMonitor.Tap? Monitor;

    public NetfilterTable? Raw => Get("raw");

    public NetfilterTable? Mangle => Get("mangle");

    public NetfilterTable? Nat => Get("nat");

    public NetfilterTable? Filter => Get("filter");

    public NetfilterTable? Get(string name) => _tables.TryGetValue(name, out var t) ? t : null;

    /// <summary>All rules of all tables, in file order.</summary>
    public IEnumerable<Rule> AllRules => _tables.Values.SelectMany(t => t.Chains).SelectMany(c => c.Rules);

    /// <summary>Installs a committed table, replacing a previous load of the same table (as iptables-restore
    /// without --noflush does).</summary>
    internal void ReplaceTable(NetfilterTable table) => _tables[table.Name] = table;
}
