using System.Text.RegularExpressions;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>
/// A broken lab fails every command at once, when the scenario loads — `dump-flows` and `ip-neigh`, which walk no
/// packet, as much as `demo` and `replay` — with one located line (`error: FILE:LINE:COL: what`, at most a hint after
/// it), exit code 1, and never a .NET stack trace. Each case breaks a copy of the seed scenario in one place.
/// </summary>
public sealed partial class BrokenScenarioCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dp-broken-").FullName;

    public BrokenScenarioCommandTests()
    {
        foreach (var f in Directory.GetFiles(Path.Combine(CliRunner.RepoRoot, "src", "Antrea", "Scenario")))
            File.Copy(f, Path.Combine(_dir, Path.GetFileName(f)));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Edit(string file, Func<string, string> edit)
    {
        string path = Path.Combine(_dir, file);
        string before = File.ReadAllText(path);
        string after = edit(before);
        Assert.NotEqual(before, after);
        File.WriteAllText(path, after);
    }

    [GeneratedRegex(@"^error: (?<file>[^:\n]+):(?<line>\d+):(?<col>\d+): ")]
    private static partial Regex Located();

    /// <summary>Runs the command; asserts exit 1, an error naming <paramref name="file"/> (at <paramref name="line"/> when given), and nothing more than a hint.</summary>
    private static string AssertRefused(string file, int? line, params string[] args)
    {
        var (code, stdout, err) = CliRunner.Run(args);
        Assert.True(code == 1, $"{string.Join(' ', args)}: exit {code}\n{stdout}\n{err}");
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", err, StringComparison.Ordinal);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(lines.Length, 1, 2);
        if (lines.Length == 2)
            Assert.StartsWith("hint: ", lines[1], StringComparison.Ordinal);
        if (line is { } l)
        {
            var m = Located().Match(lines[0]);
            Assert.True(m.Success, lines[0]);
            Assert.EndsWith(file, m.Groups["file"].Value, StringComparison.Ordinal);
            Assert.Equal(l, int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
            Assert.Contains(file, lines[0], StringComparison.Ordinal);
        }
        return lines[0];
    }

    private void AssertEveryCommandRefuses(string file, int line)
    {
        AssertRefused(file, line, "dump-flows", "--scenario", _dir, "--node", "worker2");
        AssertRefused(file, line, "ip-neigh", "--scenario", _dir, "--node", "worker2");
        AssertRefused(file, line, "demo", "--scenario", _dir);
        AssertRefused(file, line, "trace", "--scenario", _dir, "--node", "worker2", "--in-port", "backend2-202ff6", "tcp,nw_src=10.222.2.34,nw_dst=10.222.1.48,tp_dst=80");
    }

    [Fact]
    public void A_bad_iptables_line()
    {
        Edit("worker1.iptables", t => t.Replace("\nCOMMIT", "\n-A KUBE-SERVICES --no-such-option 1\nCOMMIT", StringComparison.Ordinal));
        int line = Array.FindIndex(File.ReadAllLines(Path.Combine(_dir, "worker1.iptables")), l => l.Contains("--no-such-option", StringComparison.Ordinal)) + 1;
        AssertEveryCommandRefuses("worker1.iptables", line);
    }

    [Fact]
    public void A_bad_ipset_line()
    {
        Edit("ipsets.save", t => "add NO-SUCH-SET 10.0.0.1\n" + t);
        AssertEveryCommandRefuses("ipsets.save", 1);
    }

    [Fact]
    public void A_bad_route_line()
    {
        Edit("cluster.yaml", t => t.Replace("- default via 10.79.1.1 dev ens160 proto static", "- default vía 10.79.1.1 dev ens160 proto static", StringComparison.Ordinal));
        AssertEveryCommandRefuses("cluster.yaml", 30);
    }

    [Fact]
    public void An_ofport_that_is_openflows_local_port()
    {
        Edit("cluster.yaml", t => t.Replace("ofport: 48,", "ofport: 65534,", StringComparison.Ordinal));
        string error = AssertRefused("cluster.yaml", 27, "dump-flows", "--scenario", _dir, "--node", "worker2");
        Assert.Contains("ofport 65534 is out of range", error, StringComparison.Ordinal);
        AssertEveryCommandRefuses("cluster.yaml", 27);
    }

    [Fact]
    public void A_missing_file()
    {
        File.Delete(Path.Combine(_dir, "worker2.iptables"));
        string error = AssertRefused("cluster.yaml", 74, "dump-flows", "--scenario", _dir, "--node", "worker1");
        Assert.Contains("iptables file 'worker2.iptables' is not in the scenario", error, StringComparison.Ordinal);
        AssertEveryCommandRefuses("cluster.yaml", 74);
    }

    [Fact]
    public void A_bad_flow_line()
    {
        Edit("worker2.flows", t => t + "table=0,priority=1,actions=no_such_action\n");
        int line = File.ReadAllLines(Path.Combine(_dir, "worker2.flows")).Length;
        AssertEveryCommandRefuses("worker2.flows", line);
    }

    [Fact]
    public void A_scenario_without_worker1_runs_what_it_can_and_the_demo_says_what_it_lacks()
    {
        Edit("cluster.yaml", t => t.Replace("  - name: worker1\n", "  - name: workerX\n", StringComparison.Ordinal));
        var (code, _, err) = CliRunner.Run("dump-flows", "--scenario", _dir, "--node", "worker2", "table=0");
        Assert.True(code == 0, err);
        string error = AssertRefused("cluster.yaml", null, "demo", "--scenario", _dir);
        Assert.Contains("the demo walks node 'worker1', which this scenario has no bridge for", error, StringComparison.Ordinal);
        error = AssertRefused("worker1", null, "dump-flows", "--scenario", _dir, "--node", "worker1");
        Assert.Contains("workerX", error, StringComparison.Ordinal);
    }
}
