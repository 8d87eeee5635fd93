namespace Datapath.Antrea.Import;

/// <summary>What was collected on one node: its name (the sub-directory, or the agent bundle's node) and its files by kind.</summary>
public sealed class NodeDump
{
    public NodeDump(string name, string location)
    {
        Name = name;
        Location = location;
    }

    /// <summary>The node's name in the scenario.</summary>
    public string Name { get; }

    /// <summary>Where its files were found (a directory, or an agent bundle), for whole-node messages.</summary>
    public string Location { get; }

    public Dictionary<DumpKind, DumpFile> Files { get; } = [];

    /// <summary>The file of <paramref name="kind"/>, or null when none was collected.</summary>
    public DumpFile? this[DumpKind kind] => Files.GetValueOrDefault(kind);
}
