using System.Text.RegularExpressions;
using Datapath.Antrea.Compile;

namespace Datapath.Antrea.Tests;

/// <summary>
/// The seed's pods, nodes and NetworkPolicies (cluster.yaml and manifests.yaml) compile to the flows the seed
/// articles show: every table marked SEED in worker1.flows and worker2.flows holds the same flows (in any order, as
/// a dump lists them; conjunction ids compared by what they join, since Antrea numbers them as its agent meets the
/// rules), and the hand-written tables too.
/// </summary>
public sealed partial class AntreaV010FlowsTests
{
    private static readonly string SeedDir = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Antrea", "Scenario");

    public static TheoryData<string> Nodes => new() { "worker1", "worker2" };

    [Theory]
    [MemberData(nameof(Nodes))]
    public void The_seed_cluster_compiles_to_the_flows_of_every_table(string nodeName)
    {
        var scenario = AntreaScenario.LoadEmbedded();
        var manifests = KubeManifests.Parse(File.ReadAllText(Path.Combine(SeedDir, "manifests.yaml")), "manifests.yaml");
        var node = scenario.Model.Nodes.Single(n => n.Name == nodeName);
        var ours = Canonical(AntreaV010Flows.For(scenario.Model, node, manifests.Policies));
        var seedLines = File.ReadAllLines(Path.Combine(SeedDir, $"{nodeName}.flows"));
        var theirs = Canonical(seedLines.Where(l => l.StartsWith("cookie=", StringComparison.Ordinal)));
        var seedTables = seedLines.Where(l => l.StartsWith("# table ", StringComparison.Ordinal) && l.Contains(": SEED", StringComparison.Ordinal))
            .Select(l => int.Parse(l[8..l.IndexOf(':', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.NotEmpty(seedTables);
        foreach (int table in theirs.Keys.Union(ours.Keys))
        {
            var t = theirs.GetValueOrDefault(table, []);
            var o = ours.GetValueOrDefault(table, []);
            Assert.True(t.SetEquals(o), $"{nodeName} table {table}{(seedTables.Contains(table) ? " (SEED)" : "")}:\n only in the seed:\n  {string.Join("\n  ", t.Except(o))}\n only compiled:\n  {string.Join("\n  ", o.Except(t))}");
        }
    }

    // Flows by table, each conjunction id replaced by the clauses it joins (match and clause/of).
    internal static Dictionary<int, HashSet<string>> Canonical(IEnumerable<string> flows)
    {
        var list = flows.ToList();
        var joins = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (string f in list)
            foreach (Match m in Conjunction().Matches(f))
            {
                string match = f[(f.IndexOf("priority=", StringComparison.Ordinal))..f.IndexOf(" actions=", StringComparison.Ordinal)];
                if (!joins.TryGetValue(m.Groups[1].Value, out var set))
                    joins[m.Groups[1].Value] = set = new SortedSet<string>(StringComparer.Ordinal);
                set.Add(TableOf(f) + ":" + match + ":" + m.Groups[2].Value);
            }
        string Name(string id) => joins.TryGetValue(id, out var s) ? "{" + string.Join(";", s) + "}" : "?" + id;
        var result = new Dictionary<int, HashSet<string>>();
        foreach (string f in list)
        {
            string c = Conjunction().Replace(f, m => $"conjunction({Name(m.Groups[1].Value)},{m.Groups[2].Value})");
            c = ConjId().Replace(c, m => "conj_id=" + Name(m.Groups[1].Value));
            c = LoadConj().Replace(c, m => $"load:{Name(Convert.ToInt32(m.Groups[1].Value, 16).ToString(System.Globalization.CultureInfo.InvariantCulture))}->{m.Groups[2].Value}");
            // A shared clause lists its conjunctions in id order, which is the agent's numbering: sort them by what they join.
            int at = c.IndexOf(" actions=conjunction(", StringComparison.Ordinal);
            if (at >= 0)
                c = c[..(at + 9)] + string.Join(',', CanonicalConjunction().Matches(c[(at + 9)..]).Select(m => m.Value).Order(StringComparer.Ordinal));
            if (!result.TryGetValue(TableOf(f), out var set))
                result[TableOf(f)] = set = [];
            set.Add(c);
        }
        return result;
    }

    private static int TableOf(string flow)
    {
        var m = Table().Match(flow);
        return m.Success ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex(@"conjunction\((\d+),(\d+/\d+)\)")]
    private static partial Regex Conjunction();

    [GeneratedRegex(@"conjunction\(\{[^}]*\},\d+/\d+\)")]
    private static partial Regex CanonicalConjunction();

    [GeneratedRegex(@"conj_id=(\d+)")]
    private static partial Regex ConjId();

    [GeneratedRegex(@"load:0x([0-9a-f]+)->(NXM_NX_REG[56]\[\])")]
    private static partial Regex LoadConj();

    [GeneratedRegex(@" table=(\d+),")]
    private static partial Regex Table();
}
