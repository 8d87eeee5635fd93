namespace Datapath.Netfilter;

/// <summary>One table (<c>*raw</c>, <c>*mangle</c>, <c>*nat</c>, <c>*filter</c>) of a rule set: its chains in file order.</summary>
public sealed class NetfilterTable
{
    private readonly Dictionary<string, Chain> _chains = new(StringComparer.Ordinal);
    private readonly List<Chain> _order = [];

    internal NetfilterTable(string name)
    {
        Name = name;
        foreach (var hook in BuiltinChainNames(name))
            AddChain(hook, builtin: true, NetfilterVerdict.Accept);
    }

    public string Name { get; }

    /// <summary>The last nf_tables handle given to a chain or rule of this table (the next object gets one more).</summary>
    public ulong LastHandle { get; internal set; }

    /// <summary>The rules as the engine walks them, built at COMMIT.</summary>
    internal CompiledTable? Program { get; set; }

    public IReadOnlyList<Chain> Chains => _order;

    public bool TryGetChain(string name, out Chain chain)
    {
        var found = _chains.TryGetValue(name, out var c);
        chain = c!;
        return found;
    }

    public Chain GetChain(string name) => _chains.TryGetValue(name, out var c) ? c : throw new KeyNotFoundException($"no chain {Name}:{name}");

    internal Chain AddChain(string name, bool builtin, NetfilterVerdict policy)
    {
        var c = new Chain(this, name, builtin, policy);
        _chains.Add(name, c);
        _order.Add(c);
        return c;
    }

    /// <summary>The built-in chains of a table (the hooks it registers at).</summary>
    public static IReadOnlyList<string> BuiltinChainNames(string table) => table switch
    {
        "raw" => ["PREROUTING", "OUTPUT"],
        "mangle" => ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
        "nat" => ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
        "filter" => ["INPUT", "FORWARD", "OUTPUT"],
        _ => [],
    };

    public static string HookChainName(NetfilterHook hook) => hook switch
    {
        NetfilterHook.Prerouting => "PREROUTING",
        NetfilterHook.Input => "INPUT",
        NetfilterHook.Forward => "FORWARD",
        NetfilterHook.Output => "OUTPUT",
        _ => "POSTROUTING",
    };
}
