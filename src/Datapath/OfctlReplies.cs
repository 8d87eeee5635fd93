using System.Globalization;
using System.Text;
using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Engine;

/// <summary>
/// What <c>ovs-ofctl show</c>, <c>dump-tables</c> and <c>dump-group-stats</c> print for a bridge, as Open vSwitch 3.1
/// prints them with its default OpenFlow 1.0 (+ Nicira extensions) session: the features reply with the ports and
/// the switch config (ofp-print.c), the table statistics with OVS's "(same features)" and "ditto" compression
/// (ofputil_table_features_format), the group statistics (ofputil_group_stats_format). The replies' headers that
/// only carry a transaction id are left out, as dump-flows and dump-groups leave theirs; <c>show</c> keeps its
/// first line, which carries the datapath id.
/// </summary>
public static class OfctlReplies
{
    /// <summary>OVS's n_tables: tables 0..253 (254 and 255 are reserved).</summary>
    public const int TableCount = 254;

    /// <summary>OFP_MAX_TABLE_NAME_LEN (32) less its NUL: what an OpenFlow 1.0 table stats reply keeps of a name.</summary>
    public const int MaxTableNameLength = 31;

    // OpenFlow 1.0 table features as ovs-vswitchd reports them for every table.
    private const string Matching = "      exact match or wildcard: in_port eth_{src,dst,type} vlan_{vid,pcp} ip_{src,dst} nw_{proto,tos} tcp_{src,dst}";

    /// <summary>
    /// <c>ovs-ofctl show BRIDGE</c>: the datapath id (from the bridge's own MAC, as OVS derives it), the OpenFlow 1.0
    /// capabilities and actions OVS lists, each port in ofport order and LOCAL last (<c>N(NAME): addr:MAC</c>,
    /// config and state 0: up; speed 0 as for OVS's dummy and internal ports), then the switch config.
    /// </summary>
    public static IEnumerable<string> Show(Bridge bridge, MacAddress localMac)
    {
        ArgumentNullException.ThrowIfNull(bridge);
        yield return $"OFPT_FEATURES_REPLY (xid=0x2): dpid:0000{localMac.Value:x12}";
        yield return $"n_tables:{TableCount}, n_buffers:0";
        yield return "capabilities: FLOW_STATS TABLE_STATS PORT_STATS QUEUE_STATS ARP_MATCH_IP";
        yield return "actions: output enqueue set_vlan_vid set_vlan_pcp strip_vlan mod_dl_src mod_dl_dst mod_nw_src mod_nw_dst mod_nw_tos mod_tp_src mod_tp_dst";
        foreach (var p in bridge.Ports.OrderBy(p => p.OfPort))
            foreach (string line in ShowPort(p.OfPort.ToString(CultureInfo.InvariantCulture), p.Name, p.Mac))
                yield return line;
        foreach (string line in ShowPort("LOCAL", bridge.Name, localMac))
            yield return line;
        yield return "OFPT_GET_CONFIG_REPLY (xid=0x4): frags=normal miss_send_len=0";
    }

    private static IEnumerable<string> ShowPort(string number, string name, MacAddress mac)
    {
        yield return $" {number}({name}): addr:{mac}";
        yield return "     config:     0";
        yield return "     state:      0";
        yield return "     speed: 0 Mbps now, 0 Mbps max";
    }

    /// <summary>
    /// The bridge's own MAC where a scenario gives none: a stable locally administered address from the bridge and
    /// node names (OVS picks a random one for a bridge without physical ports, as br-int is on an Antrea node).
    /// </summary>
    public static MacAddress DefaultLocalMac(string node, string bridge)
    {
        uint h = OvsHash.Bytes(Encoding.UTF8.GetBytes(node + "/" + bridge), 0);
        uint g = OvsHash.Int(h, 0x9e3779b9);
        ulong mac = 0x02UL << 40 | (ulong)(h & 0xffffff) << 16 | (g & 0xffff);
        return new MacAddress(mac);
    }

