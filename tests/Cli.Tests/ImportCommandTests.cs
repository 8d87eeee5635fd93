using System.Text.Json;

namespace Datapath.Cli.Tests;

/// <summary>
/// `datapath import`: the seed lab's dumps, as OVS 3.1, iptables and iproute2 print them on its nodes
/// (tests/Data/import/seed, made by make-seed-dumps.py: worker1's flows with stats, worker2's without, ip -j forms
/// on worker2), import into a scenario whose demo walks end exactly as the embedded lab's — every phase's outputs,
/// drops and deliveries, and the same steps — and replaying samples/seed-curl.pcapng through it writes the embedded lab's
/// pcaps byte for byte; and so does the same lab as an Antrea support bundle (a directory of
/// agent_NODE.tar.gz, and that directory as one .tar.gz), whose flows name Antrea v0.10's tables and which has no
/// ip neigh.
/// </summary>
public sealed class ImportCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("import").FullName;

    private static (int Code, string Out, string Err) Run(params string[] args) => CommandLineMistakesTests.Run(args);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_seed_lab_dumps_import_into_a_scenario_whose_demo_ends_as_the_embedded_labs()
    {
        string scenario = Path.Combine(_dir, "seed");
        var (code, text, err) = Run("import", ImportSupportBundle.Seed, "--out", scenario);
        Assert.True(code == 0, err);
        Assert.Contains("3 node(s), 2 with a bridge (worker1: 4 pod(s), worker2: 2 pod(s)), 7 service port(s)", text, StringComparison.Ordinal);
        // What the import left out, and why: the local table, the pods' own neighbour entries (they answer ARP).
        Assert.Contains("import: worker1: ip route: 9 of table local left out", err, StringComparison.Ordinal);
        Assert.Contains("import: worker1: ip neigh: 2 entries for the node's own pods left out: the host resolves its pods by ARP", err, StringComparison.Ordinal);
        Assert.Contains("import: master: no ovs-ofctl dump-flows: the node has no bridge here", err, StringComparison.Ordinal);
        Assert.DoesNotContain("dump-tlv-map", err, StringComparison.Ordinal); // both map tun_metadata0 as Antrea does
        AssertDemoEndsAsEmbedded(scenario);

        // Every command loads it: dump-flows prints worker1's flows back as OVS printed them.
        var dump = Run("dump-flows", "--scenario", scenario, "--node", "worker1", "--no-stats", "--names", "table=10");
        Assert.True(dump.Code == 0, dump.Err);
        Assert.Contains("table=10, priority=200,ip,in_port=\"frontend-a3ba2f\",dl_src=be:2c:bf:e4:ec:c5,nw_src=10.222.1.48 actions=resubmit(,30)", dump.Out, StringComparison.Ordinal);
        var neigh = Run("ip-neigh", "--scenario", scenario, "--node", "worker1");
        Assert.True(neigh.Code == 0, neigh.Err);
        Assert.Contains("10.79.1.1 dev ens160 lladdr 00:0c:29:fa:d8:a8 PERMANENT", neigh.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("10.222.1.48", neigh.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_capture_replays_through_the_imported_lab_into_the_embedded_labs_pcaps()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Datapath.sln")))
            root = root.Parent;
        string sample = Path.Combine(root!.FullName, "samples", "seed-curl.pcapng");
        string scenario = Path.Combine(_dir, "seed");
        Assert.Equal(0, Run("import", ImportSupportBundle.Seed, "--out", scenario).Code);
        var embedded = Run("replay", "--cluster", sample, "--out", Path.Combine(_dir, "embedded"));
        var imported = Run("replay", "--scenario", scenario, "--cluster", sample, "--out", Path.Combine(_dir, "imported"));
        Assert.True(embedded.Code == 0 && imported.Code == 0, embedded.Err + imported.Err);
        string[] pcaps = [.. Directory.GetFiles(Path.Combine(_dir, "embedded"), "*.pcap", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Path.Combine(_dir, "embedded"), f)).Order(StringComparer.Ordinal)];
        Assert.NotEmpty(pcaps);
        Assert.Equal(pcaps, Directory.GetFiles(Path.Combine(_dir, "imported"), "*.pcap", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Path.Combine(_dir, "imported"), f)).Order(StringComparer.Ordinal));
        foreach (string pcap in pcaps)
            Assert.True(File.ReadAllBytes(Path.Combine(_dir, "embedded", pcap)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_dir, "imported", pcap))), $"{pcap} differs");
    }

    [Fact]
    public void A_support_bundle_directory_imports_as_the_seed_lab()
    {
        string bundle = Path.Combine(_dir, "support-bundles_20261207T050000Z");
        ImportSupportBundle.WriteDirectory(bundle);
        string scenario = Path.Combine(_dir, "from-bundle");
        var (code, _, err) = Run("import", bundle, "--out", scenario);
        Assert.True(code == 0, err);
        Assert.Contains("import: worker1: iptables: ip6tables-save's tables are left out (the host stack is IPv4)", err, StringComparison.Ordinal);
        Assert.Contains("import: worker1: no ip neigh: neighbours will be resolved by ARP", err, StringComparison.Ordinal);
        Assert.Contains("import: worker1: no dump-tlv-map: tun_metadata0 is assumed mapped as Antrea maps it", err, StringComparison.Ordinal);
        Assert.Contains("import: kubectl's YAML has no Services: the scenario lists none", err, StringComparison.Ordinal);
        Assert.Contains("tables: { 0: Classification, 10: SpoofGuard,", File.ReadAllText(Path.Combine(scenario, "cluster.yaml")), StringComparison.Ordinal);
        AssertDemoEndsAsEmbedded(scenario, bundle: true);
    }

    [Fact]
    public void A_support_bundle_tar_gz_imports_as_its_directory_does()
    {
        string archive = Path.Combine(_dir, "bundle.tar.gz");
        File.WriteAllBytes(archive, ImportSupportBundle.Archive());
        string scenario = Path.Combine(_dir, "from-archive");
        var (code, text, err) = Run("import", archive, "--out", scenario);
        Assert.True(code == 0, err);
        Assert.Contains("worker1: 4 pod(s), worker2: 2 pod(s)", text, StringComparison.Ordinal);
        AssertDemoEndsAsEmbedded(scenario, bundle: true);
    }

    [Fact]
    public void A_malformed_line_in_a_bundle_is_an_error_naming_the_file_inside_it()
    {
        string bundle = Path.Combine(_dir, "bundle");
        // worker2's 5th flow with a field OVS does not have, as a hand-edited dump might carry.
        ImportSupportBundle.WriteDirectory(bundle, (node, file, text) => node == "worker2" && file == "flows"
            ? string.Join('\n', text.Split('\n').Select((l, i) => i == 4 ? l.Replace("priority=", "priority=10,nw_dsst=1.2.3.4,", StringComparison.Ordinal) : l)) : text);
        var (code, _, err) = Run("import", bundle, "--out", Path.Combine(_dir, "out"));
        Assert.Equal(1, code);
        Assert.Matches($@"^error: {System.Text.RegularExpressions.Regex.Escape(bundle)}/agent_worker2.tar.gz/flows:5:\d+: ", err);
        Assert.Contains("nw_dsst", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }

    [Fact]
    public void Json_says_what_was_written_and_the_notes()
    {
        string scenario = Path.Combine(_dir, "json");
        var (code, text, err) = Run("import", ImportSupportBundle.Seed, "--out", scenario, "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(text);
        var root = doc.RootElement;
        Assert.Equal(["cluster.yaml", "worker1.flows", "worker1.ipsets", "worker1.iptables", "worker2.flows", "worker2.ipsets", "worker2.iptables"], root.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(["master False 0", "worker1 True 4", "worker2 True 2"], root.GetProperty("nodes").EnumerateArray().Select(n => $"{n.GetProperty("name")} {n.GetProperty("bridge").GetBoolean()} {n.GetProperty("pods")}"));
        Assert.Equal(7, root.GetProperty("services").GetInt32());
        Assert.Contains(root.GetProperty("notes").EnumerateArray(), n => n.GetString()!.StartsWith("worker1: ip route: 9 of table local left out", StringComparison.Ordinal));
        Assert.All(Directory.GetFiles(scenario), f => Assert.Contains(Path.GetFileName(f), text, StringComparison.Ordinal));
    }

    [Fact]
    public void A_damaged_bundle_archive_is_one_error_naming_it()
    {
        string broken = Path.Combine(_dir, "broken.tar.gz");
        File.WriteAllBytes(broken, [0x1f, 0x8b, 8, 0, 0, 0]);
        var (code, _, err) = Run("import", broken, "--out", Path.Combine(_dir, "out"));
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {broken}: is not a readable .tar.gz", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public void The_out_directory_must_be_new_or_empty()
    {
        string scenario = Path.Combine(_dir, "taken");
        Directory.CreateDirectory(scenario);
        File.WriteAllText(Path.Combine(scenario, "cluster.yaml"), "nodes: []\n");
        var (code, _, err) = Run("import", ImportSupportBundle.Seed, "--out", scenario);
        Assert.Equal(1, code);
        Assert.Contains($"error: {scenario}: exists and is not empty", err, StringComparison.Ordinal);
        Assert.Equal("nodes: []\n", File.ReadAllText(Path.Combine(scenario, "cluster.yaml")));
    }

    /// <summary>
    /// Each demo phase on <paramref name="scenario"/> ends with the embedded lab's verdict and walks the same steps. A
    /// support bundle has no ip neigh (antctl does not collect it), which costs what the import says: worker1's host does
    /// not know 10.222.2.1 (the seed lists it, from arp -a), so the DNATed SYN waits for an ARP exchange first (table
    /// 20's ARPResponder answers it, and the host takes the 42-byte reply); the frames that leave and the drops are the same.
    /// </summary>
    private static void AssertDemoEndsAsEmbedded(string scenario, bool bundle = false)
    {
        var embedded = Run("demo", "--json");
        var imported = Run("demo", "--json", "--scenario", scenario);
        Assert.True(embedded.Code == 0, embedded.Err);
        Assert.True(imported.Code == 0, imported.Err);
        using var a = JsonDocument.Parse(embedded.Out);
        using var b = JsonDocument.Parse(imported.Out);
        var pa = a.RootElement.GetProperty("phases").EnumerateArray().ToList();
        var pb = b.RootElement.GetProperty("phases").EnumerateArray().ToList();
        Assert.Equal(pa.Count, pb.Count);
        for (int i = 0; i < pa.Count; i++)
        {
            string title = pa[i].GetProperty("title").GetString()!;
            var va = pa[i].GetProperty("trace").GetProperty("verdict");
            var vb = pb[i].GetProperty("trace").GetProperty("verdict");
            if (bundle)
            {
                Assert.True(va.GetProperty("outputs").GetRawText() == vb.GetProperty("outputs").GetRawText(), $"phase '{title}': other frames leave");
                Assert.True(va.GetProperty("drops").GetRawText() == vb.GetProperty("drops").GetRawText(), $"phase '{title}': other drops");
                string delivered = Compact(vb.GetProperty("delivered").GetRawText());
                if (i == 0)
                    delivered = delivered.Replace("{\"node\":\"worker1\",\"length\":42}", "", StringComparison.Ordinal);
                Assert.Equal(Compact(va.GetProperty("delivered").GetRawText()), delivered);
            }
            else
            {
                Assert.True(va.GetRawText() == vb.GetRawText(), $"phase '{title}' ends differently");
                static string Steps(JsonElement p) => string.Join('\n', p.GetProperty("trace").GetProperty("steps").EnumerateArray()
                    .Select(s => $"{s.GetProperty("node")} {s.GetProperty("kind")} {(s.TryGetProperty("table", out var t) ? t.ToString() : "")}"));
                Assert.Equal(Steps(pa[i]), Steps(pb[i]));
            }
        }
    }

    private static string Compact(string json) => string.Concat(json.Where(c => !char.IsWhiteSpace(c)));
}
