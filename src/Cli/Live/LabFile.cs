namespace Datapath.Cli.Live;

/// <summary>
/// A lab file (docs/lab.md): which scenario, and for each node the daemon runs how its bridge
/// ports bind to live ports, where its tunnel meets the UDP underlay, and where its control socket is.
/// </summary>
internal sealed class LabFile
{
    public required string Path { get; init; }

    /// <summary>"embedded" (the seed), "none" (every node defines its own bridge), or a scenario directory.</summary>
    public required string Scenario { get; init; }

    public required IReadOnlyList<LabNode> Nodes { get; init; }

    public LabNode? FindNode(string name) => Nodes.FirstOrDefault(n => n.Name == name);
}
