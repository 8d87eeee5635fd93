using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Datapath.Packets;

namespace Datapath.Antrea.Import;

/// <summary>
/// The files of an Antrea support bundle, as <c>antctl supportbundle</c> writes it (pkg/antctl/raw/supportbundle,
/// pkg/support/dump*.go): a directory holding <c>clusterinfo</c> (the Pods, Nodes, ... as YAML documents) and one
/// <c>agent_NODE.tar.gz</c> per node (<c>controller_NODE.tar.gz</c> too, which has nothing for a scenario), or that
/// directory packed as one .tar.gz. An agent archive holds, at its top, <c>flows</c> (dump-flows --names, one flow per
/// line), <c>groups</c>, <c>ovsports</c> (dump-ports-desc), <c>iptables</c> (iptables-save -c, then ip6tables-save -c
/// when IPv6 is on), <c>ipset</c>, <c>address</c>, <c>link</c>, <c>route</c>, <c>route-table-all</c>, <c>rule</c>,
/// <c>agentinfo</c> and <c>logs/</c>. Archives are read with System.Formats.Tar over a GZipStream; a damaged one is a
/// whole-file error naming it.
/// </summary>
public static class SupportBundle
{
    /// <summary>Whether <paramref name="path"/> is named as a gzip'd tar (.tar.gz, .tgz).</summary>
    public static bool IsArchiveName(string path)
        => path.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase);

    /// <summary>The node an <c>agent_NODE.tar.gz</c> is for, or null for any other name.</summary>
    public static string? AgentNode(string fileName)
    {
        if (!fileName.StartsWith("agent_", StringComparison.Ordinal) || !IsArchiveName(fileName))
            return null;
        string rest = fileName["agent_".Length..];
        rest = rest.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase) ? rest[..^4] : rest[..^7];
        return rest.Length > 0 ? rest : null;
    }

    /// <summary>
    /// The regular files of a gzip'd tar that <paramref name="keep"/> keeps (all when null), by their path inside it (a
    /// leading <c>./</c> dropped); the others (an agent's logs) are skipped unread.
    /// </summary>
    /// <exception cref="InputException">The archive cannot be read (named by <paramref name="display"/>).</exception>
    public static List<(string Name, byte[] Data)> ReadArchive(Stream archive, string display, Func<string, bool>? keep = null)
    {
        var files = new List<(string, byte[])>();
        try
        {
            using var gz = new GZipStream(archive, CompressionMode.Decompress, leaveOpen: true);
            using var tar = new TarReader(gz);
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                    continue;
                string name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                if (keep is not null && !keep(name))
                    continue;
                using var ms = new MemoryStream();
                entry.DataStream.CopyTo(ms);
                files.Add((name, ms.ToArray()));
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or IOException)
        {
            throw InputException.InFile(display, $"is not a readable .tar.gz ({e.Message})", "give the support bundle as antctl supportbundle wrote it, or its unpacked directory");
        }
        return files;
    }

    /// <summary>What an agent's archive holds for an import: the files at its top (not <c>logs/</c>), but the ones it has no use for.</summary>
    public static bool IsAgentFile(string name) => !name.Contains('/', StringComparison.Ordinal) && !DumpNames.IsBundleExtra(name);

    /// <summary>What a bundle's archive holds for an import: the agents' archives and clusterinfo, wherever they are in it.</summary>
    public static bool IsBundleFile(string name)
    {
        string file = Path.GetFileName(name);
        return AgentNode(file) is not null || file == "clusterinfo" || !name.Contains('/', StringComparison.Ordinal) && !file.StartsWith("controller_", StringComparison.Ordinal);
    }

    /// <summary>Text of a file (UTF-8).</summary>
    public static string Text(byte[] data) => Encoding.UTF8.GetString(data);
}