    /// <summary>
    /// <c>ovs-ofctl dump-tables BRIDGE</c>: per table its active rules and lookups (matched + missed, as
    /// <see cref="Bridge.TableLookups"/> counts them), its name when it has one, the features once, and runs of
    /// tables with nothing new printed as OVS's <c>ditto</c>.
    /// </summary>
    public static IEnumerable<string> DumpTables(Bridge bridge)
    {
        ArgumentNullException.ThrowIfNull(bridge);
        var active = new int[TableCount];
        foreach (var r in bridge.Tables.Rules())
            if (r.TableId < TableCount)
                active[r.TableId]++;
        var lookups = bridge.TableLookups();
        var sb = new StringBuilder();
        int firstDitto = -1, lastDitto = -1;
        (int, long, long) prev = default;
        for (int t = 0; t < TableCount; t++)
        {
            var (matched, missed) = lookups.GetValueOrDefault((byte)t);
            var stats = (active[t], matched + missed, matched);
            string? name = bridge.TableNames?.NameOf((byte)t);
            if (name is { Length: > MaxTableNameLength })
                name = name[..MaxTableNameLength]; // an OpenFlow 1.0 table stats entry holds 31 characters and a NUL
            bool sameStats = t > 0 && stats == prev;
            prev = stats;
            if (sameStats && name is null)
            {
                if (firstDitto < 0)
                    firstDitto = t;
                lastDitto = t;
                continue;
            }
            FinishDitto(sb, firstDitto, lastDitto);
            firstDitto = -1;
            sb.Append("\n  table ").Append(t);
            if (name is not null)
                sb.Append(" (\"").Append(name).Append("\")");
            sb.Append(':');
            if (sameStats)
            {
                sb.Append(" ditto");
                continue;
            }
            sb.Append('\n').Append(CultureInfo.InvariantCulture, $"    active={stats.Item1}, lookup={stats.Item2}, matched={stats.Item3}\n");
            if (t > 0)
                sb.Append("    (same features)\n");
            else
                sb.Append("    max_entries=1000000\n    matching:\n").Append(Matching).Append('\n');
        }
        FinishDitto(sb, firstDitto, lastDitto);
        string text = sb.ToString();
        // The reply's text starts right after its header line: drop the newline that ends the header.
        foreach (string line in text[1..].TrimEnd('\n').Split('\n'))
            yield return line;
    }

    private static void FinishDitto(StringBuilder sb, int first, int last)
    {
        if (first < 0)
            return;
        sb.Append('\n');
        if (first == last)
            sb.Append(CultureInfo.InvariantCulture, $"  table {first}: ditto\n");
        else
            sb.Append(CultureInfo.InvariantCulture, $"  tables {first}...{last}: ditto\n");
    }

    /// <summary>
    /// <c>ovs-ofctl dump-group-stats BRIDGE [GROUP]</c>: per group (by id) its age on <paramref name="clock"/>, the
    /// flows that use it (ref_count), the packets and bytes it ran, and each bucket's. Without OVS's leading space,
    /// as <see cref="Bridge.DumpGroups"/>: the printers put <see cref="Bridge.FlowDumpIndent"/> in front.
    /// </summary>
    public static IEnumerable<string> DumpGroupStats(Bridge bridge, FlowStatsClock clock = default, uint? groupId = null)
    {
        ArgumentNullException.ThrowIfNull(bridge);
        var refs = new Dictionary<uint, int>();
        foreach (var r in bridge.Tables.Rules())
            if (r.Actions is Actions.ActionList list)
                foreach (uint g in list.Items.OfType<Actions.GroupAction>().Select(a => a.GroupId).Distinct())
                    refs[g] = refs.GetValueOrDefault(g) + 1;
        foreach (var g in bridge.Groups.Where(g => groupId is null || g.GroupId == groupId).OrderBy(g => g.GroupId))
        {
            var sb = new StringBuilder("group_id=").Append(g.GroupId).Append(",duration=");
            OfpDuration.Append(sb, TimeSpan.FromMilliseconds(Math.Max(0, clock.NowMs - (g.CreatedMs == FlowRule.Never ? clock.StartMs : g.CreatedMs))));
            sb.Append(CultureInfo.InvariantCulture, $",ref_count={refs.GetValueOrDefault(g.GroupId)},packet_count={g.PacketCount},byte_count={g.ByteCount}");
            for (int i = 0; i < g.Buckets.Count; i++)
                sb.Append(CultureInfo.InvariantCulture, $",bucket{i}:packet_count={g.Buckets[i].PacketCount},byte_count={g.Buckets[i].ByteCount}");
            yield return sb.ToString();
        }
    }
}
