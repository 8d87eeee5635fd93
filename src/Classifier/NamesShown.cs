namespace Datapath.Classifier;

/// <summary>Which of a bridge's names a printer shows (ovs-ofctl's <c>--names</c> / <c>--no-names</c>).</summary>
public enum NamesShown
{
    /// <summary>Numbers only (<c>--no-names</c>).</summary>
    None,
    /// <summary>Port names, table numbers.</summary>
    Ports,
    /// <summary>Port and table names (<c>--names</c>).</summary>
    PortsAndTables,
}
