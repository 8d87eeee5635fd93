using System.Text.RegularExpressions;

namespace Datapath.Antrea.Import;

/// <summary>
/// Which dump a file is: first by its name (docs/import.md lists the names: <c>dump-flows</c>, <c>flows</c>,
/// <c>ip-addr</c>, <c>address</c>, ... with any of the extensions .txt .out .log .json .yaml .yml .save, and the
/// names a support bundle gives), then, for a name that says nothing (<c>worker1.txt</c>, <c>output-3</c>), by its
/// content: the first lines that only one of the commands prints. <c>route</c> and <c>route-table-all</c> both
/// name routes; the second (every table) is preferred.
/// </summary>
public static partial class DumpNames
{
    private static readonly Dictionary<string, DumpKind> s_names = new(StringComparer.Ordinal)
    {
        ["flows"] = DumpKind.Flows, ["dump-flows"] = DumpKind.Flows, ["ovs-ofctl-dump-flows"] = DumpKind.Flows, ["br-int-flows"] = DumpKind.Flows,
        ["groups"] = DumpKind.Groups, ["dump-groups"] = DumpKind.Groups, ["ovs-ofctl-dump-groups"] = DumpKind.Groups,
        ["meters"] = DumpKind.Meters, ["dump-meters"] = DumpKind.Meters, ["ovs-ofctl-dump-meters"] = DumpKind.Meters,
        ["show"] = DumpKind.Show, ["ofctl-show"] = DumpKind.Show, ["ovs-ofctl-show"] = DumpKind.Show, ["ovsports"] = DumpKind.Show,
        ["dump-ports-desc"] = DumpKind.Show, ["ovs-ofctl-dump-ports-desc"] = DumpKind.Show,
        ["tlv-map"] = DumpKind.TlvMap, ["dump-tlv-map"] = DumpKind.TlvMap, ["ovs-ofctl-dump-tlv-map"] = DumpKind.TlvMap, ["tlvmap"] = DumpKind.TlvMap,
        ["dump-tables"] = DumpKind.Tables, ["ovs-ofctl-dump-tables"] = DumpKind.Tables,
        ["iptables"] = DumpKind.Iptables, ["iptables-save"] = DumpKind.Iptables, ["iptables-save-c"] = DumpKind.Iptables,
        ["ipset"] = DumpKind.Ipsets, ["ipsets"] = DumpKind.Ipsets, ["ipset-save"] = DumpKind.Ipsets,
        ["address"] = DumpKind.IpAddr, ["addr"] = DumpKind.IpAddr, ["ip-addr"] = DumpKind.IpAddr, ["ip-address"] = DumpKind.IpAddr, ["ip-a"] = DumpKind.IpAddr,
        ["ip-j-addr"] = DumpKind.IpAddr,
        ["link"] = DumpKind.IpLink, ["ip-link"] = DumpKind.IpLink, ["ip-j-link"] = DumpKind.IpLink,
        ["route"] = DumpKind.IpRoute, ["routes"] = DumpKind.IpRoute, ["ip-route"] = DumpKind.IpRoute, ["ip-j-route"] = DumpKind.IpRoute,
        ["route-table-all"] = DumpKind.IpRoute, ["ip-route-table-all"] = DumpKind.IpRoute, ["ip-route-show-table-all"] = DumpKind.IpRoute,
        ["neigh"] = DumpKind.IpNeigh, ["ip-neigh"] = DumpKind.IpNeigh, ["neighbors"] = DumpKind.IpNeigh, ["neighbours"] = DumpKind.IpNeigh,
        ["ip-j-neigh"] = DumpKind.IpNeigh,
        ["kubectl"] = DumpKind.Kube, ["kube"] = DumpKind.Kube, ["k8s"] = DumpKind.Kube, ["kubectl-get"] = DumpKind.Kube, ["clusterinfo"] = DumpKind.Kube,
        ["pods"] = DumpKind.Kube, ["resources"] = DumpKind.Kube,
    };

    /// <summary>Files of a support bundle that carry nothing a scenario uses (skipped without a word).</summary>
    private static readonly HashSet<string> s_bundleExtras = new(StringComparer.Ordinal)
    {
        "agentinfo", "controllerinfo", "addressgroups", "appliedtogroups", "networkpolicies", "memberlist", "nftables", "rule",
        "memprofile", "goroutinestacks", "ovs-version",
    };

    private static readonly string[] s_extensions = [".txt", ".out", ".log", ".json", ".yaml", ".yml", ".save"];

    /// <summary>Whether <paramref name="fileName"/> is a support bundle file this import has no use for.</summary>
    public static bool IsBundleExtra(string fileName) => s_bundleExtras.Contains(fileName);

    /// <summary>The names a file's base name is read as, normalized (lower case, <c>_</c> and spaces as <c>-</c>, extensions off).</summary>
    public static string Normalize(string fileName)
    {
        string n = fileName.ToLowerInvariant().Replace('_', '-').Replace(' ', '-');
        bool again = true;
        while (again)
        {
            again = false;
            foreach (string ext in s_extensions)
            {
                if (n.Length > ext.Length && n.EndsWith(ext, StringComparison.Ordinal))
                {
                    n = n[..^ext.Length];
                    again = true;
                }
            }
        }
        return n;
    }

