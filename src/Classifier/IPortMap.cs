namespace Datapath.Classifier;

/// <summary>
/// A bridge's names as <c>ovs-ofctl</c> learns them from the switch: its ports (name ↔ ofport, so
/// <c>in_port="antrea-gw0"</c> parses and dump-flows prints names) and its tables
/// (<see cref="TableNames"/>, so <c>table=SpoofGuard</c> and <c>resubmit(,SpoofGuard)</c> parse and
/// print). Parsers accept the names a map gives; printers print the names a map gives, so printing with
/// a null map is ovs-ofctl's <c>--no-names</c> and <see cref="NameView"/> gives the views in between.
/// </summary>
public interface IPortMap
{
    bool TryGetPort(string name, out uint ofport);

    bool TryGetName(uint ofport, out string? name);

    /// <summary>The bridge's table names (OVSDB Flow_Table <c>name</c>), or null when its tables have none.</summary>
    TableNameMap? TableNames => null;
}
