namespace Datapath.Benchmarks.Pipeline;

/// <summary>
/// The CPU-time view of <see cref="FastPathBenchmarks"/> (the same worker1 node, frames and batches),
/// for quick before/after figures while working on the fast path; see <see cref="CpuTimeHarness"/>.
/// Run: <c>dotnet run -c Release --project bench/Datapath.Benchmarks -- --fastpath-cpu-time [NAME]</c>.
/// </summary>
public static class FastPathCpuTimeHarness
{
    /// <param name="only">When given, only the cases whose name contains it (to profile one).</param>
    public static string Run(int callsPerRound = 20, int rounds = 100, string? only = null)
    {
        var b = new FastPathBenchmarks();
        b.Setup();
        try
        {
            var cases = new (string Name, Func<int> Op)[]
            {
                ("antrea-gw0 → GENEVE from the cache, batches of 32", b.FastPath_Gw0ToTunnel),
                ("frontend → backendsvc from the cache", b.FastPath_PodToService),
                ("antrea-gw0 → GENEVE on the slow path", b.SlowPath_Gw0ToTunnel),
            };
            if (only is not null)
                cases = [.. cases.Where(c => c.Name.Contains(only, StringComparison.OrdinalIgnoreCase))];
            return CpuTimeHarness.Run(cases, FastPathBenchmarks.FramesPerInvoke, callsPerRound, rounds, warmupCalls: 200);
        }
        finally
        {
            b.Cleanup();
        }
    }
}
