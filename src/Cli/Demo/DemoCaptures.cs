using System.Globalization;
using System.Text;
using Datapath.Engine.Tracing;
using Datapath.Cli.Output;

namespace Datapath.Cli.Demo;

/// <summary>
/// `demo --out DIR`: the phases as captures Wireshark opens. DIR/phases.pcapng holds each phase's frame on an
/// interface named NODE/PORT where it enters (so `datapath replay --cluster DIR/phases.pcapng` replays the
/// demo); DIR/NN-TITLE.pcapng holds one phase: its frame in, then every frame that leaves the journey, each on
/// its NODE/PORT interface, a microsecond apart in walk order.
/// </summary>
internal static class DemoCaptures
{
    /// <summary>Writes the files; returns their paths (phases.pcapng first).</summary>
    /// <exception cref="IOException">DIR cannot be made or written.</exception>
    /// <exception cref="UnauthorizedAccessException">DIR is not ours to write.</exception>
    public static List<string> Write(string dir, IReadOnlyList<(DemoPhase Phase, byte[] Frame, Trace Trace)> phases, long startMs)
    {
        Directory.CreateDirectory(dir);
        var written = new List<string>();
        string all = Path.Combine(dir, "phases.pcapng");
        using (var w = NodePortPcapng.Create(all))
        {
            for (int i = 0; i < phases.Count; i++)
            {
                var (phase, frame, _) = phases[i];
                // A packet the node's stack sends enters no port: replay --cluster could not place it (its own file has it).
                if (!phase.FromHost)
                    w.Write(phase.Node, phase.InPort, frame, Nanoseconds(startMs + i, 0));
            }
        }
        written.Add(all);
        for (int i = 0; i < phases.Count; i++)
        {
            var (phase, frame, trace) = phases[i];
            string path = Path.Combine(dir, PhaseFileName(i, phase, "pcapng"));
            using (var w = NodePortPcapng.Create(path))
            {
                w.Write(phase.Node, phase.InPort, frame, Nanoseconds(startMs + i, 0));
                int n = 1;
                foreach (var o in trace.Outputs)
                    w.Write(o.Node, o.Port, o.Frame, Nanoseconds(startMs + i, n++));
            }
            written.Add(path);
        }
        return written;
    }

    private static Int128 Nanoseconds(long ms, int micros) => (Int128)ms * 1_000_000 + micros * 1_000L;

    /// <summary>The file of the phase at 0-based <paramref name="index"/>: NN-TITLE.EXTENSION (the pcap and the HTML page share the name).</summary>
    internal static string PhaseFileName(int index, DemoPhase phase, string extension)
        => $"{(index + 1).ToString("00", CultureInfo.InvariantCulture)}-{Slug(phase.Title)}.{extension}";

    /// <summary>"Phase 4: backend2's SYN-ACK on its way back" -> "phase-4-backend2-s-syn-ack-on-its-way-back" (at most 48 characters).</summary>
    internal static string Slug(string title)
    {
        var sb = new StringBuilder();
        foreach (char c in title.ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c))
                sb.Append(c);
            else if (sb.Length > 0 && sb[^1] != '-')
                sb.Append('-');
        }
        string s = sb.ToString().Trim('-');
        return s.Length <= 48 ? s : s[..48].TrimEnd('-');
    }
}
