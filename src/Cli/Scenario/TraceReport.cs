using System.Text;
using Datapath.Cli.Formatting;
using Datapath.Engine.Tracing;

namespace Datapath.Cli.Scenario;

/// <summary>
/// The text form of a trace for `datapath trace` and `datapath demo`: the engine's ofproto/trace-like
/// walk, then every frame that left decoded as `tcpdump -en` prints it.
/// </summary>
internal static class TraceReport
{
    public static void WriteText(TextWriter output, Trace trace, bool hexFrames)
    {
        output.Write(TraceTextRenderer.Render(trace, frames: hexFrames));
        if (trace.Outputs.Count == 0)
            return;
        output.WriteLine();
        output.WriteLine("Frames out (tcpdump -en):");
        var formatter = new TcpdumpFormatter { AbsoluteSequenceNumbers = true };
        foreach (var o in trace.Outputs)
        {
            var sb = new StringBuilder();
            formatter.AppendFrame(sb, o.Frame, o.Frame.Length);
            output.WriteLine($"  {o.Node}/{o.Port}: {sb}");
        }
    }
}
