namespace Datapath.Netfilter.IpSets;

/// <summary>The sets of a node by name (what <c>ipset list -n</c> shows).</summary>
public sealed class IpSetCollection
{
    private readonly Dictionary<string, IpSet> _sets = new(StringComparer.Ordinal);

    public IReadOnlyCollection<IpSet> Sets => _sets.Values;

    public bool TryGet(string name, out IpSet? set) => _sets.TryGetValue(name, out set);

    public IpSet this[string name] => _sets[name];

    internal bool TryAdd(IpSet set) => _sets.TryAdd(set.Name, set);
}
