using System.Text.Json;

namespace Datapath.Engine.Tracing;

/// <summary>
/// Writes a <see cref="Trace"/> in the <c>--json</c> shape of docs/json.md:
/// <c>{"steps":[{"node","kind","table","rule",...}],"verdict":{"outputs":[{"node","port","ofport","frame"}],"drops":[{"node","table","reason"}],"delivered":[{"node","length"}]}}</c>.
/// </summary>
public static class TraceJsonWriter
{
    public static string Write(Trace trace, bool indented = false)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = indented }))
            Write(w, trace);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    public static void Write(Utf8JsonWriter w, Trace trace)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(trace);
        w.WriteStartObject();
        w.WriteStartArray("steps");
        foreach (var s in trace.Steps)
        {
            w.WriteStartObject();
            w.WriteString("node", s.Node);
            w.WriteString("kind", KindName(s.Kind));
            if (s.Kind == TraceKind.OpenFlow)
            {
                w.WriteNumber("table", s.Table.GetValueOrDefault());
                if (s.RuleText is null)
                    w.WriteNull("rule");
                else
                    w.WriteString("rule", s.RuleText);
                if (s.Rule is { } r)
                {
                    w.WriteNumber("priority", r.Priority);
                    w.WriteString("cookie", "0x" + r.Cookie.ToString("x"));
                }
                if (s.Depth > 0)
                    w.WriteNumber("depth", s.Depth);
            }
            else if (s.Table is { } t)
                w.WriteNumber("table", t);
            if (s.Actions.Count > 0)
            {
                w.WriteStartArray("actions");
                foreach (var a in s.Actions)
                {
                    w.WriteStartObject();
                    w.WriteString("action", a.Text);
                    if (a.Effects.Count > 0)
                    {
                        w.WriteStartArray("effects");
                        foreach (var e in a.Effects)
                            w.WriteStringValue(e);
                        w.WriteEndArray();
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            if (s.Summary is not null)
                w.WriteString("summary", s.Summary);
            foreach (var (k, v) in s.Details)
            {
                // table and rule are already written for openflow steps (numbers); a netfilter step's
                // table ("nat") and rule ("4", "policy") come from its details.
                bool written = k is "node" or "kind" or "summary" or "actions"
                    || (k is "table" or "rule" && (s.Kind == TraceKind.OpenFlow || s.Table is not null));
                if (written)
                    continue;
                w.WriteString(k, v);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartObject("verdict");
        w.WriteStartArray("outputs");
        foreach (var o in trace.Outputs)
        {
            w.WriteStartObject();
            w.WriteString("node", o.Node);
            w.WriteString("port", o.Port);
            w.WriteNumber("ofport", o.OfPort);
            w.WriteString("frame", Convert.ToHexStringLower(o.Frame));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("drops");
        foreach (var d in trace.Drops)
        {
            w.WriteStartObject();
            w.WriteString("node", d.Node);
            if (d.Table is { } t)
                w.WriteNumber("table", t);
            else
                w.WriteNull("table");
            w.WriteString("reason", d.ReasonName);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("delivered");
        foreach (var d in trace.Deliveries)
        {
            w.WriteStartObject();
            w.WriteString("node", d.Node);
            w.WriteNumber("length", d.Length);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static string KindName(TraceKind kind) => kind switch
    {
        TraceKind.Ingress => "ingress",
        TraceKind.OpenFlow => "openflow",
        TraceKind.Conntrack => "conntrack",
        TraceKind.Recirculation => "recirculation",
        TraceKind.Tunnel => "tunnel",
        TraceKind.Normal => "normal",
        TraceKind.Group => "group",
        TraceKind.Megaflow => "megaflow",
        TraceKind.DatapathActions => "datapath-actions",
        TraceKind.Drop => "drop",
        TraceKind.Netfilter => "netfilter",
        TraceKind.Route => "route",
        TraceKind.Neighbor => "neighbor",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
