using System.CommandLine;
using Datapath.Engine;

namespace Datapath.Cli.Commands;

/// <summary>`datapath dump-tables --node N`: the node's OpenFlow tables as `ovs-ofctl dump-tables` prints them.</summary>
internal sealed class DumpTablesCommand : NodeReplyCommand
{
    public override int Order => 45;
    protected override string Name => "dump-tables";
    protected override string Description => "Print a node's tables (rules, lookups, names) as ovs-ofctl dump-tables does";
    protected override string Key => "tables";

    protected override IEnumerable<string> Reply(ParseResult parse, Node node, TextWriter stderr) => OfctlReplies.DumpTables(node.Bridge);

    // Every table with rules or lookups: {"table": N, "name": S|null, "active": A, "lookup": L, "matched": M}.
    protected override void WriteJson(System.Text.Json.Utf8JsonWriter w, Node node, IEnumerable<string> lines)
    {
        var lookups = node.Bridge.TableLookups();
        var active = node.Bridge.Tables.Rules().GroupBy(r => r.TableId).ToDictionary(g => g.Key, g => g.Count());
        w.WriteStartArray(Key);
        foreach (byte t in active.Keys.Union(lookups.Keys).Order())
        {
            var (matched, missed) = lookups.GetValueOrDefault(t);
            w.WriteStartObject();
            w.WriteNumber("table", t);
            if (node.Bridge.TableNames?.NameOf(t) is { } name)
                w.WriteString("name", name);
            else
                w.WriteNull("name");
            w.WriteNumber("active", active.GetValueOrDefault(t));
            w.WriteNumber("lookup", matched + missed);
            w.WriteNumber("matched", matched);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
