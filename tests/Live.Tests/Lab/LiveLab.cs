using System.Globalization;
using System.Text.Json;
using Datapath.EndToEnd.Tests.Lab;

namespace Datapath.Live.Tests.Lab;

/// <summary>
/// One `datapath lab up` of the tests: a random prefix (namespaces dlXXX-...), a temporary directory and loopback
/// underlay addresses of its own, so it collides with nothing. Dispose removes everything it made even when tests
/// failed: `lab down`, then any namespace or TAP with its prefix and any process lab.state names that still runs.
/// </summary>
public sealed class LiveLab : IDisposable
{
    /// <param name="args">What selects the lab: <c>--lab calico</c>, <c>--scenario DIR</c>.</param>
    /// <param name="nodes">How many nodes the lab runs (one underlay address each).</param>
    public LiveLab(string[] args, int nodes)
    {
        string id = Random.Shared.Next(0x100, 0xfff).ToString("x3", CultureInfo.InvariantCulture);
        Prefix = $"dl{id}-";
        Dir = Path.Combine(Path.GetTempPath(), "dpt-live-lab-" + id);
        int octet = Random.Shared.Next(2, 250);
        Underlay = [.. Enumerable.Range(0, nodes).Select(i => $"127.{octet.ToString(CultureInfo.InvariantCulture)}.1.{(21 + i).ToString(CultureInfo.InvariantCulture)}")];
        if (LabEnvironment.SkipReason is not null)
            return;
        var (code, output, error) = LabEnvironment.Datapath(["lab", "up", .. args, "--dir", Dir, "--prefix", Prefix, "--underlay", string.Join(',', Underlay)]);
        UpOutput = output + error;
        if (code != 0)
            Error = $"lab up failed ({code}):\n{output}\n{error}";
        else
            Pids = ReadPids();
    }

    public string Prefix { get; }

    public string Dir { get; }

    public IReadOnlyList<string> Underlay { get; }

    /// <summary>Why lab up failed, or null.</summary>
    public string? Error { get; }

    public string UpOutput { get; } = "";

    public IReadOnlyList<int> Pids { get; } = [];

    public string Ns(string name) => Prefix + name;

    public string Socket(string node) => Path.Combine(Dir, node + ".sock");

    public void Require() => Assert.True(Error is null, Error + "\n" + Logs());

    /// <summary>curl in a namespace: exit code and the page.</summary>
    public (int Code, string Page, string Err) Curl(string ns, string url, int seconds = 5)
    {
        var (code, output, error) = LabEnvironment.RunFor(TimeSpan.FromSeconds(seconds + 10), "ip", "netns", "exec", Ns(ns), "curl", "-s", "-m",
            seconds.ToString(CultureInfo.InvariantCulture), url);
        return (code, output.Trim(), error);
    }

    public (int Code, string Out, string Err) Ctl(string node, params string[] args) => LabEnvironment.Datapath(["ctl", Socket(node), .. args]);

    public JsonElement Stats(string node)
    {
        var (code, output, error) = Ctl(node, "stats", "--json");
        Assert.True(code == 0, $"stats on {node}: {code} {error}");
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    /// <summary>The end of every worker's log, for failure messages.</summary>
    public string Logs()
    {
        if (!Directory.Exists(Dir))
            return "";
        return string.Join('\n', Directory.GetFiles(Dir, "*.log").Order(StringComparer.Ordinal)
            .Select(f => $"--- {Path.GetFileName(f)}\n{string.Join('\n', File.ReadAllLines(f).TakeLast(15))}"));
    }

    /// <summary>The namespaces and interfaces with this lab's prefix that exist now.</summary>
    public IReadOnlyList<string> Leftovers()
        => [.. LabEnvironment.Run("ip", "netns", "list").Out.Split('\n').Select(l => l.Split(' ')[0]).Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)),
            .. LabEnvironment.Run("ip", "-o", "link", "show").Out.Split('\n').Where(l => l.Contains(": " + Prefix, StringComparison.Ordinal))];

    private List<int> ReadPids()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "lab.state")));
        return [.. doc.RootElement.GetProperty("workers").EnumerateArray().Concat(doc.RootElement.GetProperty("servers").EnumerateArray()).Select(p => p.GetProperty("pid").GetInt32())];
    }

    public void Dispose()
    {
        if (LabEnvironment.SkipReason is not null)
            return;
        LabEnvironment.TearDown(Dir, Pids, Prefix);
        if (Directory.Exists(Dir))
            Directory.Delete(Dir, recursive: true);
    }
}
