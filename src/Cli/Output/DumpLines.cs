namespace Datapath.Cli.Output;

/// <summary>
/// A node's dump (flows, groups) as ovs-ofctl prints it — each line after OVS's leading space — or, with --json,
/// as <c>{"node": N, "KEY": [lines without the space]}</c> (docs/json.md).
/// </summary>
internal static class DumpLines
{
    public static void Write(TextWriter stdout, bool json, string node, string key, IEnumerable<string> lines)
    {
        if (json)
        {
            JsonOutput.WriteDocument(stdout, w =>
            {
                w.WriteStartObject();
                w.WriteString("node", node);
                w.WriteStartArray(key);
                foreach (var l in lines)
                    w.WriteStringValue(l.Trim());
                w.WriteEndArray();
                w.WriteEndObject();
            });
            return;
        }
        foreach (var l in lines)
            stdout.WriteLine(Engine.Bridge.FlowDumpIndent + l);
    }
}