    /// <summary>
    /// The kind of a file named <paramref name="fileName"/> holding <paramref name="text"/>: by its name when the name
    /// says, else by its content; null when neither tells.
    /// </summary>
    public static DumpKind? Classify(string fileName, string text)
    {
        string n = Normalize(fileName);
        if (s_names.TryGetValue(n, out var kind))
            return kind;
        // NODE.flows, br-int.groups, worker1.iptables: the extension names it.
        int dot = n.LastIndexOf('.');
        if (dot >= 0 && s_names.TryGetValue(n[(dot + 1)..], out kind))
            return kind;
        return Sniff(text);
    }

    /// <summary>What the content is, from the lines only one command prints; null when nothing tells.</summary>
    public static DumpKind? Sniff(string text)
    {
        string t = text.TrimStart();
        if (t.StartsWith('['))
            return SniffJson(t);
        foreach (string raw in text.Split('\n').Take(40))
        {
            string line = raw.TrimEnd('\r');
            string s = line.Trim();
            if (s.Length == 0)
                continue;
            if (s.StartsWith("OFPT_FEATURES_REPLY", StringComparison.Ordinal) || s.StartsWith("OFPST_PORT_DESC", StringComparison.Ordinal) || ShowPortLine().IsMatch(line))
                return DumpKind.Show;
            if (s.StartsWith("NXT_TLV_TABLE_REPLY", StringComparison.Ordinal) || s.StartsWith("mapping table:", StringComparison.Ordinal))
                return DumpKind.TlvMap;
            if (s.StartsWith("OFPST_TABLE", StringComparison.Ordinal) || TableLine().IsMatch(line))
                return DumpKind.Tables;
            if (s.StartsWith("OFPST_METER_CONFIG", StringComparison.Ordinal) || s.StartsWith("meter=", StringComparison.Ordinal))
                return DumpKind.Meters;
            if (s.StartsWith("OFPST_GROUP", StringComparison.Ordinal) || s.StartsWith("group_id=", StringComparison.Ordinal))
                return DumpKind.Groups;
            if (s.StartsWith("NXST_FLOW", StringComparison.Ordinal) || s.StartsWith("OFPST_FLOW", StringComparison.Ordinal)
                || s.Contains("actions=", StringComparison.Ordinal) && (s.Contains("priority=", StringComparison.Ordinal) || s.StartsWith("cookie=", StringComparison.Ordinal)))
                return DumpKind.Flows;
            if (s.StartsWith("# Generated by iptables-save", StringComparison.Ordinal) || s is "*filter" or "*nat" or "*mangle" or "*raw" or "*security")
                return DumpKind.Iptables;
            if (s.StartsWith("create ", StringComparison.Ordinal) && s.Contains(" hash:", StringComparison.Ordinal))
                return DumpKind.Ipsets;
            if (s.StartsWith("apiVersion:", StringComparison.Ordinal) || s.StartsWith("kind:", StringComparison.Ordinal) || s is "#pods" or "---")
                return DumpKind.Kube;
            if (LinkHeader().IsMatch(line))
                return text.Contains("\n    inet", StringComparison.Ordinal) ? DumpKind.IpAddr : DumpKind.IpLink;
            if (NeighLine().IsMatch(s))
                return DumpKind.IpNeigh;
            if (RouteLine().IsMatch(s))
                return DumpKind.IpRoute;
            if (s.StartsWith('#'))
                continue;
            return null;
        }
        return null;
    }

    private static DumpKind? SniffJson(string t)
    {
        if (t.Contains("\"addr_info\"", StringComparison.Ordinal))
            return DumpKind.IpAddr;
        if (t.Contains("\"ifname\"", StringComparison.Ordinal))
            return DumpKind.IpLink;
        if (t.Contains("\"lladdr\"", StringComparison.Ordinal) || t.Contains("\"state\"", StringComparison.Ordinal) && !t.Contains("\"gateway\"", StringComparison.Ordinal))
            return DumpKind.IpNeigh;
        if (t.Contains("\"dst\"", StringComparison.Ordinal))
            return DumpKind.IpRoute;
        return null;
    }

    [GeneratedRegex(@"^\s*(\d+|LOCAL)\([^)]*\): addr:")]
    private static partial Regex ShowPortLine();

    [GeneratedRegex(@"^\s*table \d+( \("".*""\))?:")]
    private static partial Regex TableLine();

    [GeneratedRegex(@"^\d+: [^\s:]+(@\S+)?: <")]
    private static partial Regex LinkHeader();

    [GeneratedRegex(@"^[0-9a-fA-F.:]+ dev \S+ (lladdr|FAILED|INCOMPLETE|PROBE|DELAY|STALE|REACHABLE|PERMANENT|NOARP|router)")]
    private static partial Regex NeighLine();

    [GeneratedRegex(@"^((unicast|local|broadcast|blackhole|unreachable|prohibit|multicast|anycast|throw) )?(default|[0-9]+\.[0-9.]+(/\d+)?|[0-9a-f:]+(/\d+)?) .*(dev|via|table) ")]
    private static partial Regex RouteLine();
}
