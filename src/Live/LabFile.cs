namespace Datapath.Live;

/// <summary>
/// A lab file (docs/lab.md): which scenario, and for each node the daemon runs how its bridge
/// ports bind to live ports, where its tunnel meets the UDP underlay, and where its control socket is.
/// </summary>
public sealed class LabFile
{
    internal LabFile(string path, string scenario, IReadOnlyList<LabNode> nodes)
    {
        Path = path;
        Scenario = scenario;
        Nodes = nodes;
    }

    public string Path { get; }

    /// <summary>"embedded" (the seed), "none" (every node defines its own bridge), or a scenario directory.</summary>
    internal string Scenario { get; }

    internal IReadOnlyList<LabNode> Nodes { get; }

    internal LabNode? FindNode(string name) => Nodes.FirstOrDefault(n => n.Name == name);
}
