using System.Diagnostics;
using System.Globalization;
using Datapath.Antrea;
using Datapath.Engine;
using Datapath.Io.Capture;

namespace Datapath.Benchmarks.Pipeline;

/// <summary>
/// The replay loop of <c>datapath bench FILE.pcap</c> (the journey on one worker, outputs counted) run over the same
/// windows several rounds in one process, each round timed: the first rounds pay for JIT tiering, the later ones
/// show the steady loop, and a profiler attached sees little but the loop (the file is read once, before).
/// Run: <c>Datapath.Benchmarks --journey-cpu-time FILE.pcap [PORT [ROUNDS [WORKERS]]]</c> (worker1; PORT antrea-gw0 by default).
/// </summary>
public static class JourneyCpuTimeHarness
{
    public static string Run(string path, string portName = "antrea-gw0", int rounds = 5, int workers = 1)
    {
        var scenario = AntreaScenario.LoadEmbedded();
        using var journey = ScenarioHosts.BuildJourney(scenario, JourneyScope.Node);
        var node = journey.GetNode("worker1");
        var port = node.Bridged!.Bridge.GetPort(portName);
        using var pool = new JourneyWorkers(journey, workers);
        var windows = new List<JourneyWindow>();
        long frames = 0;
        using (var reader = PacketFileReader.Open(path))
        {
            var window = new JourneyWindow(pool.WindowCapacity);
            while (reader.TryReadNext(out var frame))
            {
                window.Add(node, port.OfPort, frame.Span, frame.TimestampMilliseconds);
                frames++;
                if (window.IsFull)
                {
                    windows.Add(window);
                    window = new JourneyWindow(pool.WindowCapacity);
                }
            }
            if (window.Count > 0)
                windows.Add(window);
        }
        var sink = new CountingSink();
        var report = new System.Text.StringBuilder();
        for (int r = 0; r < rounds; r++)
        {
            var clock = Stopwatch.StartNew();
            foreach (var w in windows)
                pool.Run(w, sink);
            clock.Stop();
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"round {r + 1}: {frames:N0} frames, {clock.Elapsed.TotalNanoseconds / frames:F0} ns/frame, {frames / clock.Elapsed.TotalSeconds / 1e6:F2} M frames/s ({sink.Outputs:N0} outputs, {sink.Drops:N0} drops so far)"));
        }
        if (workers > 1)
            report.AppendLine(string.Create(CultureInfo.InvariantCulture, $"classified from the partitioner's memo: {pool.RememberedVerdicts:N0} frames"));
        return report.ToString();
    }

    private sealed class CountingSink : IJourneyWindowSink
    {
        public long Outputs, Drops;

        public void FrameStart(JourneyWindow window, int index)
        {
        }

        public void FrameDone(JourneyWindow window, int index, in JourneyResult result)
        {
        }

        public void Output(in JourneyExit exit, ReadOnlySpan<byte> frame) => Outputs++;

        public void Transit(in JourneyExit via, ReadOnlySpan<byte> frame)
        {
        }

        public void Deliver(JourneyNode node, ReadOnlySpan<byte> frame)
        {
        }

        public void Drop(in JourneyDrop drop) => Drops++;
    }
}
