namespace Datapath.Classifier;

/// <summary>
/// Maps OpenFlow port names to numbers and back, as <c>ovs-ofctl</c> does with the bridge's port
/// table, so <c>in_port="antrea-gw0"</c> parses and dump-flows prints names.
/// </summary>
public interface IPortMap
{
    bool TryGetPort(string name, out uint ofport);

    bool TryGetName(uint ofport, out string? name);
}
