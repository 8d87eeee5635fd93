namespace Datapath.Classifier;

/// <summary>
/// A bridge's names as one parser or printer may use them: its ports, and its table names only where
/// they are wanted (<see cref="NamesShown"/>). Parsers of a bridge's flows get a view with its table
/// names (ovs-ofctl accepts names by default); printers get the view their <c>--names</c> choice asks for.
/// </summary>
public sealed class NameView : IPortMap
{
    private static readonly PortMap s_noPorts = new([]);
    private readonly IPortMap _ports;

    public NameView(IPortMap? ports, TableNameMap? tableNames)
    {
        _ports = ports ?? s_noPorts;
        TableNames = tableNames;
    }

    public TableNameMap? TableNames { get; }

    /// <summary>
    /// The map to print with when <paramref name="shown"/> of the names of <paramref name="ports"/> and
    /// <paramref name="tableNames"/> are shown: null for none.
    /// </summary>
    public static IPortMap? For(IPortMap? ports, TableNameMap? tableNames, NamesShown shown) => shown switch
    {
        NamesShown.None => null,
        NamesShown.Ports => ports is null || ports.TableNames is null ? ports : new NameView(ports, null),
        _ => tableNames is null && (ports is null || ports.TableNames is null) ? ports : new NameView(ports, tableNames ?? ports!.TableNames),
    };

    public bool TryGetPort(string name, out uint ofport) => _ports.TryGetPort(name, out ofport);

    public bool TryGetName(uint ofport, out string? name) => _ports.TryGetName(ofport, out name);
}
