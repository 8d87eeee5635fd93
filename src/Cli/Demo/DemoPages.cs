using System.Net;
using System.Text;
using Datapath.Cli.Html;
using Datapath.Engine;
using Datapath.Engine.Tracing;

namespace Datapath.Cli.Demo;

/// <summary>
/// `demo --html DIR`: DIR/index.html lists the phases (what enters where, how it ends) and links one walk page per
/// phase, DIR/NN-TITLE.html, named as `demo --out` names the phase's pcap; each page links the index and its neighbours.
/// </summary>
internal static class DemoPages
{
    /// <summary>Writes the pages; returns their paths (index.html first).</summary>
    /// <exception cref="IOException">DIR cannot be made or written.</exception>
    /// <exception cref="UnauthorizedAccessException">DIR is not ours to write.</exception>
    public static List<string> Write(string dir, IReadOnlyList<(DemoPhase Phase, Trace Trace)> phases, Cluster cluster)
    {
        Directory.CreateDirectory(dir);
        var names = phases.Select((p, i) => DemoCaptures.PhaseFileName(i, p.Phase, "html")).ToList();
        var written = new List<string>();
        string index = Path.Combine(dir, "index.html");
        File.WriteAllText(index, Index(phases, names), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        written.Add(index);
        for (int i = 0; i < phases.Count; i++)
        {
            var (phase, trace) = phases[i];
            List<HtmlLink> links = [new("index.html", "all phases")];
            if (i > 0)
                links.Add(new(names[i - 1], $"< phase {i}"));
            if (i + 1 < phases.Count)
                links.Add(new(names[i + 1], $"phase {i + 2} >"));
            var page = new TraceHtmlPage($"{i + 1}. {phase.Title}", $"in on {phase.Node}/{phase.InPort}: {phase.Description}", trace, cluster) { Links = links };
            string path = Path.Combine(dir, names[i]);
            TraceHtmlWriter.WriteFile(path, page);
            written.Add(path);
        }
        return written;
    }

    private static string Index(IReadOnlyList<(DemoPhase Phase, Trace Trace)> phases, List<string> names)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>datapath demo: the seed articles' packet walk</title>\n<style>\n");
        sb.Append("body { font-family: system-ui, sans-serif; margin: 20px; color: #0f172a; background: #f8fafc; }\n");
        sb.Append("li { margin: 10px 0; } .where { color: #475569; font-size: 13px; } .verdict { font-size: 13px; } .verdict.drop { color: #b91c1c; font-weight: 600; }\n");
        sb.Append("</style>\n</head>\n<body>\n<h1>The seed articles' packet walk, phase by phase</h1>\n");
        sb.Append("<p>Each page draws one packet's walk through the seed cluster: the nodes, br-int's tables, conntrack, the host's chains, the tunnel. Hover a step for its match, actions and field changes.</p>\n<ol class=\"phases\">\n");
        for (int i = 0; i < phases.Count; i++)
        {
            var (phase, trace) = phases[i];
            string verdictClass = trace.Drops.Count > 0 ? "verdict drop" : "verdict";
            sb.Append("<li><a href=\"").Append(E(names[i])).Append("\">").Append(E(phase.Title)).Append("</a><br>");
            sb.Append("<span class=\"where\">in on ").Append(E(phase.Node)).Append('/').Append(E(phase.InPort)).Append(": ").Append(E(phase.Description)).Append("</span><br>");
            sb.Append("<span class=\"").Append(verdictClass).Append("\">").Append(E(TraceHtmlWriter.VerdictText(trace))).Append("</span></li>\n");
        }
        sb.Append("</ol>\n</body>\n</html>\n");
        return sb.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
