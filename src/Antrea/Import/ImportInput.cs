using Datapath.Packets;

namespace Datapath.Antrea.Import;

/// <summary>
/// What <c>datapath import DIR</c> reads: one sub-directory per node holding the files collected there (named as
/// <see cref="DumpNames"/> knows them, or recognised by their content), cluster-wide files (kubectl's YAML) beside
/// the sub-directories (a directory holding one node's files and no sub-directory is that node, named after it); or an
/// Antrea support bundle (<see cref="SupportBundle"/>), as a directory or a .tar.gz, or one agent's archive alone. Files it cannot place are reported (<see cref="Notes"/>) and left out.
/// </summary>
public sealed class ImportInput
{
    public List<NodeDump> Nodes { get; } = [];

    /// <summary>The cluster-wide files (kubectl's pods, services, endpointslices and nodes).</summary>
    public List<DumpFile> ClusterFiles { get; } = [];

    /// <summary>What was left out, and why.</summary>
    public List<string> Notes { get; } = [];

    /// <exception cref="InputException">The path does not exist, or an archive cannot be read.</exception>
    public static ImportInput Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var input = new ImportInput();
        if (File.Exists(path))
        {
            if (!SupportBundle.IsArchiveName(path))
                throw InputException.InFile(path, "is a file, not a directory of node dumps or a support bundle", "give a directory with one sub-directory per node, or the .tar.gz antctl supportbundle wrote");
            using var s = File.OpenRead(path);
            input.ReadArchive(SupportBundle.ReadArchive(s, path, SupportBundle.IsBundleFile), path, Path.GetFileName(path));
        }
        else if (Directory.Exists(path))
        {
            input.ReadDirectory(path);
        }
        else
        {
            throw InputException.InFile(path, "does not exist");
        }
        if (input.Nodes.Count == 0)
            throw InputException.InFile(path, "holds no node's dumps", "one sub-directory per node (worker1/dump-flows, worker1/ip-addr, ...), or a support bundle's agent_NODE.tar.gz files");
        input.Nodes.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name) is not 0 and int c ? c : string.CompareOrdinal(a.Location, b.Location));
        for (int i = 1; i < input.Nodes.Count; i++)
        {
            if (input.Nodes[i].Name == input.Nodes[i - 1].Name)
                throw InputException.InFile(input.Nodes[i].Location, $"node {input.Nodes[i].Name}'s dumps are also in {input.Nodes[i - 1].Location}", "give each node's dumps once");
        }
        return input;
    }

    private void ReadDirectory(string dir)
    {
        // One node's files given directly (no sub-directories): the directory is that node.
        if (Directory.GetDirectories(dir).All(d => Path.GetFileName(d).StartsWith('.'))
            && Directory.GetFiles(dir).Any(f => DumpNames.Classify(Path.GetFileName(f), File.ReadAllText(f)) is { } k && k != DumpKind.Kube))
        {
            string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)));
            var one = new NodeDump(name.StartsWith("agent_", StringComparison.Ordinal) ? name["agent_".Length..] : name, dir);
            foreach (string file in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
                AddFile(one, Path.GetFileName(file), file, File.ReadAllText(file));
            Nodes.Add(one);
            return;
        }
        var agents = Directory.GetFiles(dir).Where(f => SupportBundle.AgentNode(Path.GetFileName(f)) is not null).Order(StringComparer.Ordinal).ToList();
        foreach (string file in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(file);
            if (agents.Contains(file))
            {
                using var s = File.OpenRead(file);
                ReadAgent(SupportBundle.ReadArchive(s, file, SupportBundle.IsAgentFile), file, SupportBundle.AgentNode(name)!);
                continue;
            }
            if (SupportBundle.IsArchiveName(name))
                continue; // controller_NODE.tar.gz: the controller's logs and policies
            string text = File.ReadAllText(file);
            if (DumpNames.Classify(name, text) == DumpKind.Kube)
                ClusterFiles.Add(new DumpFile(DumpKind.Kube, file, text));
            else if (!DumpNames.IsBundleExtra(name))
                Notes.Add($"{file}: not a cluster-wide file (kubectl's YAML): left out; a node's files go in its own sub-directory");
        }
        foreach (string sub in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
        {
            string node = Path.GetFileName(sub);
            if (node.StartsWith('.'))
                continue;
            string? agent = node.StartsWith("agent_", StringComparison.Ordinal) ? node["agent_".Length..] : null;
            var dump = new NodeDump(agent ?? node, sub);
            foreach (string file in Directory.GetFiles(sub).Order(StringComparer.Ordinal))
                AddFile(dump, Path.GetFileName(file), file, File.ReadAllText(file));
            if (dump.Files.Count > 0)
                Nodes.Add(dump);
            else
                Notes.Add($"{sub}: no dump this import reads: not a node");
        }
    }

    private void ReadArchive(List<(string Name, byte[] Data)> files, string display, string archiveName)
    {
        var agents = files.Where(f => SupportBundle.AgentNode(Path.GetFileName(f.Name)) is not null).ToList();
        if (agents.Count == 0)
        {
            // One agent's archive alone: its node from its name (agent_NODE.tar.gz), else the archive's base name.
            string node = SupportBundle.AgentNode(archiveName) ?? archiveName.Split('.')[0];
            ReadAgent(files, display, node);
            return;
        }
        foreach (var (name, data) in files.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            string fileName = Path.GetFileName(name);
            string where = $"{display}/{name}";
            if (SupportBundle.AgentNode(fileName) is { } node)
            {
                using var ms = new MemoryStream(data);
                ReadAgent(SupportBundle.ReadArchive(ms, where, SupportBundle.IsAgentFile), where, node);
            }
            else if (fileName == "clusterinfo" || DumpNames.Classify(fileName, SupportBundle.Text(data)) == DumpKind.Kube)
            {
                ClusterFiles.Add(new DumpFile(DumpKind.Kube, where, SupportBundle.Text(data)));
            }
        }
    }

    private void ReadAgent(List<(string Name, byte[] Data)> files, string display, string node)
    {
        var dump = new NodeDump(node, display);
        foreach (var (name, data) in files.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            if (name.Contains('/', StringComparison.Ordinal))
                continue; // logs/...
            AddFile(dump, name, $"{display}/{name}", SupportBundle.Text(data));
        }
        Nodes.Add(dump);
    }

    private void AddFile(NodeDump dump, string name, string path, string text)
    {
        if (DumpNames.IsBundleExtra(name))
            return;
        if (DumpNames.Classify(name, text) is not { } kind)
        {
            Notes.Add($"{path}: not a dump this import reads: left out");
            return;
        }
        if (kind == DumpKind.Kube)
        {
            ClusterFiles.Add(new DumpFile(kind, path, text));
            return;
        }
        var file = new DumpFile(kind, path, text);
        if (dump.Files.TryGetValue(kind, out var other))
        {
            // Routes of every table beat the main table's; otherwise the first (by name) stays.
            bool better = kind == DumpKind.IpRoute && DumpNames.Normalize(name).Contains("table-all", StringComparison.Ordinal);
            var (kept, dropped) = better ? (file, other) : (other, file);
            dump.Files[kind] = kept;
            if (!(kind == DumpKind.IpRoute && DumpNames.Normalize(Path.GetFileName(dropped.Path)) is "route"))
                Notes.Add($"{dropped.Path}: a second {kind} dump of {dump.Name}: {Path.GetFileName(kept.Path)} is used");
            return;
        }
        dump.Files[kind] = file;
    }
}
