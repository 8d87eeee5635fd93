namespace Datapath.Benchmarks.Pipeline;

/// <summary>
/// The CPU-time view of <see cref="PipelineBenchmarks"/> (the same worker1 pipeline and frames),
/// for a machine whose wall clock is inflated by other load; see <see cref="CpuTimeHarness"/>.
/// Run: <c>dotnet run -c Release --project bench/Datapath.Benchmarks -- --pipeline-cpu-time</c>.
/// </summary>
public static class PipelineCpuTimeHarness
{
    public static string Run(int callsPerRound = 20, int rounds = 100)
    {
        var b = new PipelineBenchmarks();
        b.Setup();
        try
        {
            var cases = new (string Name, Func<int> Op)[]
            {
                ("full worker1 slow path, TCP to the service", b.FullPipeline_TcpToService),
                ("table lookups only", b.LookupsOnly),
                ("table lookups with consulted bits", b.LookupsWithConsultedBits),
                ("spoof-guard drop", b.SpoofGuardDrop),
                ("ARP responder", b.ArpResponder),
            };
            return CpuTimeHarness.Run(cases, PipelineBenchmarks.FramesPerInvoke, callsPerRound, rounds, warmupCalls: 200);
        }
        finally
        {
            b.Cleanup();
        }
    }
}
