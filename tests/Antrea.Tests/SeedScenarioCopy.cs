using Datapath.Packets;

namespace Datapath.Antrea.Tests;

/// <summary>
/// A temporary directory holding the embedded seed scenario's files (cluster.yaml and every file it
/// names), so that a test can change one of them and load the directory as `--scenario DIR` would.
/// Deleted on Dispose.
/// </summary>
internal sealed class SeedScenarioCopy : IDisposable
{
    public static readonly string[] FileNames = ["cluster.yaml", "worker1.flows", "worker2.flows", "worker1.iptables", "worker2.iptables", "ipsets.save", "manifests.yaml"];

    private static readonly AntreaScenario s_embedded = AntreaScenario.LoadEmbedded();

    public SeedScenarioCopy()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("scenario").FullName;
        foreach (string f in FileNames)
            File.WriteAllText(PathOf(f), s_embedded.ReadFile(f));
    }

    /// <summary>The seed's cluster.yaml as shipped.</summary>
    public static string SeedClusterYaml { get; } = s_embedded.ReadFile("cluster.yaml")!;

    public string Directory { get; }

    /// <summary>Where errors about cluster.yaml point: its path in the copy.</summary>
    public string ClusterYaml => PathOf("cluster.yaml");

    public string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>Writes <paramref name="clusterYaml"/> as the copy's cluster.yaml and loads the directory.</summary>
    public AntreaScenario LoadWith(string clusterYaml)
    {
        File.WriteAllText(ClusterYaml, clusterYaml);
        return AntreaScenario.Load(Directory);
    }

    /// <summary>The seed's cluster.yaml with <paramref name="find"/> (which must occur exactly once) replaced.</summary>
    public static string SeedWith(string find, string replace)
    {
        int at = SeedClusterYaml.IndexOf(find, StringComparison.Ordinal);
        Assert.True(at >= 0 && SeedClusterYaml.IndexOf(find, at + 1, StringComparison.Ordinal) < 0, $"'{find}' occurs once in the seed cluster.yaml");
        return string.Concat(SeedClusterYaml.AsSpan(0, at), replace, SeedClusterYaml.AsSpan(at + find.Length));
    }

    /// <summary>Loads the copy with <paramref name="clusterYaml"/> and returns the error it must raise.</summary>
    public InputException Refuses(string clusterYaml) => Assert.Throws<InputException>(() => LoadWith(clusterYaml));

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
