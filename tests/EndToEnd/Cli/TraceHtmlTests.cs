using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>
/// `trace --html` and `demo --html`: the walk as a picture. Headless Chromium (Debian's chromium, the judge)
/// renders the page to a screenshot and serialises its DOM; the DOM must hold every step of the trace, in order,
/// as the JSON trace of the same packet lists them, and a drop must be drawn red.
/// </summary>
public sealed partial class TraceHtmlTests : IDisposable
{
    private const string FrontendSyn =
        "tcp,dl_src=be:2c:bf:e4:ec:c5,dl_dst=4e:99:08:c1:53:be,nw_src=10.222.1.48,nw_dst=10.104.65.133,tp_src=56670,tp_dst=80,tcp_flags=syn";

    private const string SpoofedSyn = "tcp,dl_src=be:2c:bf:e4:ec:c5,nw_src=10.222.1.99,nw_dst=10.104.65.133,tp_dst=80,tcp_flags=syn";

    private readonly string _dir = Directory.CreateTempSubdirectory("datapath-html-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Phase1_page_renders_in_chromium_and_its_DOM_holds_every_step_of_the_walk_in_order()
    {
        string page = Path.Combine(_dir, "walk.html");
        var (code, json, err) = CliRunner.Run("trace", "--node", "worker1", "--in-port", "frontend-a3ba2f", "--json", "--html", page, FrontendSyn);
        Assert.True(code == 0, err);
        Assert.True(File.Exists(page), "trace --html wrote no page");

        string chromium = ExternalTools.Require("chromium", "chromium");
        string png = Path.Combine(_dir, "walk.png");
        Chromium(chromium, $"--screenshot={png}", "--window-size=1600,1200", new Uri(page).AbsoluteUri);
        Assert.True(File.Exists(png), "chromium took no screenshot");
        byte[] image = File.ReadAllBytes(png);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], image[..4]);
        Assert.Equal(1600, BigEndian(image, 16));
        Assert.Equal(1200, BigEndian(image, 20));
        Assert.True(image.Length > 40_000, $"the screenshot is {image.Length} bytes: an empty page, not a picture");

