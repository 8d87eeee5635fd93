using Datapath.Packets;

namespace Datapath.Antrea.Import;

/// <summary>
/// An imported scenario before it is written: its cluster.yaml model, the files cluster.yaml names (by name, with
/// their text), where each came from (so that a scenario error names the user's dump), and what the import reports:
/// every dump that was missing or left out, with what that costs.
/// </summary>
public sealed class ImportResult
{
    public ScenarioModel Model { get; } = new();

    /// <summary>The scenario's files other than cluster.yaml, by name (<c>worker1.flows</c>).</summary>
    public SortedDictionary<string, string> Files { get; } = new(StringComparer.Ordinal);

    /// <summary>The dump each scenario file was made from, keeping its line numbers.</summary>
    public Dictionary<string, string> Origins { get; } = new(StringComparer.Ordinal);

    /// <summary>What is missing or left out, and what it costs (<c>worker1: no ip neigh: ...</c>).</summary>
    public List<string> Notes { get; } = [];

    public string ClusterYaml => Compile.ScenarioWriter.ClusterYaml(Model, ["Imported by `datapath import` from the nodes' dumps (docs/import.md)."]);

    /// <summary>
    /// Writes the scenario into <paramref name="directory"/> (new, or empty) and loads it as every command will, so
    /// that what the import wrote is a scenario that runs. It is written beside the directory first and moved into
    /// place once it loads; an error the load finds in a file made from a dump names the dump, at the same line.
    /// </summary>
    /// <exception cref="InputException">The directory is not new or empty, or the scenario does not load.</exception>
    /// <exception cref="IOException">It cannot be written.</exception>
    public AntreaScenario Save(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string full = Path.GetFullPath(directory);
        if (File.Exists(full) || Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
            throw InputException.InFile(directory, "exists and is not empty", "give a new directory for the scenario (import writes cluster.yaml and every node's files)");
        string parent = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(parent);
        string staging = Path.Combine(parent, $".{Path.GetFileName(full)}.import-{Environment.ProcessId}");
        if (Directory.Exists(staging))
            Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        try
        {
            File.WriteAllText(Path.Combine(staging, "cluster.yaml"), ClusterYaml);
            foreach (var (name, text) in Files)
                File.WriteAllText(Path.Combine(staging, name), text);
            try
            {
                AntreaScenario.Load(staging);
            }
            catch (InputException e) when (Origins.TryGetValue(Path.GetFileName(e.File), out string? origin))
            {
                throw new InputException(origin, e.Line, e.Column, e.What, e.Hint);
            }
            catch (InputException e) when (Path.GetFileName(e.File) == "cluster.yaml")
            {
                // What the dumps say together makes no scenario (two nodes with one address, ...): said of the cluster.yaml it would be.
                throw new InputException(Path.Combine(directory, "cluster.yaml"), e.Line, e.Column, e.What, e.Hint ?? "the dumps describe a cluster a scenario cannot hold; nothing was written");
            }
            if (Directory.Exists(full))
                Directory.Delete(full);
            Directory.Move(staging, full);
        }
        finally
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }
        return AntreaScenario.Load(full);
    }
}
