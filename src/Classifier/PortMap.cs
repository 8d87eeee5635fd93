namespace Datapath.Classifier;

/// <summary>An <see cref="IPortMap"/> over a fixed name → ofport table (and, if given, table names).</summary>
public sealed class PortMap : IPortMap
{
    private readonly Dictionary<string, uint> _byName;
    private readonly Dictionary<uint, string> _byNumber;

    public PortMap(IEnumerable<KeyValuePair<string, uint>> ports, TableNameMap? tableNames = null)
    {
        TableNames = tableNames;
        _byName = new Dictionary<string, uint>(StringComparer.Ordinal);
        _byNumber = [];
        foreach (var (name, ofport) in ports)
        {
            _byName[name] = ofport;
            _byNumber[ofport] = name;
        }
    }

    public TableNameMap? TableNames { get; }

    /// <summary>The name → ofport pairs.</summary>
    public IEnumerable<KeyValuePair<string, uint>> Pairs => _byName;

    public bool TryGetPort(string name, out uint ofport) => _byName.TryGetValue(name, out ofport);

    public bool TryGetName(uint ofport, out string? name)
    {
        bool found = _byNumber.TryGetValue(ofport, out string? n);
        name = n;
        return found;
    }
}