        var dom = Steps(Chromium(chromium, "--dump-dom", new Uri(page).AbsoluteUri));
        using var doc = JsonDocument.Parse(json);
        var expected = doc.RootElement.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(expected.Count, dom.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            var want = expected[i];
            var got = dom[i];
            Assert.Equal((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), got["data-index"]);
            Assert.Equal(want.GetProperty("node").GetString(), got["data-node"]);
            Assert.Equal(want.GetProperty("kind").GetString(), got["data-kind"]);
            if (want.TryGetProperty("table", out var table))
                Assert.Equal(table.ValueKind == JsonValueKind.Number ? table.GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture) : table.GetString(), got["data-table"]);
            Assert.False(string.IsNullOrWhiteSpace(got["title"]), $"step {i + 1} has no hover text");
            Assert.DoesNotContain("drop", got["class"], StringComparison.Ordinal);
        }

        // The seed's walk, as the articles tell it: worker1's tables twice (to the host and back), its conntrack,
        // kube-proxy's DNAT, the tunnel to worker2, worker2's tables, backend2's port.
        Assert.Equal([0, 10, 30, 31, 40, 105, 110, 0, 10, 30, 31, 40, 50, 70, 105, 110], Tables(dom, "worker1"));
        Assert.Equal([0, 30, 31, 40, 50, 60, 70, 80, 90, 105, 110], Tables(dom, "worker2"));
        Assert.Equal(4, dom.Count(s => s["data-kind"] == "conntrack" && s["data-node"] == "worker1"));
        Assert.Equal(2, dom.Count(s => s["data-kind"] == "conntrack" && s["data-node"] == "worker2"));
        Assert.Contains(dom, s => s["data-kind"] == "netfilter" && s["data-chain"].StartsWith("KUBE-SEP-", StringComparison.Ordinal) && s["title"].Contains("DNAT:10.222.2.34:80", StringComparison.Ordinal));
        int encap = dom.FindIndex(s => s["data-kind"] == "tunnel" && s["data-node"] == "worker1" && s["title"].Contains("encap", StringComparison.Ordinal));
        int decap = dom.FindIndex(s => s["data-kind"] == "tunnel" && s["data-node"] == "worker2" && s["title"].Contains("decap", StringComparison.Ordinal));
        Assert.True(encap >= 0 && decap == encap + 1, "the GENEVE crossing from worker1 to worker2 is not drawn");
        Assert.All(dom.Take(encap + 1), s => Assert.Equal("worker1", s["data-node"]));
        Assert.All(dom.Skip(decap), s => Assert.Equal("worker2", s["data-node"]));

        // Hover text: table 0's match and its field change, table 40's DNAT-table load of the gateway port.
        var first = dom.First(s => s["data-kind"] == "openflow");
        Assert.Contains("match: in_port=\"frontend-a3ba2f\"", first["title"], StringComparison.Ordinal);
        Assert.Contains("-> reg0: 0 -> 0x2", first["title"], StringComparison.Ordinal);
        Assert.Equal("Classification", first["data-table-name"]);
        var dnat = dom.First(s => s["data-kind"] == "openflow" && s["data-table"] == "40");
        Assert.Contains("load:0x2->NXM_NX_REG1[]", dnat["title"], StringComparison.Ordinal);

        var output = Assert.Single(Elements(Chromium(chromium, "--dump-dom", new Uri(page).AbsoluteUri), "verdict"));
        Assert.Equal("output", output["data-kind"]);
        Assert.Equal("worker2", output["data-node"]);
        Assert.Equal("backend2-202ff6", output["data-port"]);
    }

    [Fact]
    public void A_spoofed_source_dropped_in_SpoofGuard_is_drawn_red()
    {
        string page = Path.Combine(_dir, "spoof.html");
        var (code, _, err) = CliRunner.Run("trace", "--node", "worker1", "--in-port", "frontend-a3ba2f", "--html", page, SpoofedSyn);
        Assert.True(code == 0, err);
        string chromium = ExternalTools.Require("chromium", "chromium");
        string dom = Chromium(chromium, "--dump-dom", new Uri(page).AbsoluteUri);

        var steps = Steps(dom);
        var red = steps.Where(s => s["class"].Split(' ').Contains("drop")).ToList();
        var drop = Assert.Single(red);
        Assert.Equal("openflow", drop["data-kind"]);
        Assert.Equal("10", drop["data-table"]);
        Assert.Equal("SpoofGuard", drop["data-table-name"]);
        Assert.Contains("DROPPED", drop["title"], StringComparison.Ordinal);
        var verdict = Assert.Single(Elements(dom, "verdict"));
        Assert.Contains("drop", verdict["class"].Split(' '));
        Assert.Contains("drop-action", verdict["title"], StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_writes_an_index_linking_one_page_per_phase_named_like_its_pcap()
    {
        var (code, text, err) = CliRunner.Run("demo", "--no-frames", "--out", _dir, "--html", _dir);
        Assert.True(code == 0, err);
        string index = File.ReadAllText(Path.Combine(_dir, "index.html"));
        var links = HrefRegex().Matches(index).Select(m => m.Groups[1].Value).ToList();
        var pcaps = Directory.GetFiles(_dir, "??-*.pcapng").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(6, links.Count);
        Assert.Equal(pcaps, links.Select(Path.GetFileNameWithoutExtension).ToList());
        foreach (string link in links)
        {
            string phase = File.ReadAllText(Path.Combine(_dir, link));
            Assert.Contains("<svg", phase, StringComparison.Ordinal);
            Assert.Contains("href=\"index.html\"", phase, StringComparison.Ordinal);
        }
        Assert.Contains("index.html", text, StringComparison.Ordinal);
        Assert.Contains("class=\"verdict drop\"", index, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unwritable_html_path_is_one_error_line_naming_it_with_exit_code_1()
    {
        string file = Path.Combine(_dir, "no-such-dir", "walk.html");
        var (code, _, err) = CliRunner.Run("trace", "--node", "worker1", "--in-port", "frontend-a3ba2f", "--html", file, FrontendSyn);
        Assert.Equal(1, code);
        string line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(file, line, StringComparison.Ordinal);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);

        string blocker = Path.Combine(_dir, "a-file");
        File.WriteAllText(blocker, "");
        (code, _, err) = CliRunner.Run("demo", "--html", Path.Combine(blocker, "pages"));
        Assert.Equal(1, code);
        line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(Path.Combine(blocker, "pages"), line, StringComparison.Ordinal);
    }

    private string Chromium(string chromium, params string[] args)
        => ExternalTools.Run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", $"--user-data-dir={Path.Combine(_dir, "profile")}", .. args]);

    private static List<int> Tables(List<Dictionary<string, string>> steps, string node)
        => [.. steps.Where(s => s["data-kind"] == "openflow" && s["data-node"] == node).Select(s => int.Parse(s["data-table"], System.Globalization.CultureInfo.InvariantCulture))];

    private static List<Dictionary<string, string>> Steps(string dom) => Elements(dom, "step");

    /// <summary>Every <c>g</c> of the serialised DOM whose class list holds <paramref name="css"/>: its attributes, its class and its title's text.</summary>
    private static List<Dictionary<string, string>> Elements(string dom, string css)
    {
        var found = new List<Dictionary<string, string>>();
        foreach (Match g in GroupRegex().Matches(dom))
        {
            var attributes = AttributeRegex().Matches(g.Groups[1].Value)
                .ToDictionary(a => a.Groups[1].Value, a => WebUtility.HtmlDecode(a.Groups[2].Value), StringComparer.Ordinal);
            if (!attributes.TryGetValue("class", out string? classes) || !classes.Split(' ').Contains(css))
                continue;
            attributes["title"] = WebUtility.HtmlDecode(g.Groups[2].Value);
            foreach (string key in new[] { "data-table", "data-chain", "data-port", "data-table-name" })
                attributes.TryAdd(key, "");
            found.Add(attributes);
        }
        return found;
    }

    private static int BigEndian(byte[] b, int at) => (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];

    [GeneratedRegex("<g ([^>]*)><title>([^<]*)</title>")]
    private static partial Regex GroupRegex();

    [GeneratedRegex("([a-z-]+)=\"([^\"]*)\"")]
    private static partial Regex AttributeRegex();

    [GeneratedRegex("<a href=\"([^\"]+\\.html)\"")]
    private static partial Regex HrefRegex();
}
