using Datapath.Packets;

namespace Datapath.Antrea;

/// <summary>
/// Where a scenario's files come from: the seed lab embedded in this assembly, or a directory laid out
/// like it. Files are named as cluster.yaml names them (<c>worker1.flows</c>), relative to the scenario;
/// that is also how flow and iptables errors name them. A file that cluster.yaml names must be there,
/// be a file, and not be empty: each is an error at the cluster.yaml line that names it
/// (<see cref="Problem"/>), never an empty bridge or host.
/// </summary>
internal sealed class ScenarioFiles
{
    private readonly string? _directory;
    private readonly string _resourcePrefix;
    private readonly string _lab;

    private ScenarioFiles(string? directory, string lab = "seed", string resourcePrefix = "Datapath.Antrea.Scenario.")
    {
        _directory = directory;
        _lab = lab;
        _resourcePrefix = resourcePrefix;
    }

    /// <summary>The seed lab shipped inside the binary.</summary>
    public static ScenarioFiles Embedded { get; } = new(null);

    /// <summary>The Calico lab shipped inside the binary (src/Antrea/Calico).</summary>
    public static ScenarioFiles EmbeddedCalico { get; } = new(null, "calico", "Datapath.Antrea.Calico.");

    /// <summary>The Antrea 2.x lab shipped inside the binary (src/Antrea/Antrea2).</summary>
    public static ScenarioFiles EmbeddedAntrea2 { get; } = new(null, "antrea-2", "Datapath.Antrea.Antrea2.");

    /// <summary>The embedded labs' names.</summary>
    public static IReadOnlyList<string> EmbeddedLabs { get; } = ["seed", "calico", "antrea-2"];

    /// <summary>An embedded lab by name.</summary>
    /// <exception cref="ArgumentException">No lab has that name.</exception>
    public static ScenarioFiles EmbeddedLab(string name) => name switch
    {
        "seed" => Embedded,
        "calico" => EmbeddedCalico,
        "antrea-2" => EmbeddedAntrea2,
        _ => throw new ArgumentException($"no embedded lab '{name}' (labs: {string.Join(", ", EmbeddedLabs)})", nameof(name)),
    };

    /// <summary>A scenario directory; a missing one, or a file given as one, is a whole-file error.</summary>
    public static ScenarioFiles InDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (File.Exists(directory))
            throw InputException.InFile(directory, "is a file, not a scenario directory", "give the directory that holds cluster.yaml");
        if (!Directory.Exists(directory))
            throw InputException.InFile(directory, "scenario directory does not exist");
        return new ScenarioFiles(directory);
    }

    /// <summary>"embedded" or the directory.</summary>
    public string Source => _directory ?? (_lab == "seed" ? "embedded" : $"embedded {_lab} lab");

    /// <summary>How errors name a file of the scenario that is not named by cluster.yaml (cluster.yaml itself): its path.</summary>
    public string PathOf(string name) => _directory is null ? name : Path.Combine(_directory, name);

    /// <summary>The text of <paramref name="name"/>, or null when it is not there (or is not a file).</summary>
    public string? Read(string name)
    {
        if (_directory is null)
        {
            using var s = typeof(ScenarioFiles).Assembly.GetManifestResourceStream(_resourcePrefix + name);
            if (s is null)
                return null;
            using var r = new StreamReader(s);
            return r.ReadToEnd();
        }
        string path = Path.Combine(_directory, name);
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    /// <summary>Why <paramref name="name"/> cannot be used (missing, a directory, empty), or null when it can.</summary>
    public string? Problem(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_directory is not null && Directory.Exists(Path.Combine(_directory, name)))
            return "is a directory, not a file";
        return Read(name) switch
        {
            null => $"is not in the scenario ({Source})",
            var text when string.IsNullOrWhiteSpace(text) => "is empty",
            _ => null,
        };
    }
}
